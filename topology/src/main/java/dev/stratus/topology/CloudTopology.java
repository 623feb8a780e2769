package dev.stratus.topology;

import dev.stratus.jvm.ChildProcess;
import dev.stratus.ps.ShardAddress;
import dev.stratus.ps.server.PsProcesses;
import dev.stratus.ps.server.ShardConfig;
import dev.stratus.store.StoreSpec;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * The paper's deployment on one Linux host: the driver (this JVM, in the host's own network namespace), and a network
 * namespace each for the object store, the parameter-server shards and the Lambda service, with its own loopback
 * and one address on a private /24 shared with the driver through a bridge. Nothing shares a loopback, and nothing
 * has a route beyond the /24: the roles reach each other only through the addresses this topology gave them, where
 * {@link DelayProxy}s make the links look like the cloud's (S3's first-byte delay and bandwidth, a datacenter's
 * round trip to the shards).
 *
 * <pre>{@code
 * Assume.assumeTrue(CloudTopology.unavailableReason(), CloudTopology.unavailableReason() == null);
 * try (CloudTopology cloud = CloudTopology.create()) {
 *   CloudTopology.Store store = cloud.startStore();                       // --storeEndpoint=store.endpoint()
 *   CloudTopology.Shards shards = cloud.startShards(2, secret);             // --psEndpoints=shards.addresses()
 *   CloudTopology.Lambda lambda = cloud.startLambdaService("worker", handler, 1024, 120);
 * }
 * }</pre>
 *
 * <p>Making namespaces takes root and iproute2's {@code ip}; {@link #unavailableReason} says why it cannot be done
 * here, for a test to skip with. {@link #close} stops every process started in the topology, then deletes every
 * namespace, link and file it made, also when a test fails; a shutdown hook closes it if the JVM exits first.
 */
public final class CloudTopology implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CloudTopology.class);
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
  private static final String REGION = "us-east-1";
  private static final int DRIVER_HOST = 1;
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Pattern IPV4_NETWORK = Pattern.compile("(\\d+)\\.(\\d+)\\.(\\d+)\\.(\\d+)(?:/(\\d+))?");
  /** Worked out once: "" when namespaces can be made. */
  private static String cachedUnavailableReason;

  /** What runs in a namespace of its own, each at a fixed host number of the topology's /24. */
  public enum Role {
    STORE(2),
    SHARDS(3),
    LAMBDA(4);

    private final int host;

    Role(int host) {
      this.host = host;
    }

    String shortName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * The store node: {@code spec} reaches it through its delay proxy with its credentials ({@code --storeEndpoint}
   * and keys); {@code directEndpoint} is the server itself, for measuring what the proxy adds.
   */
  public record Store(StoreSpec spec, URI directEndpoint, ChildProcess process) implements AutoCloseable {
    public URI endpoint() {
      return spec.endpoint();
    }

    /** Stops the node before the topology closes. */
    @Override
    public void close() {
      process.close();
    }
  }

  /**
   * The Lambda node: the service's endpoint ({@code --lambdaEndpoint}), the credentials it takes, and the one
   * function registered.
   */
  public record Lambda(URI endpoint, String region, AwsCredentialsProvider credentials, String functionName,
      ChildProcess process) implements AutoCloseable {
    /** Stops the node, and with it its environments, before the topology closes. */
    @Override
    public void close() {
      process.close();
    }
  }

  /**
   * The shards: {@code addresses} are their delay proxies' ({@code --psEndpoints}, see {@link #endpoints}),
   * {@code directAddresses} the shards' own, in the same order; {@code certificateFile} holds the PEM certificate
   * they serve TLS with ({@code --psTrustCertFile}), or is null when they speak plain frames.
   */
  public record Shards(List<InetSocketAddress> addresses, List<InetSocketAddress> directAddresses,
      Path certificateFile, PsProcesses shardProcesses, ChildProcess proxyProcess) implements AutoCloseable {
    /** {@code addresses} as {@code --psEndpoints} takes them: HOST:PORT,HOST:PORT... */
    public String endpoints() {
      return addresses.stream().map(ShardAddress::format).collect(Collectors.joining(","));
    }

    /** Stops the shards and their proxies before the topology closes. */
    @Override
    public void close() {
      shardProcesses.close();
      proxyProcess.close();
    }
  }

  /**
   * A proxy process's relays: {@code addresses}, one per target in the targets' order, are where clients connect.
   */
  public record Proxies(List<InetSocketAddress> addresses, ChildProcess process) implements AutoCloseable {
    /** Stops the proxy process before the topology closes. */
    @Override
    public void close() {
      process.close();
    }
  }

  /** Undoes one step of making the topology. */
  @FunctionalInterface
  private interface Teardown {
    void run() throws IOException;
  }

  private final String id;
  private final byte[] subnet;
  private final Path workDirectory;
  private final Deque<Teardown> teardowns = new ArrayDeque<>();
  private final List<ChildProcess> processes = new CopyOnWriteArrayList<>();
  private final List<PsProcesses> shardGroups = new CopyOnWriteArrayList<>();
  private final AtomicBoolean closed = new AtomicBoolean();
  /**
   * The keys of the topology's one account, made at random: the store and the Lambda service both take them, as one
   * AWS account's keys open both S3 and Lambda (a driver in another process finds them in AWS_ACCESS_KEY_ID and
   * AWS_SECRET_ACCESS_KEY, through the AWS SDK's default chain).
   */
  private final AwsBasicCredentials account = AwsBasicCredentials.create(
      "TOPOLOGY" + HexFormat.of().withUpperCase().formatHex(randomBytes(8)),
      Base64.getEncoder().encodeToString(randomBytes(30)));
  private final Thread shutdownHook = new Thread(this::tearDown, "cloud-topology-teardown");

  private CloudTopology(String id, byte[] subnet, Path workDirectory) {
    this.id = id;
    this.subnet = subnet;
    this.workDirectory = workDirectory;
  }

  /**
   * Why namespaces cannot be made here (not Linux, not root, no {@code ip}, or a trial namespace failed), or null
   * when they can. Worked out once per JVM.
   */
  public static synchronized String unavailableReason() {
    if (cachedUnavailableReason == null) {
      cachedUnavailableReason = findUnavailableReason();
    }
    return cachedUnavailableReason.isEmpty() ? null : cachedUnavailableReason;
  }

  /** The reason, or "" when there is none. */
  private static String findUnavailableReason() {
    String os = System.getProperty("os.name");
    if (!os.equals("Linux")) {
      return "network namespaces need Linux, and this is " + os;
    }
    try {
      Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
      if (!uid.equals(0)) {
        return "making network namespaces needs root, and this JVM runs as uid " + uid;
      }
    } catch (IOException | UnsupportedOperationException e) {
      return "cannot tell this JVM's user from /proc/self: " + e;
    }
    if (Ip.program() == null) {
      return "no ip command (iproute2) on the PATH or in the system directories";
    }
    String trial = "stratus-trial-" + randomId();
    String link = "st-" + randomId() + "-t";
    try {
      Ip.run("netns", "add", trial);
      try {
        Ip.run("link", "add", link, "type", "veth", "peer", "name", "eth0", "netns", trial);
        Ip.run("link", "del", link);
        Ip.run("-n", trial, "link", "set", "lo", "up");
      } finally {
        Ip.run("netns", "del", trial);
      }
      return "";
    } catch (IOException e) {
      return "a trial network namespace failed: " + e.getMessage();
    }
  }

  /**
   * Makes the bridge, with the driver's address, and the three namespaces, each joined to it; on failure, undoes
   * what it made.
   *
   * @throws IOException naming the command that failed and its output
   */
  public static CloudTopology create() throws IOException {
    String reason = unavailableReason();
    if (reason != null) {
      throw new IOException("cannot make a cloud topology: " + reason);
    }
    CloudTopology topology =
        new CloudTopology(randomId(), freeSubnet(), Files.createTempDirectory("stratus-topology-"));
    Runtime.getRuntime().addShutdownHook(topology.shutdownHook);
    try {
      topology.build();
    } catch (IOException | RuntimeException e) {
      topology.close();
      throw e;
    }
    LOG.info("cloud topology {}: driver {}, store {}, shards {}, lambda {}", topology.id,
        topology.driverAddress().getHostAddress(), topology.address(Role.STORE).getHostAddress(),
        topology.address(Role.SHARDS).getHostAddress(), topology.address(Role.LAMBDA).getHostAddress());
    return topology;
  }

  private void build() throws IOException {
    String bridge = bridge();
    create(() -> Ip.run("link", "del", bridge), "link", "add", bridge, "type", "bridge");
    Ip.run("addr", "add", cidr(DRIVER_HOST), "dev", bridge);
    Ip.run("link", "set", bridge, "up");
    for (Role role : Role.values()) {
      String namespace = namespace(role);
      String link = hostLink(role);
      create(() -> deleteNamespace(namespace), "netns", "add", namespace);
      // The namespace's end is made inside it, so it never appears among the host's links.
      create(() -> Ip.run("link", "del", link), "link", "add", link, "type", "veth", "peer", "name", "eth0",
          "netns", namespace);
      Ip.run("link", "set", link, "master", bridge);
      Ip.run("link", "set", link, "up");
      Ip.run("-n", namespace, "addr", "add", cidr(role.host), "dev", "eth0");
      Ip.run("-n", namespace, "link", "set", "eth0", "up");
      Ip.run("-n", namespace, "link", "set", "lo", "up");
    }
  }

  /** Runs a command that makes something, and remembers how to undo it. */
  private void create(Teardown undo, String... command) throws IOException {
    Ip.run(command);
    teardowns.push(undo);
  }

  /** Kills what still runs in a namespace (processes its processes left), then deletes it. */
  private static void deleteNamespace(String namespace) throws IOException {
    for (String pid : Ip.run("netns", "pids", namespace).split("\\s+")) {
      if (!pid.isBlank()) {
        ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroyForcibly);
      }
    }
    Ip.run("netns", "del", namespace);
  }

  /** The driver's address: this JVM's, on the bridge. */
  public InetAddress driverAddress() {
    return hostAddress(DRIVER_HOST);
  }

  /** The keys the store and the Lambda service take (see {@link #account}). */
  public AwsBasicCredentials credentials() {
    return account;
  }

  public InetAddress address(Role role) {
    return hostAddress(role.host);
  }

  /** What runs a command inside the role's namespace. */
  private List<String> namespacePrefix(Role role) {
    return List.of(Ip.program(), "netns", "exec", namespace(role));
  }

  /** The role's network namespace, as {@code ip netns} names it. */
  public String namespace(Role role) {
    return "stratus-" + id + "-" + role.shortName();
  }

  /** The links this topology made in the host's namespace: the bridge, then each role's end of its veth pair. */
  public List<String> hostLinks() {
    return Stream.concat(Stream.of(bridge()), Stream.of(Role.values()).map(this::hostLink)).toList();
  }

  public List<String> namespaces() {
    return Stream.of(Role.values()).map(this::namespace).toList();
  }

  /**
   * Starts {@code process} inside {@code role}'s namespace ({@code ip netns exec}, which becomes the process), and
   * stops it when the topology closes. The builder's secrets stay in its environment. The builder gets the namespace
   * as its command prefix: start another process from a builder of its own.
   */
  public ChildProcess startIn(Role role, ChildProcess.Builder process) throws IOException {
    if (closed.get()) {
      throw new IllegalStateException("cloud topology " + id + " is closed");
    }
    ChildProcess child = process.commandPrefix(namespacePrefix(role).toArray(String[]::new)).start();
    processes.add(child);
    return child;
  }

  /** {@link #startStore(DelayProxy.Options)} with S3's delays ({@link DelayProxy.Options#s3()}). */
  public Store startStore() throws IOException {
    return startStore(DelayProxy.Options.s3());
  }

  /** Starts a store node, taking the {@link #credentials account's keys}, behind a proxy with {@code proxy}'s delays. */
  public Store startStore(DelayProxy.Options proxy) throws IOException {
    return startStore(proxy, Files.createDirectories(workDirectory.resolve("store")));
  }

  /**
   * As {@link #startStore(DelayProxy.Options)}, serving the buckets in {@code data}: an embedded store's directory
   * (a benchmark's prepared data, say), which the topology neither empties nor deletes.
   */
  public Store startStore(DelayProxy.Options proxy, Path data) throws IOException {
    String accessKey = account.accessKeyId();
    String secretKey = account.secretAccessKey();
    ChildProcess node = startIn(Role.STORE, StoreNode.process(address(Role.STORE), data, proxy, accessKey, secretKey)
        .readyWhen(StoreNode.READY_LINE, START_TIMEOUT));
    StoreNode.Endpoints endpoints = StoreNode.Endpoints.parse(node.ready());
    return new Store(StoreSpec.endpoint(endpoints.proxied(), REGION, accessKey, secretKey), endpoints.direct(),
        node);
  }

  /**
   * Starts a Lambda node, taking the {@link #credentials account's keys}, with one function, {@code functionName},
   * running {@code handler} from this JVM's class path.
   */
  public Lambda startLambdaService(String functionName, String handler, int memoryMb, int timeoutSeconds)
      throws IOException {
    return startLambdaService(Map.of(functionName, handler), memoryMb, timeoutSeconds);
  }

  /**
   * As {@link #startLambdaService(String, String, int, int)}, with a function for each entry of {@code handlers}
   * (name to handler); the handle's {@code functionName} is the first name in the map's order.
   */
  public Lambda startLambdaService(Map<String, String> handlers, int memoryMb, int timeoutSeconds)
      throws IOException {
    AwsBasicCredentials credentials = account;
    ChildProcess node = startIn(Role.LAMBDA, LambdaNode.process(address(Role.LAMBDA), handlers, memoryMb,
            timeoutSeconds, credentials)
        .readyWhen(LambdaNode.READY_LINE, START_TIMEOUT));
    return new Lambda(URI.create(node.ready()), REGION, StaticCredentialsProvider.create(credentials),
        handlers.keySet().iterator().next(), node);
  }

  /** {@link #startShards(int, String, boolean, DelayProxy.Options, String)}: TLS, a datacenter's latency, 512 MB each. */
  public Shards startShards(int count, String token) throws IOException {
    return startShards(count, token, true, DelayProxy.Options.datacenter(), "512m");
  }

  /**
   * Starts {@code count} shard processes ({@link PsProcesses}) taking the job secret {@code token}, serving TLS with a
   * certificate made now when {@code tls} (a cloud deployment's shards are across a network the job does not own),
   * with heap {@code heap} (a -Xmx value), and one proxy process relaying to each with {@code proxy}'s delays.
   */
  public Shards startShards(int count, String token, boolean tls, DelayProxy.Options proxy, String heap)
      throws IOException {
    if (closed.get()) {
      throw new IllegalStateException("cloud topology " + id + " is closed");
    }
    InetAddress address = address(Role.SHARDS);
    ShardConfig template = ShardConfig.of(token).bind(address.getHostAddress());
    Path certificateFile = null;
    if (tls) {
      template = template.tlsSelfSigned();
      certificateFile = workDirectory.resolve("shards-" + RANDOM.nextInt(1 << 30) + ".pem");
      Files.writeString(certificateFile, template.tls().certificatePem());
    }
    // PsProcesses composes the shards' command lines and secrets; here they only start inside the namespace.
    PsProcesses shards = PsProcesses.start(count, template, heap, List.of(), namespacePrefix(Role.SHARDS), null);
    shardGroups.add(shards);
    List<InetSocketAddress> direct = shards.addresses();
    Proxies proxies = startProxies(Role.SHARDS, direct, proxy);
    return new Shards(proxies.addresses(), direct, certificateFile, shards, proxies.process());
  }

  /**
   * Starts one proxy process in {@code role}'s namespace, relaying from a free port of the role's address to each of
   * {@code targets} with {@code options}' delays: a server of the caller's own (a benchmark's Redis, say) reached
   * over the same link as the topology's.
   */
  public Proxies startProxies(Role role, List<InetSocketAddress> targets, DelayProxy.Options options)
      throws IOException {
    ChildProcess process = startIn(role, DelayProxy.process(address(role), targets, options)
        .readyWhen(DelayProxy.READY_LINE, START_TIMEOUT));
    return new Proxies(DelayProxy.listening(process.ready()), process);
  }

  /**
   * Stops every process started in the topology (SIGTERM together, SIGKILL after their grace), then deletes its
   * namespaces, links and files. Tries every step; throws at the end if one failed, naming it.
   */
  @Override
  public void close() {
    try {
      tearDown();
    } finally {
      try {
        Runtime.getRuntime().removeShutdownHook(shutdownHook);
      } catch (IllegalStateException e) {
        // the JVM is exiting and runs the hook itself
      }
    }
  }

  private void tearDown() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    shardGroups.forEach(PsProcesses::close);
    ChildProcess.closeAll(processes);
    List<String> failures = new ArrayList<>();
    while (!teardowns.isEmpty()) {
      try {
        teardowns.pop().run();
      } catch (IOException e) {
        failures.add(e.getMessage());
      }
    }
    try (Stream<Path> files = Files.walk(workDirectory)) {
      files.sorted(Comparator.reverseOrder()).forEach(file -> file.toFile().delete());
    } catch (IOException e) {
      failures.add("cannot delete " + workDirectory + ": " + e);
    }
    if (!failures.isEmpty()) {
      throw new IllegalStateException("cloud topology " + id + " was not wholly removed: "
          + String.join("; ", failures));
    }
  }

  private String bridge() {
    return "st-" + id + "-br";
  }

  /** The host's end of a role's veth pair; at most 15 characters, as Linux wants. */
  private String hostLink(Role role) {
    return "st-" + id + "-" + role.shortName().substring(0, 3);
  }

  private String cidr(int host) {
    return hostAddress(host).getHostAddress() + "/24";
  }

  private InetAddress hostAddress(int host) {
    try {
      return InetAddress.getByAddress(new byte[] {subnet[0], subnet[1], subnet[2], (byte) host});
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e); // four bytes are always an address
    }
  }

  /** Six hex digits: names stay unique per instance and within Linux's 15 characters for a link. */
  private static String randomId() {
    return HexFormat.of().formatHex(randomBytes(3));
  }

  private static byte[] randomBytes(int count) {
    byte[] bytes = new byte[count];
    RANDOM.nextBytes(bytes);
    return bytes;
  }

  /** A 10.x.y.0/24 that overlaps no address or route of this host. */
  private static byte[] freeSubnet() throws IOException {
    List<long[]> used = new ArrayList<>();
    String listed = Ip.run("-4", "-o", "addr", "show") + "\n" + Ip.run("-4", "route", "show", "table", "all");
    Matcher network = IPV4_NETWORK.matcher(listed);
    while (network.find()) {
      long address = 0;
      for (int octet = 1; octet <= 4; octet++) {
        address = address << 8 | Integer.parseInt(network.group(octet));
      }
      used.add(new long[] {address, network.group(5) == null ? 32 : Integer.parseInt(network.group(5))});
    }
    for (int attempt = 0; attempt < 100; attempt++) {
      byte[] candidate = {10, (byte) (1 + RANDOM.nextInt(254)), (byte) RANDOM.nextInt(256)};
      long start = 10L << 24 | (candidate[1] & 0xffL) << 16 | (candidate[2] & 0xffL) << 8;
      if (used.stream().noneMatch(taken -> overlaps(start, 24, taken[0], (int) taken[1]))) {
        return candidate;
      }
    }
    throw new IOException("found no 10.x.y.0/24 that this host's addresses and routes leave free: " + listed);
  }

  private static boolean overlaps(long first, int firstPrefix, long second, int secondPrefix) {
    int prefix = Math.min(firstPrefix, secondPrefix);
    long mask = prefix == 0 ? 0 : (0xffffffffL << (32 - prefix)) & 0xffffffffL;
    return (first & mask) == (second & mask);
  }

  @Override
  public String toString() {
    return "cloud topology " + id + " on " + hostAddress(0).getHostAddress() + "/24";
  }
}
