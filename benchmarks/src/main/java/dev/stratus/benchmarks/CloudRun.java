package dev.stratus.benchmarks;

import dev.stratus.benchmarks.ps.RedisServer;
import dev.stratus.runner.lambda.LambdaRunnerOptions;
import dev.stratus.topology.CloudTopology;
import dev.stratus.topology.DelayProxy;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.lambda.LambdaClient;

/**
 * A benchmark's {@link Topology#CLOUD} deployment: a {@link CloudTopology} with a store node serving the benchmark's
 * own store directory behind S3's delays ({@link DelayProxy.Options#s3()}), a Lambda node with the benchmark's
 * functions, and, when asked, parameter-server shards serving TLS behind a datacenter's round trip, whose secret the
 * driver reads from an owner-only file, and a Redis server beside them ({@link #startRedis}). {@link #runnerArguments}
 * and {@link #configure} point LambdaRunner at them.
 */
public final class CloudRun implements AutoCloseable {
  private final CloudTopology topology;
  private final CloudTopology.Store store;
  private final CloudTopology.Lambda lambda;
  private final CloudTopology.Shards shards;
  private final Path tokenFile;
  private RedisServer redis;

  private CloudRun(CloudTopology topology, CloudTopology.Store store, CloudTopology.Lambda lambda,
      CloudTopology.Shards shards, Path tokenFile) {
    this.topology = topology;
    this.store = store;
    this.lambda = lambda;
    this.shards = shards;
    this.tokenFile = tokenFile;
  }

  /**
   * Makes the topology, serving {@code storeDirectory} (an embedded store's directory), with the functions
   * {@code handlers} (name to handler) and {@code shardCount} shards (none when 0); says on stdout where each part
   * runs. Fails with the reason when namespaces cannot be made here (root and iproute2 are needed).
   */
  public static CloudRun start(Path storeDirectory, Map<String, String> handlers, int memoryMb, int timeoutSeconds,
      int shardCount) throws IOException {
    String unavailable = CloudTopology.unavailableReason();
    if (unavailable != null) {
      throw new IllegalStateException("--topology cloud needs network namespaces: " + unavailable);
    }
    CloudTopology topology = CloudTopology.create();
    try {
      CloudTopology.Store store = topology.startStore(DelayProxy.Options.s3(), storeDirectory);
      CloudTopology.Lambda lambda = topology.startLambdaService(handlers, memoryMb, timeoutSeconds);
      CloudTopology.Shards shards = null;
      Path tokenFile = null;
      if (shardCount > 0) {
        String token = HexFormat.of().formatHex(new SecureRandom().generateSeed(32));
        tokenFile = Files.createTempFile("stratus-ps-token", "",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tokenFile, token);
        shards = topology.startShards(shardCount, token);
      }
      System.out.printf("cloud topology: store %s (%s), Lambda service %s, %s%n", store.endpoint(),
          DelayProxy.Options.s3().describe(), lambda.endpoint(),
          shards == null ? "no shards" : shards.addresses().size() + " shards over TLS at " + shards.endpoints()
              + " (" + DelayProxy.Options.datacenter().describe() + ")");
      return new CloudRun(topology, store, lambda, shards, tokenFile);
    } catch (IOException | RuntimeException e) {
      topology.close();
      throw e;
    }
  }

  /**
   * LambdaRunner's options for this deployment: the store, the Lambda service and the shards, and as many attempts at
   * once as this machine has cores, as LambdaRunner's default gives a Lambda service on this machine (the
   * environments share them, wherever their network is).
   */
  public List<String> runnerArguments() {
    List<String> args = new ArrayList<>(List.of("--runner=LambdaRunner",
        "--storeEndpoint=" + store.endpoint(), "--storeRegion=" + store.spec().region(),
        "--lambdaEndpoint=" + lambda.endpoint(), "--lambdaRegion=" + lambda.region(),
        "--maxConcurrency=" + Runtime.getRuntime().availableProcessors()));
    if (shards != null) {
      args.addAll(List.of("--psEndpoints=" + shards.endpoints(), "--psTrustCertFile=" + shards.certificateFile(),
          "--psTokenFile=" + tokenFile));
    }
    return args;
  }

  /** Sets what {@link #runnerArguments} leaves out, since options can not carry it through JSON: the keys. */
  public void configure(LambdaRunnerOptions options) {
    options.setStoreAccessKey(store.spec().accessKey());
    options.setStoreSecretKey(store.spec().secretKey());
    options.setLambdaCredentials(lambda.credentials());
  }

  /** A client of the Lambda service, for benchmarks that invoke functions themselves. */
  public LambdaClient lambdaClient() {
    return LambdaClient.builder()
        .endpointOverride(lambda.endpoint())
        .region(Region.of(lambda.region()))
        .credentialsProvider(lambda.credentials())
        .build();
  }

  public CloudTopology.Store store() {
    return store;
  }

  /**
   * Starts a {@code redis-server} from {@code binary} where the shards run, in their namespace and behind a proxy
   * with their datacenter delays, and says where on stdout. Returns the proxy's address, which the driver and the
   * workers both use, as they do the shards'.
   */
  public InetSocketAddress startRedis(String binary) throws IOException, InterruptedException {
    if (redis != null) {
      throw new IllegalStateException("Redis already runs at " + redis.address);
    }
    CloudTopology.Role shards = CloudTopology.Role.SHARDS;
    redis = new RedisServer(binary, topology.address(shards), process -> topology.startIn(shards, process));
    CloudTopology.Proxies proxy =
        topology.startProxies(shards, List.of(redis.address), DelayProxy.Options.datacenter());
    InetSocketAddress address = proxy.addresses().get(0);
    System.out.printf("cloud topology: redis-server in the shards' namespace at %s:%d, reached through a proxy at"
        + " %s:%d (%s)%n", redis.address.getHostString(), redis.address.getPort(), address.getHostString(),
        address.getPort(), DelayProxy.Options.datacenter().describe());
    return address;
  }

  @Override
  public void close() throws IOException {
    try {
      topology.close();
    } finally {
      if (redis != null) {
        redis.close(); // stopped with the topology; this removes its directory
      }
      if (tokenFile != null) {
        Files.deleteIfExists(tokenFile);
      }
    }
  }
}
