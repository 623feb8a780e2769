package dev.stratus.ps.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.ps.ModelSpec;
import dev.stratus.ps.PsException;
import dev.stratus.ps.server.RawConnection;
import dev.stratus.ps.server.ShardConfig;
import dev.stratus.ps.server.Shards;
import dev.stratus.ps.wire.Handshake;
import dev.stratus.ps.wire.Wire;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BadInputTest {

  private static String failure(CompletableFuture<?> future) throws Exception {
    Throwable error = future.handle((v, e) -> e).get(10, TimeUnit.SECONDS);
    assertTrue(error != null, "expected the call to fail");
    return error.getMessage();
  }

  @Test
  void wrongOrMissingSecretIsRefusedAndClosed() throws Exception {
    try (Shards shards = Shards.start(1)) {
      PsException distrusted =
          assertThrows(PsException.class, () -> PsClient.connect(shards.addresses(), "not-the-secret"));
      assertTrue(distrusted.getMessage().contains("or a different secret"), distrusted.getMessage());

      try (RawConnection raw = new RawConnection(shards.addresses().get(0))) {
        raw.send(RawConnection.frame(Wire.PING, 1, f -> {})); // no HELLO first
        RawConnection.Reply reply = raw.read();
        assertTrue(reply.error().contains("authenticate first"), reply.error());
        assertTrue(raw.closedByPeer());
      }
      try (RawConnection raw = new RawConnection(shards.addresses().get(0))) {
        raw.hello(Handshake.nonce());
        raw.send(RawConnection.frame(Wire.PING, 1, f -> {})); // HELLO, but no PROOF
        RawConnection.Reply reply = raw.read();
        assertTrue(reply.error().contains("authenticate first"), reply.error());
        assertTrue(raw.closedByPeer());
      }
      try (RawConnection raw = new RawConnection(shards.addresses().get(0))) {
        assertTrue(raw.authenticate("wrong").error().contains("wrong secret"));
        assertTrue(raw.closedByPeer());
      }
      try (PsClient ps = shards.client()) {
        assertEquals(1, ps.metrics().get().get(0).connections());
      }
    }
  }

  @Test
  void badRequestsGetErrorRepliesAndTheConnectionLives() throws Exception {
    try (Shards shards = Shards.start(2); PsClient ps = shards.client()) {
      PsModel model = ps.createModel("v", ModelSpec.vector(10));
      PsModel unknown = new PsModel("ghost", ModelSpec.vector(10), new int[] {7, 7}, PsModel.rowBounds(1024, 2));
      assertTrue(failure(ps.pull(unknown, new int[] {1})).contains("unknown model id 7"));
      assertTrue(failure(ps.push(unknown, new int[] {1}, new float[1])).contains("unknown model id 7"));

      // a model the client believes larger than it is: the shard refuses the key
      PsModel tooBig = new PsModel("v", ModelSpec.vector(11), new int[] {0, 0}, PsModel.rowBounds(2048, 2));
      String outOfRange = failure(ps.pull(tooBig, new int[] {2000}));
      assertTrue(outOfRange.contains("key 2000 is out of range"), outOfRange);
      assertTrue(failure(ps.push(model, new int[] {5, 1}, new float[2])).contains("strictly ascending"));
      assertTrue(failure(ps.push(model, new int[] {1, 5}, new float[3])).contains("need 2 gradient floats"));
      assertTrue(failure(ps.add("vec", new float[2]).thenCompose(v -> ps.add("vec", new float[3])))
          .contains("cannot add 3 floats"));

      // the same mistakes sent raw, past the client's own checks
      try (RawConnection raw = new RawConnection(shards.addresses().get(0))) {
        assertEquals(Wire.REPLY_OK, raw.authenticate(Shards.SECRET).opcode());
        raw.send(RawConnection.frame(Wire.PUSH, 5, f -> {
          f.i32(0).u8(1).keys(new int[] {1, 2}, 0, 2);
          f.f32(1f); // one float for two keys
        }));
        RawConnection.Reply reply = raw.read();
        assertEquals(5, reply.requestId());
        assertTrue(reply.error().contains("has 2 keys x 1 cols but 1.0 gradient values"), reply.error());
        raw.send(RawConnection.frame(Wire.PULL, 6, f -> f.i32(0).keys(new int[] {600}, 0, 1)));
        assertTrue(raw.read().error().contains("out of range")); // row 600 lives on shard 1
        raw.send(RawConnection.frame(Wire.CREATE_MODEL, 7, f -> {
          f.str("huge");
          f.spec(ModelSpec.vector(30));
          f.i32(0).i32(1 << 30);
        }));
        assertTrue(raw.read().error().contains("MiB"));
        raw.send(RawConnection.frame(Wire.CREATE_MODEL, 8, f -> {
          f.str("nan");
          f.i32(16).i32(1).u8(0).f32(0.1f).f32(0f).f32(0f).f32(Float.NaN); // FrameOut.spec's layout, initScale NaN
          f.i32(0).i32(16);
        }));
        String badScale = raw.read().error();
        assertTrue(badScale.contains("initScale must be finite and >= 0") && badScale.contains("NaN"), badScale);
        raw.send(RawConnection.frame(Wire.PING, 9, f -> {}));
        assertEquals(Wire.REPLY_OK, raw.read().opcode());
      }
      ps.push(model, new int[] {1, 1000}, new float[] {-1, -2}).get();
      assertArrayEquals(new float[] {0.1f, 0.2f}, ps.pull(model, new int[] {1, 1000}).get(), 1e-7f);
      assertEquals(List.of("vec"), ps.list("").get());
    }
  }

  @Test
  void malformedFramesCloseOnlyTheirConnection() throws Exception {
    try (Shards shards = Shards.start(1, ShardConfig.of(Shards.SECRET).maxFrameBytes(1 << 16));
        PsClient ps = shards.client()) {
      PsModel model = ps.createModel("v", ModelSpec.vector(10));
      byte[][] bad = {
        {0, 0, 0, 2, 1, 2}, // shorter than a header
        {0x7f, 0, 0, 0}, // 2 GB announced
        {0, 1, 0, 1}, // above the 64 KiB limit
        RawConnection.frame((byte) 99, 1, f -> {}), // unknown opcode
        RawConnection.frame(Wire.PULL, 1, f -> f.i32(0).varint(1000)), // 1000 keys announced, none sent
        RawConnection.frame(Wire.KV_PUT, 1, f -> f.i32(50).i32(0)), // a string longer than the frame
      };
      for (byte[] frame : bad) {
        try (RawConnection raw = new RawConnection(shards.addresses().get(0))) {
          raw.authenticate(Shards.SECRET);
          raw.send(frame);
          assertTrue(raw.closedByPeer(), "closed after " + java.util.Arrays.toString(frame));
        }
      }
      try (RawConnection raw = new RawConnection(shards.addresses().get(0))) {
        raw.authenticate(Shards.SECRET);
        raw.send(new byte[] {0, 0, 0, 20, Wire.PING, 0}); // truncated: the peer goes away mid-frame
      }
      assertArrayEquals(new float[1], ps.pull(model, new int[] {3}).get());
    }
  }
}
