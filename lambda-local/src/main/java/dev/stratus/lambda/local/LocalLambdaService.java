package dev.stratus.lambda.local;

import com.sun.net.httpserver.HttpServer;
import dev.stratus.jvm.ClassDataArchives;
import dev.stratus.jvm.DaemonThreadFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.LambdaClientBuilder;

/**
 * An embedded AWS Lambda, on loopback unless told otherwise: Lambda's Invoke API and a minimal function-management API
 * for the AWS SDK's {@link LambdaClient} (reached through {@code endpointOverride} only), and Lambda's Runtime API for
 * execution environments that are JVMs running the real AWS runtime interface client.
 *
 * <pre>{@code
 * try (LocalLambdaService lambda = LocalLambdaService.start()) {
 *   lambda.registerFunction(FunctionSpec.of("worker", "dev.stratus.Worker", classpath).withMemoryMb(512));
 *   try (LambdaClient client = lambda.clientBuilder().build()) {
 *     InvokeResponse response = client.invoke(r -> r.functionName("worker").payload(SdkBytes.fromUtf8String("{}")));
 *   }
 * }
 * }</pre>
 *
 * <p>It models memory per function (the environment's heap), the timeout (the environment is killed and the call
 * answers Lambda's {@code Task timed out after N seconds}), the account's concurrency cap (429
 * TooManyRequestsException), warm reuse of idle environments, cold starts (counted in {@link #stats}, and reported
 * as {@code Init Duration} in the log tail's REPORT line, as Lambda does) and log tails. Closing it, or the JVM's
 * exit, destroys every environment process.
 *
 * <p>Only this JVM drives it, or the one that gave it its credentials: the API takes requests signed with
 * {@link #credentialsProvider()}, made at random when it starts unless given, and each environment's Runtime API only
 * that environment's process.
 */
