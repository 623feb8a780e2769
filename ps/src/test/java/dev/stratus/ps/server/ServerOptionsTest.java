package dev.stratus.ps.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.store.S3Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class ServerOptionsTest {
  private static final Map<String, String> SECRET = Map.of("SECRET", "s3cret");

  @Test
  void processOptionsDefaultToLoopbackAndNeedASecret() throws Exception {
    ShardConfig config =
        ServerCommandLine.parse(new String[] {"--token-env", "SECRET", "--shard", "2", "--port", "7070"}, SECRET);
    assertEquals("127.0.0.1", config.bind());
    assertEquals(7070, config.port());
    assertEquals(2, config.shard());
    assertEquals("s3cret", config.token());
    assertEquals(null, config.checkpoint());

    ShardConfig checkpointed = ServerCommandLine.parse(new String[] {"--token-env", "SECRET", "--bind", "0.0.0.0",
        "--checkpoint", "s3://bucket/job", "--store-aws", "eu-west-1", "--snapshot-every", "30"}, SECRET);
    assertEquals("0.0.0.0", checkpointed.bind());
    assertEquals(S3Path.parse("s3://bucket/job"), checkpointed.checkpoint());
    assertEquals(30, checkpointed.snapshotEverySeconds());

    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> ServerCommandLine.parse(new String[] {"--shard", "0"}, SECRET)).getMessage().contains("secret"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> ServerCommandLine.parse(new String[] {"--token-env", "SECRET", "--checkpoint", "s3://b/k"}, SECRET))
        .getMessage().contains("needs a store"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> ServerCommandLine.parse(new String[] {"--token-env", "SECRET", "--bogus", "1"}, SECRET))
        .getMessage().contains("--bogus"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> ServerCommandLine.parse(new String[] {"--token", "s3cret"}, Map.of())).getMessage()
        .contains("--token-env"), "a secret on the command line is refused");
  }
}
