package dev.stratus.ps;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Throws random and mutated frames at a shard (before and after HELLO), then checks that a correct client still gets
 * right answers and that the shard's memory, threads and connections came back to where they were.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FuzzTest {
  private static final int FRAMES = 12_000;
  private static final int FRAMES_PER_CONNECTION = 3;

  @Test
  void randomAndMutatedFramesNeverHurtTheShard() throws Exception {
    try (Shards shards = Shards.start(1, PsServer.Config.of(Shards.SECRET).maxFrameBytes(1 << 20));
        PsClient ps = shards.client()) {
      PsServer server = shards.servers.get(0);
      InetSocketAddress address = shards.addresses().get(0);
      PsModel model = ps.createModel("fuzzed", ModelSpec.matrix(1000, 3));
      ps.put("kv", new byte[] {1, 2, 3}).get();
      List<byte[]> seeds = validFrames();
      long heapBefore = usedHeapAfterGc();
      int threadsBefore = Thread.activeCount();

      Random random = new Random(42);
      int sent = 0;
      while (sent < FRAMES) {
        try (Socket socket = new Socket()) {
          socket.connect(address, 5000);
          socket.setSoTimeout(5000);
          OutputStream out = socket.getOutputStream();
          boolean authenticate = random.nextInt(4) != 0;
          try {
            if (authenticate) {
              out.write(RawConnection.hello(Shards.SECRET));
            }
            for (int i = 0; i < FRAMES_PER_CONNECTION; i++, sent++) {
              out.write(nextFrame(random, seeds));
            }
            socket.shutdownOutput(); // a frame still waiting for bytes now reads end of stream
            socket.getInputStream().transferTo(OutputStream.nullOutputStream());
          } catch (IOException closedByShard) {
            // expected for most connections: the shard hung up on a bad frame
          }
        }
      }

      // the correct client, connected all along, still gets right answers
      // fuzzed pushes may have moved the fuzzed model by anything, but it still answers; a new model is exact
      assertEquals(3 * 2, ps.pull(model, new int[] {10, 999}).get().length);
      PsModel clean = ps.createModel("after-fuzz", ModelSpec.matrix(1000, 3).learningRate(1f));
      ps.push(clean, new int[] {10, 999}, new float[] {-1, -1, -1, -2, -2, -2}).get();
      assertArrayEquals(new float[] {1, 1, 1, 2, 2, 2}, ps.pull(clean, new int[] {10, 999}).get());
      assertArrayEquals(new byte[] {1, 2, 3}, ps.get("kv").get());

      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (server.metrics().connections() > 1 && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertEquals(1, server.metrics().connections(), "only the correct client is left");
      assertEquals(0, server.metrics().queueDepth());
      long heapGrowth = usedHeapAfterGc() - heapBefore;
      assertTrue(heapGrowth < (64L << 20), "heap grew by " + (heapGrowth >> 20) + " MiB");
      assertTrue(Thread.activeCount() <= threadsBefore + 4, "threads: " + threadsBefore + " -> "
          + Thread.activeCount());
    }
  }

  /** One well-formed frame of every request kind, to mutate. */
  private static List<byte[]> validFrames() {
    List<byte[]> frames = new ArrayList<>();
    int[] keys = {1, 5, 200, 999};
    frames.add(RawConnection.frame(Wire.PULL, 1, f -> KeyCodec.encode(f.i32(0), keys, 0, 4)));
    frames.add(RawConnection.frame(Wire.PUSH, 2, f -> {
      KeyCodec.encode(f.i32(0).u8(1), keys, 0, 4);
      f.floats(new float[12], 0, 12);
    }));
    frames.add(RawConnection.frame(Wire.PULL_RANGE, 3, f -> f.i32(0).i32(0).i32(100)));
    frames.add(RawConnection.frame(Wire.MODEL_STATUS, 4, f -> f.i32(0)));
    frames.add(RawConnection.frame(Wire.KV_PUT, 5, f -> f.str("fuzz/a").bytes(new byte[40])));
    frames.add(RawConnection.frame(Wire.KV_GET, 6, f -> f.str("fuzz/a")));
    frames.add(RawConnection.frame(Wire.KV_MULTI_GET, 7, f -> f.i32(2).str("fuzz/a").str("kv")));
    frames.add(RawConnection.frame(Wire.KV_ADD, 8, f -> f.str("fuzz/sum").floatArray(new float[4])));
    frames.add(RawConnection.frame(Wire.KV_LIST, 9, f -> f.str("fuzz/")));
    frames.add(RawConnection.frame(Wire.KV_DELETE, 10, f -> f.str("fuzz/a")));
    frames.add(RawConnection.frame(Wire.METRICS, 11, f -> {}));
    frames.add(RawConnection.frame(Wire.CREATE_MODEL, 12, f -> {
      f.str("fuzz-model");
      ModelSpec.vector(8).writeTo(f);
      f.i32(0).i32(256);
    }));
    frames.add(RawConnection.hello(Shards.SECRET));
    // an LZ4-compressed push
    FrameOut compressed = new FrameOut(16);
    compressed.begin(Wire.PUSH, 13);
    KeyCodec.encode(compressed.i32(0).u8(1), new int[] {1, 2, 3, 4, 5, 6, 7, 8}, 0, 8);
    compressed.floats(new float[24], 0, 24);
    compressed.end();
    frames.add(compressed.toByteArray());
    return frames;
  }

  private static byte[] nextFrame(Random random, List<byte[]> seeds) {
    byte[] frame = seeds.get(random.nextInt(seeds.size())).clone();
    switch (random.nextInt(7)) {
      case 0 -> { // pure noise
        byte[] noise = new byte[random.nextInt(64)];
        random.nextBytes(noise);
        return noise;
      }
      case 1 -> { // flip a few bits anywhere, length prefix included
        for (int i = 1 + random.nextInt(4); i > 0; i--) {
          frame[random.nextInt(frame.length)] ^= (byte) (1 << random.nextInt(8));
        }
      }
      case 2 -> { // random bytes in the body
        for (int i = 10; i < frame.length; i++) {
          if (random.nextInt(4) == 0) {
            frame[i] = (byte) random.nextInt();
          }
        }
      }
      case 3 -> { // truncated
        return java.util.Arrays.copyOf(frame, random.nextInt(frame.length));
      }
      case 4 -> { // a lying length prefix
        int length = random.nextBoolean() ? random.nextInt() : frame.length - 4 + random.nextInt(9) - 4;
        frame[0] = (byte) (length >>> 24);
        frame[1] = (byte) (length >>> 16);
        frame[2] = (byte) (length >>> 8);
        frame[3] = (byte) length;
      }
      case 5 -> frame[4] = (byte) random.nextInt(); // any opcode
      default -> { } // valid: keeps later frames on the connection meaningful
    }
    return frame;
  }

  private static long usedHeapAfterGc() throws InterruptedException {
    Runtime rt = Runtime.getRuntime();
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(50);
    }
    return rt.totalMemory() - rt.freeMemory();
  }
}