public final class LocalLambdaService implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LocalLambdaService.class);
  static final String ACCOUNT_ID = "000000000000";

  static {
    // The JDK's HTTP server otherwise waits on Nagle's algorithm: 40 ms on every small Runtime API exchange.
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true");
    }
  }

  /** Where an environment's handler runs. */
  public enum EnvironmentMode {
    /** A JVM per environment running the AWS runtime interface client: the handler runs as it would on Lambda. */
    PROCESS,
    /** A thread of this JVM per environment: starts in milliseconds; for large conformance suites. */
    IN_PROCESS
  }

  /**
   * How the service runs.
   *
   * @param port the API's port; 0 picks a free one
   * @param concurrencyLimit concurrent invocations across all functions before 429 (Lambda's regional default is
   *     1,000; here each environment is a JVM)
   * @param idleTimeout how long an idle environment stays warm before it is destroyed
   * @param initTimeout how long a new environment may take to ask for its first invocation
   * @param jvmOptions options of each environment's JVM besides its heap limit
   * @param region the region the functions' ARNs and AWS_REGION name
   * @param bindAddress the address the API listens on (loopback by default). The environments' Runtime APIs stay on
   *     loopback whatever it is: environments are processes of this host, and nothing else may reach them.
   * @param classData where process environments' class-data archives are kept from service to service (the first
   *     environment of some code records one, later ones start from it, as Lambda SnapStart starts from a snapshot);
   *     null for none, every environment loading its classes itself
   */
  public record Config(int port, int concurrencyLimit, EnvironmentMode environmentMode, Duration idleTimeout,
      Duration initTimeout, List<String> jvmOptions, String region, InetAddress bindAddress, Path classData) {

    public Config {
      jvmOptions = List.copyOf(jvmOptions);
      Objects.requireNonNull(bindAddress, "bindAddress");
      if (concurrencyLimit < 1) {
        throw new IllegalArgumentException("the concurrency limit must be positive, not " + concurrencyLimit);
      }
    }

    /**
     * Fast-starting environment JVMs (serial GC, C1 only, class-data sharing of the JDK's classes and of the code's,
     * whose archives are kept in {@code stratus-lambda-class-data} under the temporary directory), as Lambda tunes
     * its own.
     */
    public static Config defaults() {
      return new Config(0, 64, EnvironmentMode.PROCESS, Duration.ofMinutes(5), Duration.ofSeconds(30),
          List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-XX:-UsePerfData"),
          "us-east-1", InetAddress.getLoopbackAddress(),
          Path.of(System.getProperty("java.io.tmpdir"), "stratus-lambda-class-data"));
    }

    public Config withPort(int newPort) {
      return new Config(newPort, concurrencyLimit, environmentMode, idleTimeout, initTimeout, jvmOptions,
          region, bindAddress, classData);
    }

    public Config withConcurrencyLimit(int limit) {
      return new Config(port, limit, environmentMode, idleTimeout, initTimeout, jvmOptions, region,
          bindAddress, classData);
    }

    public Config withEnvironmentMode(EnvironmentMode mode) {
      return new Config(port, concurrencyLimit, mode, idleTimeout, initTimeout, jvmOptions, region,
          bindAddress, classData);
    }

    public Config withIdleTimeout(Duration timeout) {
      return new Config(port, concurrencyLimit, environmentMode, timeout, initTimeout, jvmOptions, region,
          bindAddress, classData);
    }

    public Config withInitTimeout(Duration timeout) {
      return new Config(port, concurrencyLimit, environmentMode, idleTimeout, timeout, jvmOptions, region,
          bindAddress, classData);
    }

    public Config withJvmOptions(List<String> options) {
      return new Config(port, concurrencyLimit, environmentMode, idleTimeout, initTimeout, options,
          region, bindAddress, classData);
    }

    public Config withRegion(String newRegion) {
      return new Config(port, concurrencyLimit, environmentMode, idleTimeout, initTimeout, jvmOptions,
          newRegion, bindAddress, classData);
    }

    /** Another address of this host than loopback, for clients on other hosts (or in other namespaces). */
    public Config withBindAddress(InetAddress address) {
      return new Config(port, concurrencyLimit, environmentMode, idleTimeout, initTimeout, jvmOptions, region,
          address, classData);
    }

    public Config withClassData(Path directory) {
      return new Config(port, concurrencyLimit, environmentMode, idleTimeout, initTimeout, jvmOptions, region,
          bindAddress, directory);
    }
  }

  /** How a synchronous invocation ended, with the log tail Lambda would return for {@code LogType=Tail}. */
  record InvokeResult(String requestId, CallOutcome outcome, byte[] logTail) {}

  /** How long closing waits for an environment that stops rather than dies (one recording class data). */
  private static final Duration ENVIRONMENT_END = Duration.ofSeconds(30);

  private final Config config;
  private final Path workDirectory;
  private final Map<String, LambdaFunction> functions = new ConcurrentHashMap<>();
  /** Every environment started and not yet seen dead, whatever became of its function: close destroys them all. */
  private final Set<ExecutionEnvironment> environments = ConcurrentHashMap.newKeySet();
  private final Semaphore concurrency;
  private final AtomicLong revisions = new AtomicLong();
  private final AtomicLong environmentIds = new AtomicLong();
  private final ExecutorService apiThreads = Executors.newCachedThreadPool(new DaemonThreadFactory("lambda-api"));
  private final ExecutorService runtimeThreads = Executors.newCachedThreadPool(new DaemonThreadFactory("lambda-runtime-api"));
  private final ScheduledExecutorService reaper = Executors.newSingleThreadScheduledExecutor(new DaemonThreadFactory("lambda-reaper"));
  private final Thread shutdownHook = new Thread(this::shutDown, "lambda-service-shutdown");
  private final ProcessLauncher launcher;
  private final RequestSignatures signatures;
  private final HttpServer server;
  private volatile boolean closed;

  private LocalLambdaService(Config config, RequestSignatures signatures) throws IOException {
    this.config = config;
    this.concurrency = new Semaphore(config.concurrencyLimit());
    this.signatures = signatures;
    this.workDirectory = Files.createTempDirectory("stratus-lambda-");
    try {
      this.launcher = config.environmentMode() == EnvironmentMode.PROCESS
          ? new ProcessLauncher(config.jvmOptions(), workDirectory, config.region(),
              config.classData() == null ? null : new ClassDataArchives(config.classData()))
          : null;
      this.server = HttpServer.create(new InetSocketAddress(config.bindAddress(), config.port()), 64);
    } catch (IOException | RuntimeException e) {
      deleteRecursively(workDirectory);
      throw e;
    }
    Runtime.getRuntime().addShutdownHook(shutdownHook);
    server.setExecutor(apiThreads);
    server.createContext(LambdaApi.PREFIX, new LambdaApi(this, signatures));
    server.start();
    long sweep = Math.max(1, Math.min(30, config.idleTimeout().toSeconds() / 2));
    reaper.scheduleWithFixedDelay(this::destroyIdleEnvironments, sweep, sweep, TimeUnit.SECONDS);
  }

  /** Starts a service with {@link Config#defaults()}. */
  public static LocalLambdaService start() {
    return start(Config.defaults());
  }

  /** Starts a service that accepts only credentials made at random now ({@link #credentialsProvider()}). */
  public static LocalLambdaService start(Config config) {
    return start(config, RequestSignatures.generate(config.region()));
  }

  /**
   * Starts a service that accepts only {@code credentials}: for a service in another process, whose creator signs
   * its requests with credentials it chose and handed to it (in its environment, never on its command line).
   */
  public static LocalLambdaService start(Config config, AwsBasicCredentials credentials) {
    return start(config, RequestSignatures.of(credentials, config.region()));
  }

  private static LocalLambdaService start(Config config, RequestSignatures signatures) {
    try {
      LocalLambdaService service = new LocalLambdaService(config, signatures);
      LOG.info("local Lambda service at {} ({} environments, up to {} concurrent), working in {}",
          service.endpoint(), config.environmentMode(), config.concurrencyLimit(), service.workDirectory);
      return service;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the local Lambda service", e);
    }
  }

  /** The URI to give the SDK's {@code endpointOverride}. */
  public URI endpoint() {
    try {
      return new URI("http", null, config.bindAddress().getHostAddress(), server.getAddress().getPort(), null, null,
          null);
    } catch (URISyntaxException e) {
      throw new IllegalStateException("no URI for " + server.getAddress(), e);
    }
  }

  public Config config() {
    return config;
  }

  /**
   * The only credentials the service accepts: made at random when it started, and known only to this JVM, unless its
   * creator gave them. Every request must be SigV4-signed with them; {@link #clientBuilder()} does so.
   */
  public AwsCredentialsProvider credentialsProvider() {
    return StaticCredentialsProvider.create(signatures.credentials());
  }

  /**
   * A client builder set for this service: its endpoint and region, its {@linkplain #credentialsProvider()
   * credentials}, and a read timeout above Lambda's 900-second maximum so long synchronous calls are not cut short.
   */
  public LambdaClientBuilder clientBuilder() {
    return LambdaClient.builder()
        .endpointOverride(endpoint())
        .region(Region.of(config.region()))
        .credentialsProvider(credentialsProvider())
        .httpClient(UrlConnectionHttpClient.builder()
            .socketTimeout(Duration.ofSeconds(LambdaLimits.MAX_TIMEOUT_SECONDS + 60))
            .build());
  }

  /**
   * Registers {@code spec} as a function whose environments run its classpath, or replaces the function of that
   * name (its environments are then retired, as after an update on Lambda).
   *
   * @return the function's ARN
   */
  public String registerFunction(FunctionSpec spec) {
    checkOpen();
    Deployment deployment = Deployment.of(spec, revisions.incrementAndGet());
    functions.compute(spec.name(), (name, existing) -> {
      if (existing == null) {
        return new LambdaFunction(deployment);
      }
      existing.redeploy(deployment);
      return existing;
    });
    return arn(spec.name());
  }

  /** Deletes a function and destroys its environments; false if there was none of that name. */
  public boolean deleteFunction(String name) {
    LambdaFunction function = functions.remove(name);
    if (function == null) {
      return false;
    }
    function.destroyAll();
    return true;
  }

  public boolean hasFunction(String name) {
    return functions.containsKey(name);
  }

  public FunctionStats stats(String name) {
    return function(name).stats();
  }

  /**
   * The invocations {@code name}'s environments are running now, each with its environment's process, its payload
   * and its log: what an operator, or a fault-injection test, looks at to choose an environment to watch or kill.
   */
  public List<BusyInvocation> busyInvocations(String name) {
    return function(name).busy().stream().map(ExecutionEnvironment::running).filter(Objects::nonNull).toList();
  }

  /** Environments alive now across all functions. */
  public int liveEnvironments() {
    return functions.values().stream().mapToInt(function -> function.stats().liveEnvironments()).sum();
  }

  public String arn(String name) {
    return "arn:aws:lambda:" + config.region() + ":" + ACCOUNT_ID + ":function:" + name;
  }

  LambdaFunction function(String name) {
    LambdaFunction function = functions.get(name);
    if (function == null) {
      throw ApiException.notFound("Function not found: " + arn(name));
    }
    return function;
  }

  void createFunction(Deployment deployment) {
    checkOpen();
    if (functions.putIfAbsent(deployment.name(), new LambdaFunction(deployment)) != null) {
      throw ApiException.conflict("Function already exist: " + deployment.name());
    }
  }

  long nextRevision() {
    return revisions.incrementAndGet();
  }

  /** A fresh directory for one revision of a function's unpacked code. */
  Path codeDirectory(String name, long revision) {
    return workDirectory.resolve("code").resolve(name + "-" + revision);
  }

  /** Runs a synchronous invocation, or refuses it with 429 at the concurrency cap. */
  InvokeResult invoke(LambdaFunction function, byte[] payload) {
    if (!concurrency.tryAcquire()) {
      function.countThrottle();
      throw ApiException.throttled();
    }
    try {
      return run(function, payload);
    } finally {
      concurrency.release();
    }
  }

  /** Queues an event invocation: like Lambda, it waits for concurrency instead of being throttled. */
  void invokeAsync(LambdaFunction function, byte[] payload) {
    apiThreads.execute(() -> {
      try {
        concurrency.acquire();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      try {
        if (!closed) {
          run(function, payload);
        }
      } catch (RuntimeException e) {
        LOG.warn("event invocation of {} failed", function.deployment().name(), e);
      } finally {
        concurrency.release();
      }
    });
  }

  private InvokeResult run(LambdaFunction function, byte[] payload) {
    checkOpen();
    String name = function.deployment().name();
    if (functions.get(name) != function) {
      throw ApiException.notFound("Function not found: " + arn(name) + " (deleted while the call waited)");
    }
    ExecutionEnvironment environment = function.takeIdle();
    boolean cold = environment == null;
    if (cold) {
      environment = startEnvironment(function.deployment());
      function.started(environment);
    }
    function.countStart(cold);
    long logStart = cold ? 0 : environment.log.position();
    PendingCall invocation = new PendingCall(payload, arn(environment.deployment.name()));
    CallOutcome outcome;
    try {
      outcome = environment.invoke(invocation, logStart);
    } catch (RuntimeException e) {
      function.retire(environment);
      throw e;
    }
    byte[] tail = environment.log.tail(logStart, LambdaLimits.LOG_TAIL_BYTES);
    Duration duration =
        invocation.pickedUp.isDone() ? Duration.ofNanos(System.nanoTime() - invocation.pickedUpNanos()) : Duration.ZERO;
    function.countOutcome(cold, outcome, environment.initDuration(), duration);
    function.release(environment);
    return new InvokeResult(invocation.requestId, outcome, tail);
  }

  private ExecutionEnvironment startEnvironment(Deployment deployment) {
    String id = deployment.name() + "-" + environmentIds.incrementAndGet();
    Path directory = workDirectory.resolve("environments").resolve(id);
    try {
      Files.createDirectories(directory);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    EnvironmentLog log = new EnvironmentLog(directory.resolve("log.txt"));
    ExecutionEnvironment environment = launcher == null
        ? new InProcessEnvironment(deployment, id, log, config.initTimeout())
        : new ProcessEnvironment(deployment, id, log, config.initTimeout(), launcher, directory, runtimeThreads);
    environments.add(environment);
    return environment;
  }

  private void destroyIdleEnvironments() {
    Instant cutoff = Instant.now().minus(config.idleTimeout());
    functions.values().forEach(function -> function.destroyIdleSince(cutoff));
    environments.removeIf(ExecutionEnvironment::ended);
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("the local Lambda service is closed");
    }
  }

  /** Stops the API and destroys every environment; nothing it started keeps running. */
  @Override
  public void close() {
    shutDown();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // the JVM is already shutting down and runs the hook itself
    }
  }

  private synchronized void shutDown() {
    if (closed) {
      return;
    }
    closed = true;
    server.stop(0);
    reaper.shutdownNow();
    functions.values().forEach(LambdaFunction::destroyAll);
    functions.clear();
    environments.forEach(ExecutionEnvironment::destroy);
    // an environment recording class data writes its archive as it stops: gone, with its archive, before close returns
    environments.forEach(environment -> environment.awaitEnd(ENVIRONMENT_END));
    environments.clear();
    apiThreads.shutdownNow();
    runtimeThreads.shutdownNow();
    deleteRecursively(workDirectory);
  }

  private static void deleteRecursively(Path root) {
    try (Stream<Path> paths = Files.walk(root)) {
      paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException e) {
      LOG.warn("cannot delete {}", root, e);
    }
  }
}
