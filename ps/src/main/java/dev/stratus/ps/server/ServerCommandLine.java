package dev.stratus.ps.server;

import dev.stratus.ps.SecretFile;
import dev.stratus.ps.ShardAddress;
import dev.stratus.ps.tls.ShardCertificate;
import dev.stratus.store.S3Path;
import dev.stratus.store.StoreSpec;
import io.netty.util.ResourceLeakDetector;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * Runs one shard as a process until killed ({@link PsServer#main} delegates here). Options: {@code --port N} (0: a
 * free port), {@code --bind ADDRESS} (default 127.0.0.1: other hosts reach the shard only if asked for, e.g. with
 * 0.0.0.0), {@code --advertise HOST:PORT} (the address workers must dial, behind NAT or a container's port mapping),
 * the secret from {@code --token-env VAR} (an environment variable) or {@code --token-file PATH} (a file only its
 * owner may read; a trailing newline is not part of it) &mdash; a command line is visible to every local user, so the
 * secret never goes there &mdash;; TLS for every connection from the certificate chain {@code --tls-cert PATH} (PEM;
 * or {@code --tls-cert-env VAR}) and its private key from {@code --tls-key-file PATH} (PEM, a file only its owner may
 * read) or {@code --tls-key-env VAR}, never the command line; {@code --shard I}, {@code --checkpoint s3://bucket/prefix} with the store from
 * {@code --store-endpoint URI --store-region R} (keys from STRATUS_STORE_ACCESS_KEY and STRATUS_STORE_SECRET_KEY),
 * {@code --store-aws REGION}, or {@value #STORE_SPEC_ENV}; {@code --snapshot-every SECONDS} (with a checkpoint: 5
 * unless given; 0 only on demand), {@code --restore true|false} (true unless given: with a checkpoint, restore every
 * model snapshot found there before listening; false for a checkpoint known to hold nothing of this shard's, which
 * starts it sooner),
 * {@code --max-frame-bytes N}, {@code --kv-max-bytes N}; the limits ({@link ShardConfig.Limits})
 * {@code --max-workers N}, {@code --max-handshakes N}, {@code --hello-timeout-ms N}, {@code --io-threads N},
 * {@code --models-max-bytes N}. A value out of range is refused with the option's range. Prints
 * {@value PsServer#LISTENING_LINE}PORT when ready, followed by {@value PsServer#ADVERTISED}HOST:PORT with
 * {@code --advertise}.
 */
final class ServerCommandLine {
  /** Environment variable holding a base64 Java-serialized {@link StoreSpec} for a process's checkpoints. */
  static final String STORE_SPEC_ENV = "STRATUS_PS_STORE_SPEC";

  private static final int MAX_PORT = 65_535;

  private ServerCommandLine() {}

  static void main(String[] args) throws Exception {
    Launch launch;
    try {
      launch = parseLaunch(args, System.getenv());
    } catch (IllegalArgumentException e) {
      System.err.println("PsServer: " + e.getMessage());
      System.exit(2);
      return;
    }
    ShardConfig config = launch.config();
    // Netty's leak detector is a debugging aid that costs a shard process in its hot path (a stack trace for one
    // buffer in 128, and a second buffer class at every call site, which makes C2 recompile them): off, unless the
    // process is started with -Dio.netty.leakDetection.level.
    if (System.getProperty("io.netty.leakDetection.level") == null) {
      ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
    }
    PsServer server;
    try {
      server = PsServer.start(config, launch.restore());
    } catch (IOException e) {
      System.err.println("PsServer: cannot listen on " + config.bind() + ":" + config.port() + " (--bind, --port): "
          + e.getMessage());
      System.exit(1);
      return;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      stopped.countDown();
    }));
    System.out.println(PsServer.LISTENING_LINE + server.port()
        + (config.advertise() == null ? "" : PsServer.ADVERTISED + ShardAddress.format(config.advertise())));
    System.out.flush();
    stopped.await();
  }

  /** A shard process's configuration, and whether it restores its checkpoint before it listens. */
  record Launch(ShardConfig config, boolean restore) {}

  /** The options that give a shard process these limits. */
  static String[] limitOptions(ShardConfig.Limits limits) {
    return new String[] {
      "--max-workers", String.valueOf(limits.maxWorkers()),
      "--max-handshakes", String.valueOf(limits.maxHandshakes()),
      "--hello-timeout-ms", String.valueOf(limits.helloTimeoutMillis()),
      "--io-threads", String.valueOf(limits.ioThreads()),
      "--models-max-bytes", String.valueOf(limits.modelsMaxBytes()),
    };
  }

  /** The configuration {@code args} give, with secrets read from {@code environment} or a file. */
  static ShardConfig parse(String[] args, Map<String, String> environment)
      throws IOException, ClassNotFoundException {
    return parseLaunch(args, environment).config();
  }

  /** As {@link #parse}, and whether {@code --restore} asks the shard to restore its checkpoint (the default). */
  static Launch parseLaunch(String[] args, Map<String, String> environment)
      throws IOException, ClassNotFoundException {
    boolean restore = true;
    String token = null;
    String tokenOption = null;
    String certificate = null;
    String certificateOption = null;
    String privateKey = null;
    String privateKeyOption = null;
    String bind = "127.0.0.1";
    int port = 0;
    InetSocketAddress advertise = null;
    int shard = 0;
    S3Path checkpoint = null;
    StoreSpec store = null;
    String endpoint = null;
    String region = "us-east-1";
    Integer snapshotEvery = null;
    int maxFrame = ShardConfig.DEFAULT_MAX_FRAME_BYTES;
    long kvMax = ShardConfig.DEFAULT_KV_MAX_BYTES;
    ShardConfig.Limits limits = ShardConfig.Limits.DEFAULT;
    for (int i = 0; i < args.length; i++) {
      String option = args[i];
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException("option " + option + " needs a value");
      }
      String value = args[++i];
      switch (option) {
        case "--port" -> port = number(option, value, 0, MAX_PORT);
        case "--bind" -> bind = value;
        case "--advertise" -> advertise = address(option, value);
        case "--token" -> throw new IllegalArgumentException("--token would put the secret on the command line, where"
            + " every local user can read it: put it in an environment variable and give --token-env VARIABLE, or"
            + " in a file only you can read and give --token-file PATH");
        case "--token-env", "--token-file" -> {
          if (tokenOption != null) {
            throw new IllegalArgumentException("give the secret once: " + tokenOption + " or " + option);
          }
          tokenOption = option;
          token = option.equals("--token-env")
              ? fromEnvironment(environment, value, option, "the secret")
              : SecretFile.read(Path.of(value), option, "the secret");
        }
        case "--tls-key" -> throw new IllegalArgumentException("--tls-key would put the private key on the command"
            + " line, where every local user can read it: give --tls-key-file PATH (a file only you can read) or"
            + " --tls-key-env VARIABLE");
        case "--tls-cert", "--tls-cert-env" -> {
          if (certificateOption != null) {
            throw new IllegalArgumentException("give the certificate once: " + certificateOption + " or " + option);
          }
          certificateOption = option + " " + value;
          certificate = option.equals("--tls-cert-env")
              ? fromEnvironment(environment, value, option, "the certificate")
              : SecretFile.text(Path.of(value), option);
        }
        case "--tls-key-file", "--tls-key-env" -> {
          if (privateKeyOption != null) {
            throw new IllegalArgumentException("give the private key once: " + privateKeyOption + " or " + option);
          }
          privateKeyOption = option + " " + value;
          privateKey = option.equals("--tls-key-env")
              ? fromEnvironment(environment, value, option, "the private key")
              : SecretFile.read(Path.of(value), option, "the private key");
        }
        case "--shard" -> shard = number(option, value, 0, Integer.MAX_VALUE);
        case "--checkpoint" -> checkpoint = S3Path.parse(value);
        case "--store-endpoint" -> endpoint = value;
        case "--store-region" -> region = value;
        case "--store-aws" -> store = StoreSpec.aws(value);
        case "--snapshot-every" -> snapshotEvery = number(option, value, 0, Integer.MAX_VALUE);
        case "--restore" -> {
          if (!value.equals("true") && !value.equals("false")) {
            throw new IllegalArgumentException("--restore must be true or false, got " + value);
          }
          restore = Boolean.parseBoolean(value);
        }
        case "--max-frame-bytes" -> maxFrame = number(option, value, ShardConfig.MIN_FRAME_BYTES, Integer.MAX_VALUE);
        case "--kv-max-bytes" -> kvMax = longNumber(option, value, 0);
        case "--max-workers" -> limits = limits.maxWorkers(number(option, value, 1, Integer.MAX_VALUE));
        case "--max-handshakes" -> limits = limits.maxHandshakes(number(option, value, 1, Integer.MAX_VALUE));
        case "--hello-timeout-ms" -> limits = limits.helloTimeoutMillis(number(option, value, 1, Integer.MAX_VALUE));
        case "--io-threads" -> limits = limits.ioThreads(number(option, value, 0, Integer.MAX_VALUE));
        case "--models-max-bytes" -> limits = limits.modelsMaxBytes(longNumber(option, value, 0));
        default -> throw new IllegalArgumentException("unknown option " + option);
      }
    }
    if (endpoint != null) {
      store = StoreSpec.endpoint(URI.create(endpoint), region, environment.get("STRATUS_STORE_ACCESS_KEY"),
          environment.get("STRATUS_STORE_SECRET_KEY"));
    }
    String serializedSpec = environment.get(STORE_SPEC_ENV);
    if (store == null && checkpoint != null && serializedSpec != null) {
      try (ObjectInputStream in =
          new ObjectInputStream(new ByteArrayInputStream(Base64.getDecoder().decode(serializedSpec)))) {
        store = (StoreSpec) in.readObject();
      }
    }
    if (checkpoint != null && store == null) {
      throw new IllegalArgumentException("--checkpoint needs a store: --store-endpoint, --store-aws or "
          + STORE_SPEC_ENV);
    }
    if (snapshotEvery != null && snapshotEvery > 0 && checkpoint == null) {
      throw new IllegalArgumentException("--snapshot-every needs --checkpoint s3://bucket/prefix to snapshot to");
    }
    if (token == null) {
      throw new IllegalArgumentException("a job secret is required: --token-env VARIABLE or --token-file PATH");
    }
    ShardConfig config = ShardConfig.of(token).bind(bind).port(port).advertise(advertise).shard(shard)
        .maxFrameBytes(maxFrame).kvMaxBytes(kvMax).limits(limits)
        .tls(tlsCertificate(certificate, certificateOption, privateKey, privateKeyOption));
    if (checkpoint != null) {
      config = config.checkpoint(checkpoint, store);
      if (snapshotEvery != null) {
        config = config.snapshotEvery(snapshotEvery);
      }
    }
    return new Launch(config, restore);
  }

  /** The shard's certificate and key, both given or neither (null: plain frames). */
  private static ShardCertificate tlsCertificate(String certificate, String certificateOption, String privateKey,
      String privateKeyOption) {
    if (certificate == null && privateKey == null) {
      return null;
    }
    if (privateKey == null) {
      throw new IllegalArgumentException(certificateOption + " needs the certificate's private key too: "
          + "--tls-key-file PATH or --tls-key-env VARIABLE");
    }
    if (certificate == null) {
      throw new IllegalArgumentException(privateKeyOption + " needs the certificate it belongs to: --tls-cert PATH "
          + "or --tls-cert-env VARIABLE");
    }
    try {
      return new ShardCertificate(certificate, privateKey);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(certificateOption + ", " + privateKeyOption + ": " + e.getMessage());
    }
  }

  private static String fromEnvironment(Map<String, String> environment, String variable, String option,
      String what) {
    String value = environment.get(variable);
    if (value == null) {
      throw new IllegalArgumentException("environment variable " + variable + " (" + what + ", " + option
          + ") is not set");
    }
    if (value.isEmpty()) {
      throw new IllegalArgumentException("environment variable " + variable + " (" + what + ", " + option
          + ") is empty");
    }
    return value;
  }

  private static InetSocketAddress address(String option, String value) {
    try {
      return ShardAddress.parse(value);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("option " + option + ": " + e.getMessage());
    }
  }

  private static int number(String option, String value, int min, int max) {
    return (int) longNumber(option, value, min, max);
  }

  private static long longNumber(String option, String value, long min) {
    return longNumber(option, value, min, Long.MAX_VALUE);
  }

  private static long longNumber(String option, String value, long min, long max) {
    String range = "option " + option + " needs a whole number from " + min
        + (max == Integer.MAX_VALUE || max == Long.MAX_VALUE ? " up" : " to " + max) + ", got '" + value + "'";
    long number;
    try {
      number = Long.parseLong(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(range);
    }
    if (number < min || number > max) {
      throw new IllegalArgumentException(range);
    }
    return number;
  }
}
