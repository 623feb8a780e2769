package dev.stratus.dsl;

import dev.stratus.jobs.train.Shards;
import dev.stratus.jobs.train.TrainingSpec;
import dev.stratus.ps.SecretFile;
import dev.stratus.ps.ShardAccess;
import dev.stratus.ps.ShardAddress;
import dev.stratus.ps.server.ShardConfig;
import dev.stratus.ps.tls.ShardTls;
import dev.stratus.store.S3Path;
import dev.stratus.store.StoreSpec;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsRegistrar;

/**
 * Where training's parameter-server shards are, and whether their connections are TLS. By default each training
 * starts its own (in the driver's JVM on the DirectRunner, as processes beside the driver on LambdaRunner); with
 * {@code --psEndpoints} it uses shards already running elsewhere (VMs beside Lambda workers), whose secret it reads
 * from an environment variable, never an option, and whose certificate from {@code --psTrustCertFile}.
 */
public interface TrainingOptions extends PipelineOptions {
  @Description("Parameter-server shards already running, as host:port,host:port,...; empty: each training starts"
      + " its own")
  @Default.String("")
  String getPsEndpoints();

  void setPsEndpoints(String endpoints);

  @Description("Environment variable holding the secret of the shards named by --psEndpoints")
  @Default.String("STRATUS_PS_TOKEN")
  String getPsTokenVariable();

  void setPsTokenVariable(String variable);

  @Description("File holding the secret of the shards named by --psEndpoints, readable by its owner alone (instead of"
      + " --psTokenVariable)")
  String getPsTokenFile();

  void setPsTokenFile(String file);

  @Description("Heap of each parameter-server shard process LambdaRunner starts (a -Xmx value)")
  @Default.String("1g")
  String getPsShardHeap();

  void setPsShardHeap(String heap);

  @Description("Seconds between two snapshots of the models that changed, by the parameter-server shards LambdaRunner"
      + " starts (beside the model, in MODEL.shards/): what a shard that dies and is started again loses at most")
  @Default.Integer(ShardConfig.DEFAULT_SNAPSHOT_EVERY_SECONDS)
  int getPsSnapshotEverySeconds();

  void setPsSnapshotEverySeconds(int seconds);

  @Description("Continue every training from the snapshots its shards took beside its model (MODEL.shards/, on"
      + " LambdaRunner) and its workers' positions recorded with them, after its driver died, instead of from scratch;"
      + " fails naming the location when there is none (as LogisticRegression.resumeFromSnapshots(true))")
  @Default.Boolean(false)
  boolean getResumeTraining();

  void setResumeTraining(boolean resume);

  @Description("TLS between workers and parameter-server shards: AUTO (TLS to --psEndpoints shards unless all are on"
      + " this machine's loopback and no --psTrustCertFile is given; plain frames to the shards a training starts"
      + " itself, which listen on 127.0.0.1),"
      + " ON (always; shards a training starts get a certificate of their own), OFF (plain frames, even to other"
      + " hosts)")
  @Default.String("AUTO")
  String getPsTls();

  void setPsTls(String tls);

  @Description("PEM certificate of the shards named by --psEndpoints (their --tls-cert), which workers and the driver"
      + " trust, and nothing else, when TLS is on")
  String getPsTrustCertFile();

  void setPsTrustCertFile(String file);

  /**
   * Makes the shards' options (--psEndpoints, --psTokenFile, --psTls...) known to every pipeline that has this module,
   * whatever options interface its author declared (listed in {@code META-INF/services}).
   */
  final class Registrar implements PipelineOptionsRegistrar {
    @Override
    public Iterable<Class<? extends PipelineOptions>> getPipelineOptions() {
      return List.of(TrainingOptions.class);
    }
  }

  /** The values of {@code --psTls}. */
  enum PsTls { AUTO, ON, OFF }

  /**
   * Refuses options that name shards or their TLS wrongly, naming the option: what a training or search checks before
   * the pipeline runs. The secret is read only when the shards are reached.
   */
  static void check(TrainingOptions options) {
    trustedCertificate(options, endpoints(options));
  }

  /**
   * The shards {@code options} name, or {@code spec.shardsToStart()} new ones in this JVM.
   */
  static Shards shards(TrainingOptions options, TrainingSpec spec) throws Exception {
    return shards(options, spec, null, null, false);
  }

