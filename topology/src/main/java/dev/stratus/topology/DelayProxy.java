package dev.stratus.topology;

import dev.stratus.jvm.ChildJvm;
import dev.stratus.jvm.ChildProcess;
import dev.stratus.jvm.DaemonThreadFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TCP relay in user space that makes a fast local link look like a remote one: it listens on one address and
 * relays each connection to a target, holding data back as {@link Options} say. Per connection, a reply's first byte
 * waits until {@code firstByteDelay} after the request that preceded it (on a kept-alive connection too: every time
 * the client spoke since the server last did, the server's next byte is a reply's first), the server-to-client
 * direction is paced to {@code bytesPerSecond}, and every chunk either way is late by {@code oneWayLatency}. It runs
 * inside a JVM or as a process ({@link #main}).
 *
 * <p>The delays are measured from when the proxy read the bytes, and kept to within some microseconds: a chunk waits
 * by parking, then spinning its last stretch. Each connection costs two threads, four with a one-way latency.
 */
public final class DelayProxy implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DelayProxy.class);

  /** What {@link #main} prints once it listens, followed by its addresses, comma-separated. */
  public static final String READY_LINE = "STRATUS_DELAY_PROXY_LISTENING ";
  private static final String RELAY = "--relay";
  private static final int CONNECT_TIMEOUT_MILLIS = 10_000;
  private static final long STOP_WAIT_SECONDS = 5;

  /**
   * How a proxy holds data back; zero means not at all.
   *
   * @param firstByteDelay how long after a request the first byte of its reply may reach the client
   * @param bytesPerSecond the cap on server-to-client bytes per connection; 0 for none
   * @param oneWayLatency how late every chunk arrives, either way
   * @param capture a file to which every relayed byte is appended; null for none
   */
  public record Options(Duration firstByteDelay, long bytesPerSecond, Duration oneWayLatency, Path capture) {
    private static final String FIRST_BYTE_DELAY = "--first-byte-delay-us";
    private static final String BYTES_PER_SECOND = "--bytes-per-second";
    private static final String ONE_WAY_LATENCY = "--one-way-latency-us";
    private static final String CAPTURE = "--capture";
    static final Set<String> NAMES = Set.of(FIRST_BYTE_DELAY, BYTES_PER_SECOND, ONE_WAY_LATENCY, CAPTURE);

    public Options {
      Objects.requireNonNull(firstByteDelay, "firstByteDelay");
      Objects.requireNonNull(oneWayLatency, "oneWayLatency");
      if (firstByteDelay.isNegative() || oneWayLatency.isNegative() || bytesPerSecond < 0) {
        throw new IllegalArgumentException("delays and the bandwidth cap cannot be negative: " + firstByteDelay
            + ", " + oneWayLatency + ", " + bytesPerSecond + " bytes/s");
      }
    }

    /** Relays as fast as it can: what the proxy itself costs. */
    public static Options none() {
      return new Options(Duration.ZERO, 0, Duration.ZERO, null);
    }

    /** One S3 connection as seen from the same region: 20 ms to a reply's first byte, 80 MB/s. */
    public static Options s3() {
      return none().withFirstByteDelay(Duration.ofMillis(20)).withBytesPerSecond(80_000_000);
    }

    /** A link inside one datacenter: 150 µs each way, a 0.3 ms round trip. */
    public static Options datacenter() {
      return none().withOneWayLatency(Duration.ofNanos(150_000));
    }

    public Options withFirstByteDelay(Duration delay) {
      return new Options(delay, bytesPerSecond, oneWayLatency, capture);
    }

    public Options withBytesPerSecond(long cap) {
      return new Options(firstByteDelay, cap, oneWayLatency, capture);
    }

    public Options withOneWayLatency(Duration latency) {
      return new Options(firstByteDelay, bytesPerSecond, latency, capture);
    }

    public Options withCapture(Path file) {
      return new Options(firstByteDelay, bytesPerSecond, oneWayLatency, file);
    }

    /** What it imitates, for a benchmark's setting line: "20 ms to first byte, 80 MB/s a connection", say. */
    public String describe() {
      List<String> parts = new ArrayList<>();
      if (!firstByteDelay.isZero()) {
        parts.add(String.format(Locale.ROOT, "%.0f ms to first byte", firstByteDelay.toNanos() / 1e6));
      }
      if (bytesPerSecond > 0) {
        parts.add(String.format(Locale.ROOT, "%.0f MB/s a connection", bytesPerSecond / 1e6));
      }
      if (!oneWayLatency.isZero()) {
        parts.add(String.format(Locale.ROOT, "%.0f µs each way", oneWayLatency.toNanos() / 1e3));
      }
      return parts.isEmpty() ? "no delay" : String.join(", ", parts);
    }

    /** The command-line options that give a proxy process these options ({@link #from} reads them). */
    List<String> arguments() {
      List<String> arguments = new ArrayList<>(List.of(
          FIRST_BYTE_DELAY, String.valueOf(firstByteDelay.toNanos() / 1000),
          BYTES_PER_SECOND, String.valueOf(bytesPerSecond),
          ONE_WAY_LATENCY, String.valueOf(oneWayLatency.toNanos() / 1000)));
      if (capture != null) {
        arguments.addAll(List.of(CAPTURE, capture.toAbsolutePath().toString()));
      }
      return arguments;
    }

    static Options from(Arguments arguments) {
      String capture = arguments.optional(CAPTURE, null);
      return new Options(Duration.ofNanos(arguments.number(FIRST_BYTE_DELAY, 0) * 1000),
          arguments.number(BYTES_PER_SECOND, 0),
          Duration.ofNanos(arguments.number(ONE_WAY_LATENCY, 0) * 1000),
          capture == null ? null : Path.of(capture));
    }
  }

  private final ServerSocket listener;
  private final InetSocketAddress target;
  private final Options options;
  private final Capture capture;
  private final ExecutorService threads = Executors.newCachedThreadPool(new DaemonThreadFactory("delay-proxy"));
  private final Set<Relay> relays = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  private DelayProxy(ServerSocket listener, InetSocketAddress target, Options options, Capture capture) {
    this.listener = listener;
    this.target = target;
    this.options = options;
    this.capture = capture;
    threads.execute(this::accept);
  }

  /** Listens on {@code listen} (port 0: a free one) and relays each connection to {@code target}. */
  public static DelayProxy start(InetSocketAddress listen, InetSocketAddress target, Options options)
      throws IOException {
    ServerSocket listener = new ServerSocket();
    try {
      listener.bind(listen);
    } catch (IOException e) {
      listener.close();
      throw new IOException("a delay proxy cannot listen on " + Arguments.format(listen) + ": " + e.getMessage(), e);
    }
    try {
      Capture capture = options.capture() == null ? null : new Capture(options.capture());
      return new DelayProxy(listener, target, options, capture);
    } catch (IOException e) {
      listener.close();
      throw new IOException("a delay proxy cannot write its capture to " + options.capture() + ": " + e.getMessage(),
          e);
    }
  }

  /** Where clients connect. */
  public InetSocketAddress address() {
    return (InetSocketAddress) listener.getLocalSocketAddress();
  }

  private void accept() {
    while (!closed) {
      Socket client;
      try {
        client = listener.accept();
      } catch (IOException e) {
        if (!closed) {
          LOG.warn("{} stops accepting: {}", this, e.toString());
        }
        return;
      }
      try {
        // Connects on a thread of its own, so a slow target holds up no other client.
        threads.execute(() -> relay(client));
      } catch (RejectedExecutionException closing) {
        closeQuietly(client);
        return;
      }
    }
  }

  private void relay(Socket client) {
    Socket server = new Socket();
    try {
      client.setTcpNoDelay(true);
      server.setTcpNoDelay(true);
      server.connect(target, CONNECT_TIMEOUT_MILLIS);
    } catch (IOException e) {
      LOG.warn("{} cannot reach its target for {}: {}", this, client.getRemoteSocketAddress(), e.toString());
      closeQuietly(client);
      closeQuietly(server);
      return;
    }
    Relay relay = new Relay(client, server, options, capture, threads, relays::remove);
    relays.add(relay);
    if (closed) {
      relay.abort();
    } else {
      relay.start();
    }
  }

  /** Stops listening, closes every connection and waits for the proxy's threads to end. */
  @Override
  public void close() {
    closed = true;
    closeQuietly(listener);
    List.copyOf(relays).forEach(Relay::abort);
    threads.shutdownNow();
    try {
      if (!threads.awaitTermination(STOP_WAIT_SECONDS, TimeUnit.SECONDS)) {
        LOG.warn("{}: threads still running {} s after close", this, STOP_WAIT_SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (capture != null) {
      closeQuietly(capture);
    }
  }

  @Override
  public String toString() {
    return "delay proxy " + Arguments.format(address()) + " -> " + Arguments.format(target);
  }

  private static void closeQuietly(AutoCloseable closeable) {
    try {
      closeable.close();
    } catch (Exception e) {
      // closing anyway
    }
  }

  /**
   * A proxy process's command line: one relay from a free port of {@code listen} to each of {@code targets}, all
   * with {@code options}. Its ready line lists the relays' addresses in the order of the targets.
   */
  static ChildProcess.Builder process(InetAddress listen, List<InetSocketAddress> targets, Options options) {
    List<String> arguments = new ArrayList<>();
    for (InetSocketAddress target : targets) {
      arguments.addAll(List.of(RELAY, Arguments.format(new InetSocketAddress(listen, 0)) + "="
          + Arguments.format(target)));
    }
    arguments.addAll(options.arguments());
    return ChildJvm.mainClass(DelayProxy.class)
        .jvmOptions("-Xmx128m")
        .arguments(arguments)
        .name("delay proxy");
  }

  /** The addresses a ready proxy process printed. */
  static List<InetSocketAddress> listening(String ready) {
    return Arrays.stream(ready.split(",")).map(address -> Arguments.socketAddress(RELAY, address)).toList();
  }

  /**
   * Runs proxies until stopped: {@code --relay LISTEN=TARGET} (each {@code ADDRESS:PORT}, a listening port of 0 picks
   * a free one; repeatable, one proxy each) with {@code --first-byte-delay-us N}, {@code --bytes-per-second N},
   * {@code --one-way-latency-us N}, {@code --capture FILE} for all of them. Prints {@value #READY_LINE} and the
   * addresses it listens on, in the order of the relays.
   */
  public static void main(String[] args) throws InterruptedException {
    Set<String> names = new HashSet<>(Options.NAMES);
    names.add(RELAY);
    NodeMain.run("DelayProxy", args, names, arguments -> {
      Options options = Options.from(arguments);
      List<AutoCloseable> proxies = new ArrayList<>();
      List<String> listening = new ArrayList<>();
      try {
        for (String relay : arguments.all(RELAY)) {
          int equals = relay.indexOf('=');
          if (equals < 0) {
            throw new IllegalArgumentException("--relay needs LISTEN=TARGET, got '" + relay + "'");
          }
          DelayProxy proxy = start(Arguments.socketAddress(RELAY, relay.substring(0, equals)),
              Arguments.socketAddress(RELAY, relay.substring(equals + 1)), options);
          proxies.add(proxy);
          listening.add(Arguments.format(proxy.address()));
        }
      } catch (IOException | RuntimeException e) {
        proxies.forEach(DelayProxy::closeQuietly);
        throw e;
      }
      if (proxies.isEmpty()) {
        throw new IllegalArgumentException("give at least one --relay LISTEN=TARGET");
      }
      return new NodeMain.Started(READY_LINE + String.join(",", listening), proxies);
    });
  }
}
