package dev.stratus.topology;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.Socket;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * One client's connection through a {@link DelayProxy}: the client's socket, the one to the target, and a flow each
 * way. A flow's reader timestamps each chunk as it arrives and works out when it may go on; a flow with a one-way
 * latency hands chunks to a writer thread (a delay line) so that data keeps arriving while earlier data waits, one
 * without writes them itself once due. When a side ends its stream, the other side's output is shut once what came
 * before has gone on; once both flows ended, or on any error, both sockets close.
 */
final class Relay {
  /** Read at most this much at a time: at 80 MB/s a chunk is 0.8 ms of the link. */
  private static final int CHUNK_BYTES = 64 * 1024;
  /** What a delay line holds before its reader waits: 4 MB. */
  private static final int LINE_CHUNKS = 64;
  /** How often a thread waiting on a delay line checks whether the relay was aborted. */
  private static final long ABORT_CHECK_MILLIS = 100;

  private final Socket client;
  private final Socket server;
  private final DelayProxy.Options options;
  private final Capture capture;
  private final Executor threads;
  private final Consumer<Relay> onClose;
  private final AtomicInteger openFlows = new AtomicInteger(2);
  private final AtomicBoolean closed = new AtomicBoolean();

  /** When the proxy last received bytes from the client; written before {@link #requestPending} is set. */
  private volatile long lastRequestNanos;
  /** The client sent something since the server's last reply began: the next reply byte is a first byte. */
  private final AtomicBoolean requestPending = new AtomicBoolean();
  /** When the server-to-client link is free again under the bandwidth cap; the downstream reader's alone. */
  private long linkFreeNanos;

  Relay(Socket client, Socket server, DelayProxy.Options options, Capture capture, Executor threads,
      Consumer<Relay> onClose) {
    this.client = client;
    this.server = server;
    this.options = options;
    this.capture = capture;
    this.threads = threads;
    this.onClose = onClose;
  }

  void start() {
    try {
      startFlow(client, server, this::upstreamDue);
      startFlow(server, client, this::downstreamDue);
    } catch (IOException | RejectedExecutionException e) {
      // the proxy is closing
      abort();
    }
  }

  /** Closes both sockets now, whatever is in flight. */
  void abort() {
    if (closed.compareAndSet(false, true)) {
      closeQuietly(client);
      closeQuietly(server);
      onClose.accept(this);
    }
  }

  private void flowEnded() {
    if (openFlows.decrementAndGet() == 0) {
      abort();
    }
  }

  /** When a chunk the client sent may reach the server. */
  private long upstreamDue(long arrivedNanos, int bytes) {
    lastRequestNanos = arrivedNanos;
    requestPending.set(true);
    return arrivedNanos + options.oneWayLatency().toNanos();
  }

  /** When a chunk the server sent may reach the client: a reply's first byte is held, and the link is paced. */
  private long downstreamDue(long arrivedNanos, int bytes) {
    long due = arrivedNanos + options.oneWayLatency().toNanos();
    if (requestPending.getAndSet(false)) {
      due = Math.max(due, lastRequestNanos + options.firstByteDelay().toNanos());
    }
    if (options.bytesPerSecond() > 0) {
      due = Math.max(due, linkFreeNanos);
      linkFreeNanos = due + bytes * 1_000_000_000L / options.bytesPerSecond();
    }
    return due;
  }

  @FunctionalInterface
  private interface Schedule {
    long due(long arrivedNanos, int bytes);
  }

  private void startFlow(Socket from, Socket to, Schedule schedule) throws IOException {
    InputStream in = from.getInputStream();
    Sink sink = options.oneWayLatency().isZero() ? new DirectSink(to) : new DelayLine(to);
    threads.execute(() -> {
      byte[] buffer = new byte[CHUNK_BYTES];
      try {
        for (int read; (read = in.read(buffer)) >= 0; ) {
          long arrived = System.nanoTime();
          if (capture != null) {
            capture.record(buffer, read);
          }
          sink.send(buffer, read, schedule.due(arrived, read));
        }
        sink.end();
      } catch (IOException e) {
        abort(); // reset, closed by the other flow, or the proxy closing
      }
    });
  }

  /** Where a flow's reader puts what it read. */
  private interface Sink {
    /** Passes on {@code length} bytes of {@code buffer} (which the reader reuses) at {@code dueNanos}. */
    void send(byte[] buffer, int length, long dueNanos) throws IOException;

    /** The source ended: shut the destination's output after what was sent. */
    void end() throws IOException;
  }

  /** Writes on the reader's thread: a flow without latency holds data back only by pacing or a reply's hold. */
  private final class DirectSink implements Sink {
    private final Socket to;
    private final OutputStream out;
    private final PreciseWait wait = new PreciseWait();

    DirectSink(Socket to) throws IOException {
      this.to = to;
      this.out = to.getOutputStream();
    }

    @Override
    public void send(byte[] buffer, int length, long dueNanos) throws IOException {
      wait.until(dueNanos);
      out.write(buffer, 0, length);
    }

    @Override
    public void end() throws IOException {
      to.shutdownOutput();
      flowEnded();
    }
  }

  /** A writer thread that passes chunks on at their due times, while the reader goes on reading. */
  private final class DelayLine implements Sink {
    /** Marks the end of the source's stream. */
    private static final Chunk END = new Chunk(new byte[0], 0);

    private final Socket to;
    private final OutputStream out;
    private final BlockingQueue<Chunk> line = new ArrayBlockingQueue<>(LINE_CHUNKS);

    private record Chunk(byte[] bytes, long dueNanos) {}

    DelayLine(Socket to) throws IOException {
      this.to = to;
      this.out = to.getOutputStream();
      threads.execute(this::write);
    }

    @Override
    public void send(byte[] buffer, int length, long dueNanos) throws IOException {
      put(new Chunk(Arrays.copyOf(buffer, length), dueNanos));
    }

    @Override
    public void end() throws IOException {
      put(END);
    }

    private void put(Chunk chunk) throws IOException {
      try {
        while (!line.offer(chunk, ABORT_CHECK_MILLIS, TimeUnit.MILLISECONDS)) {
          if (closed.get()) {
            throw new IOException("the relay was closed");
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while passing data on");
      }
    }

    private void write() {
      PreciseWait wait = new PreciseWait();
      try {
        while (!closed.get()) {
          Chunk chunk = line.poll(ABORT_CHECK_MILLIS, TimeUnit.MILLISECONDS);
          if (chunk == END) {
            to.shutdownOutput();
            flowEnded();
            return;
          }
          if (chunk != null) {
            wait.until(chunk.dueNanos());
            out.write(chunk.bytes());
          }
        }
      } catch (IOException e) {
        abort();
      } catch (InterruptedException e) {
        abort(); // the proxy is closing
      }
    }
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // closing anyway
    }
  }
}