  /**
   * The shards {@code options} name, or {@code spec.shardsToStart()} new ones: in this JVM when {@code checkpoint} is null,
   * else processes of their own that snapshot their models to {@code checkpoint} in {@code store} (the store as
   * other processes reach it), restore what it holds when {@code restore} (a resumed job's; else it holds nothing
   * yet), and are started again from there when they die. Processes start in the background: workers launched
   * meanwhile read their data while they do, and find them through the store.
   */
  static Shards shards(TrainingOptions options, TrainingSpec spec, S3Path checkpoint, StoreSpec store,
      boolean restore) throws Exception {
    List<InetSocketAddress> addresses = endpoints(options);
    String certificate = trustedCertificate(options, addresses);
    if (addresses.isEmpty()) {
      boolean tls = tls(options) == PsTls.ON;
      return checkpoint != null
          ? Shards.processesInBackground(spec.shardsToStart(), options.getPsShardHeap(), tls, checkpoint, store,
              options.getPsSnapshotEverySeconds(), restore)
          : Shards.inProcess(spec.shardsToStart(), tls);
    }
    return Shards.remote(addresses, new ShardAccess(token(options), certificate));
  }

  /** The secret of the shards {@code --psEndpoints} names: from {@code --psTokenFile}, else the environment. */
  private static String token(TrainingOptions options) {
    String file = options.getPsTokenFile() == null ? "" : options.getPsTokenFile().trim();
    if (!file.isEmpty()) {
      return SecretFile.read(Path.of(file), "--psTokenFile", "the shards' secret");
    }
    String variable = options.getPsTokenVariable();
    String token = variable == null ? null : System.getenv(variable);
    if (token == null || token.isEmpty()) {
      throw new IllegalArgumentException("--psEndpoints names shards, but the environment variable " + variable
          + " (--psTokenVariable) holding their secret is not set, and no --psTokenFile is given");
    }
    return token;
  }

  /** The shards {@code --psEndpoints} names, unresolved; empty when it names none. */
  static List<InetSocketAddress> endpoints(TrainingOptions options) {
    String endpoints = options.getPsEndpoints() == null ? "" : options.getPsEndpoints().trim();
    List<InetSocketAddress> addresses = new ArrayList<>();
    if (endpoints.isEmpty()) {
      return addresses;
    }
    for (String endpoint : endpoints.split(",")) {
      try {
        addresses.add(ShardAddress.parse(endpoint));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--psEndpoints: " + e.getMessage());
      }
    }
    return addresses;
  }

  /** {@code --psTls}, read. */
  static PsTls tls(TrainingOptions options) {
    String value = options.getPsTls() == null ? "" : options.getPsTls().trim();
    try {
      return PsTls.valueOf(value.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--psTls must be AUTO, ON or OFF, got '" + options.getPsTls() + "'");
    }
  }

  /**
   * The certificate of the shards {@code --psEndpoints} names when the client must speak TLS to them, read from
   * {@code --psTrustCertFile}; null for plain frames, and for shards the training starts (which make their own).
   */
  private static String trustedCertificate(TrainingOptions options, List<InetSocketAddress> endpoints) {
    PsTls mode = tls(options);
    String file = options.getPsTrustCertFile() == null ? "" : options.getPsTrustCertFile().trim();
    if (!file.isEmpty() && endpoints.isEmpty()) {
      throw new IllegalArgumentException("--psTrustCertFile names the certificate of shards --psEndpoints names, and"
          + " it names none: the shards a training starts make their own (--psTls=ON)");
    }
    if (!file.isEmpty() && mode == PsTls.OFF) {
      throw new IllegalArgumentException("--psTrustCertFile is for TLS, which --psTls=OFF turns off: give one or the"
          + " other");
    }
    boolean tls = mode == PsTls.ON
        || mode == PsTls.AUTO && (!file.isEmpty() || !endpoints.stream().allMatch(TrainingOptions::isLoopback));
    if (endpoints.isEmpty() || !tls) {
      return null;
    }
    if (file.isEmpty()) {
      throw new IllegalArgumentException("--psTls=" + mode + " speaks TLS to the shards --psEndpoints names"
          + (mode == PsTls.AUTO ? " (not all on this machine)" : "") + " and needs their certificate:"
          + " --psTrustCertFile=PATH (the PEM file their --tls-cert names), or --psTls=OFF for unencrypted frames");
    }
    String pem;
    try {
      pem = Files.readString(Path.of(file));
    } catch (IOException e) {
      throw new IllegalArgumentException("--psTrustCertFile " + file + " cannot be read: " + e);
    }
    ShardTls.certificates(pem, "--psTrustCertFile " + file);
    return pem;
  }

  private static boolean isLoopback(InetSocketAddress endpoint) {
    try {
      return InetAddress.getByName(endpoint.getHostString()).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false; // a name only the workers' network resolves, say
    }
  }
}
