package dev.stratus.dsl;

import dev.stratus.jobs.train.Shards;
import dev.stratus.jobs.train.TrainingSpec;
import dev.stratus.ps.ShardAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * Where training's parameter-server shards are. By default each training starts its own (in the driver's JVM on the
 * DirectRunner, as processes beside the driver on LambdaRunner); with {@code --psEndpoints} it uses shards already
 * running elsewhere (VMs beside Lambda workers), whose secret it reads from an environment variable, never an option.
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

  @Description("Heap of each parameter-server shard process LambdaRunner starts (a -Xmx value)")
  @Default.String("1g")
  String getPsShardHeap();

  void setPsShardHeap(String heap);

  /**
   * The shards {@code options} name, or {@code spec.psShards()} new ones: processes of their own when {@code
   * processes}, else in this JVM.
   */
  static Shards shards(TrainingOptions options, TrainingSpec spec, boolean processes) throws Exception {
    List<InetSocketAddress> addresses = endpoints(options);
    if (addresses.isEmpty()) {
      return processes ? Shards.processes(spec.psShards(), options.getPsShardHeap()) : Shards.inProcess(spec.psShards());
    }
    String variable = options.getPsTokenVariable();
    String token = variable == null ? null : System.getenv(variable);
    if (token == null || token.isEmpty()) {
      throw new IllegalArgumentException("--psEndpoints names shards, but the environment variable " + variable
          + " (--psTokenVariable) holding their secret is not set");
    }
    return Shards.remote(addresses, token);
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
}
