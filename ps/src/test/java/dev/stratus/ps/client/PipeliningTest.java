package dev.stratus.ps.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stratus.ps.ModelSpec;
import dev.stratus.ps.server.Shards;
import dev.stratus.ps.wire.FrameOut;
import dev.stratus.ps.wire.FrameReader;
import dev.stratus.ps.wire.Wire;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PipeliningTest {

  @Test
  void manyRequestsInFlightOnOneConnectionAllComplete() throws Exception {
    try (Shards shards = Shards.start(2); PsClient ps = shards.client()) {
      PsModel model = ps.createModel("pipelined", ModelSpec.vector(12).learningRate(1f));
      List<CompletableFuture<Void>> pushes = new ArrayList<>();
      for (int i = 0; i < 5000; i++) {
        pushes.add(ps.push(model, new int[] {i % 4096}, new float[] {-1f}));
      }
      List<CompletableFuture<float[]>> pulls = new ArrayList<>();
      for (int i = 0; i < 2000; i++) {
        pulls.add(ps.pull(model, new int[] {i % 4096}));
      }
      CompletableFuture.allOf(pushes.toArray(CompletableFuture[]::new)).get();
      CompletableFuture.allOf(pulls.toArray(CompletableFuture[]::new)).get();
      float[] all = ps.pullAll(model).get();
      for (int k = 0; k < 4096; k++) {
        assertEquals(k < 5000 - 4096 ? 2f : 1f, all[k], "row " + k);
      }
      // requests on one connection are served in order: each pull saw every push sent before it
      for (int i = 0; i < 2000; i++) {
        assertEquals(i < 5000 - 4096 ? 2f : 1f, pulls.get(i).get()[0]);
      }
    }
  }

  /**
   * Threads sharing one connection, some blocking in join() (and so reading replies themselves), some in timed
   * get() or callbacks only (served by the background reader): every call completes, and every value is right.
   */
  @Test
  void joinersTimedWaitersAndCallbacksShareOneConnection() throws Exception {
    try (Shards shards = Shards.start(1); PsClient ps = shards.client()) {
      PsModel model = ps.createModel("shared", ModelSpec.vector(10).learningRate(1f));
      int rounds = 2000;
      java.util.concurrent.atomic.AtomicInteger callbacks = new java.util.concurrent.atomic.AtomicInteger();
      List<Thread> threads = new ArrayList<>();
      List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
      for (int t = 0; t < 3; t++) {
        int style = t;
        Thread thread = new Thread(() -> {
          try {
            for (int i = 0; i < rounds; i++) {
              int[] key = {style};
              switch (style) {
                case 0 -> ps.push(model, key, new float[] {-1f}).join();
                case 1 -> ps.push(model, key, new float[] {-1f}).get(10, TimeUnit.SECONDS);
                default -> ps.push(model, key, new float[] {-1f}).thenRun(callbacks::incrementAndGet);
              }
              if (i % 100 == 0) {
                ps.pull(model, key).join();
              }
            }
          } catch (Throwable e) {
            failures.add(e);
          }
        });
        threads.add(thread);
        thread.start();
      }
      for (Thread thread : threads) {
        thread.join(30_000);
      }
      assertEquals(List.of(), failures);
      assertArrayEquals(new float[] {rounds, rounds, rounds}, ps.pull(model, new int[] {0, 1, 2}).get());
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (callbacks.get() < rounds && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertEquals(rounds, callbacks.get());
    }
  }

  /** A stand-in shard that answers a batch of pulls in reverse order, to prove replies are matched by id. */
  @Test
  void outOfOrderRepliesAreMatchedByRequestId() throws Exception {
    int requests = 50;
    try (ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      CompletableFuture<Void> server = CompletableFuture.runAsync(() -> reverseServer(listener, requests));
      InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.getLocalPort());
      try (PsClient ps = PsClient.connect(List.of(address), "any")) {
        PsModel model = new PsModel("fake", ModelSpec.vector(10), new int[] {0}, new int[] {0, 1024});
        List<CompletableFuture<float[]>> pulls = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
          pulls.add(ps.pull(model, new int[] {i, i + 100}));
        }
        server.get(20, TimeUnit.SECONDS);
        for (int i = 0; i < requests; i++) {
          // the stand-in answers each pull with its first key, negated, in both slots
          assertArrayEquals(new float[] {-i, -i}, pulls.get(i).get(5, TimeUnit.SECONDS), "pull " + i);
        }
      }
    }
  }

  private static void reverseServer(ServerSocket listener, int requests) {
    try (Socket socket = listener.accept()) {
      InputStream in = socket.getInputStream();
      OutputStream out = socket.getOutputStream();
      StandInHandshake.accept(in, out, "any", 1 << 20);
      FrameReader frames = new FrameReader(1024, null);
      FrameOut replies = new FrameOut(Integer.MAX_VALUE);
      int[] ids = new int[requests];
      int[] firstKeys = new int[requests];
      for (int i = 0; i < requests; i++) {
        frames.read(in, Integer.MAX_VALUE);
        assertEquals(Wire.PULL, frames.opcode());
        ids[i] = frames.requestId();
        frames.body.i32(); // model id
        firstKeys[i] = frames.body.keys(new int[8])[1];
      }
      for (int i = requests - 1; i >= 0; i--) {
        replies.begin(Wire.REPLY_OK, ids[i]).f32(-firstKeys[i]).f32(-firstKeys[i]).end();
      }
      replies.writeTo(out);
      out.flush();
    } catch (Exception e) {
      throw new RuntimeException(e);
    }
  }
}
