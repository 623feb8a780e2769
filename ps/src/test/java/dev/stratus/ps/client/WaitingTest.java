package dev.stratus.ps.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.ps.ModelSpec;
import dev.stratus.ps.wire.FrameOut;
import dev.stratus.ps.wire.FrameReader;
import dev.stratus.ps.wire.Wire;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A caller blocked on a reply costs nothing until it comes: no thread of the client wakes to look. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WaitingTest {
  private static final int FAST_PULLS = 50;
  private static final long SLOW_REPLY_MILLIS = 2000;

  @Test
  void whileACallerWaitsLongForItsReplyTheConnectionsReaderStaysAsleep() throws Exception {
    try (ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      CompletableFuture<Void> server = CompletableFuture.runAsync(() -> fastThenSlow(listener));
      InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.getLocalPort());
      Set<String> before = threadsNamed("ps-client-");
      try (PsClient ps = PsClient.connect(List.of(address), "any")) {
        PsModel model = new PsModel("fake", ModelSpec.vector(10), new int[] {0}, new int[] {0, 1024});
        Set<String> threads = threadsNamed("ps-client-");
        threads.removeAll(before); // this connection's reader
        threads.addAll(threadsNamed("ps-client-reade")); // StandingReaders' one thread, maybe older
        long switchesBefore = voluntarySwitches(threads);
        // Back to back, as a worker calls: the caller reads its own replies, the background reader stepped aside.
        for (int pull = 1; pull <= FAST_PULLS; pull++) {
          assertArrayEquals(new float[] {pull}, ps.pull(model, new int[] {1}).join());
        }
        assertArrayEquals(new float[] {FAST_PULLS + 1}, ps.pull(model, new int[] {2}).join());
        long wakeUps = voluntarySwitches(threads) - switchesBefore;
        assertTrue(wakeUps < 200, "the client's threads " + threads + " woke " + wakeUps + " times in " + FAST_PULLS + " quick "
            + "calls and one the caller waited " + SLOW_REPLY_MILLIS + " ms for: it polls (a timed park of 1 ms "
            + "wakes about 2,000 times in that wait)");
      }
      server.get(10, TimeUnit.SECONDS);
    }
  }

  /** A stand-in shard: {@link #FAST_PULLS} pulls answered at once, the next after {@link #SLOW_REPLY_MILLIS}. */
  private static void fastThenSlow(ServerSocket listener) {
    try (Socket socket = listener.accept()) {
      InputStream in = socket.getInputStream();
      OutputStream out = socket.getOutputStream();
      StandInHandshake.accept(in, out, "any", 1 << 20);
      FrameReader frames = new FrameReader(1024, null);
      FrameOut replies = new FrameOut(Integer.MAX_VALUE);
      for (int pull = 1; pull <= FAST_PULLS + 1; pull++) {
        frames.read(in, Integer.MAX_VALUE);
        if (pull > FAST_PULLS) {
          Thread.sleep(SLOW_REPLY_MILLIS);
        }
        replies.clear();
        replies.begin(Wire.REPLY_OK, frames.requestId()).f32(pull).end();
        replies.writeTo(out);
        out.flush();
      }
      in.read(); // until the client closes
    } catch (Exception e) {
      throw new RuntimeException(e);
    }
  }

  /** The Linux tasks of this JVM whose thread names, cut to 15 characters, start so. */
  private static Set<String> threadsNamed(String prefix) throws IOException {
    Set<String> tasks = new TreeSet<>();
    File[] all = new File("/proc/self/task").listFiles();
    for (File task : all == null ? new File[0] : all) {
      try {
        if (Files.readString(new File(task, "comm").toPath()).startsWith(prefix)) {
          tasks.add(task.getName());
        }
      } catch (IOException e) {
        boolean ended = !task.exists() || "No such process".equals(e.getMessage()); // ESRCH: it is exiting
        if (!ended) {
          throw e;
        }
      }
    }
    return tasks;
  }

  private static long voluntarySwitches(Set<String> tasks) throws IOException {
    long sum = 0;
    for (String task : tasks) {
      for (String line : Files.readAllLines(Path.of("/proc/self/task", task, "status"))) {
        if (line.startsWith("voluntary_ctxt_switches:")) {
          sum += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
        }
      }
    }
    return sum;
  }
}
