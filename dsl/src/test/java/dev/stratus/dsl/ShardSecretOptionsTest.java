package dev.stratus.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.stratus.jobs.train.Shards;
import dev.stratus.jobs.train.TrainingSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where a driver finds the secret of the shards {@code --psEndpoints} names: a file only its owner may read
 * ({@code --psTokenFile}), or else an environment variable ({@code --psTokenVariable}); never the command line.
 */
class ShardSecretOptionsTest {
  private static final TrainingSpec ONE_SHARD = LogisticRegression.withValidationSet(null).psShards(1).spec();
  /** Shards never dialled here: the options are only read. */
  private static final String SHARDS = "--psEndpoints=10.1.2.3:7070";

  @Test
  void theSecretComesFromAFileOnlyItsOwnerReads(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("token"), "s3cr3t-from-a-file\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    assertEquals("s3cr3t-from-a-file", token(SHARDS, "--psTls=OFF", "--psTokenFile=" + file),
        "the file's text without its line break, over any variable");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    assertEquals("--psTokenFile " + file + " may be read or changed by others than its owner (rw-r--r--): chmod 600 "
        + file, refused(SHARDS, "--psTls=OFF", "--psTokenFile=" + file));
  }

  @Test
  void withoutAFileTheSecretComesFromTheVariable() throws Exception {
    assertEquals(System.getenv("PATH"), token(SHARDS, "--psTls=OFF", "--psTokenVariable=PATH"));
    assertEquals("--psEndpoints names shards, but the environment variable STRATUS_TEST_NEVER_SET (--psTokenVariable)"
        + " holding their secret is not set, and no --psTokenFile is given",
        refused(SHARDS, "--psTls=OFF", "--psTokenVariable=STRATUS_TEST_NEVER_SET"));
  }

  private static String token(String... args) throws Exception {
    try (Shards shards = TrainingOptions.shards(options(args), ONE_SHARD)) {
      return shards.access().token();
    }
  }

  private static String refused(String... args) {
    return assertThrows(IllegalArgumentException.class,
        () -> TrainingOptions.shards(options(args), ONE_SHARD)).getMessage();
  }

  private static TrainingOptions options(String... args) {
    return PipelineOptionsFactory.fromArgs(args).as(TrainingOptions.class);
  }
}
