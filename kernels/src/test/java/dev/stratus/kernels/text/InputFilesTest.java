package dev.stratus.kernels.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import dev.stratus.store.StoreSpec;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InputFilesTest {
  @TempDir Path dir;

  @Test
  void expandsFilesDirectoriesGlobsAndPrefixes() throws Exception {
    for (String name : List.of("day_0.tsv", "day_1.tsv", "other.txt", ".hidden", "_SUCCESS")) {
      Files.writeString(dir.resolve(name), "x");
    }
    String d = dir.toString();
    assertEquals(List.of(d + "/day_0.tsv"), InputFiles.expand(d + "/day_0.tsv", () -> null));
    assertEquals(List.of(d + "/day_0.tsv", d + "/day_1.tsv", d + "/other.txt"), InputFiles.expand(d, () -> null));
    assertEquals(List.of(d + "/day_0.tsv", d + "/day_1.tsv"), InputFiles.expand(d + "/day_*.tsv", () -> null));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> InputFiles.expand(d + "/nope.tsv", () -> null));
    assertTrue(e.getMessage().contains("no input files at '" + d + "/nope.tsv'"), e.getMessage());

    ObjectStore store = ObjectStore.of(StoreSpec.embedded(dir.resolve("store")));
    store.ensureBucket("inputs");
    for (String key : List.of("raw/a.tsv", "raw/b.tsv", "raw/sub/c.tsv", "rawer/d.tsv")) {
      store.put(S3Path.parse("s3://inputs/" + key), new byte[] {'1'});
    }
    assertEquals(List.of("s3://inputs/raw/a.tsv", "s3://inputs/raw/b.tsv"),
        InputFiles.expand("s3://inputs/raw", () -> store));
    assertEquals(List.of("s3://inputs/raw/b.tsv"), InputFiles.expand("s3://inputs/raw/b*", () -> store));
    assertEquals(List.of("s3://inputs/raw/a.tsv"), InputFiles.expand("s3://inputs/raw/a.tsv", () -> store));
    assertThrows(IllegalArgumentException.class, () -> InputFiles.expand("s3://inputs/none", () -> store));
    store.put(S3Path.parse("s3://inputs/big.txt"), "0123456789".getBytes(StandardCharsets.UTF_8));
    try (InputStream in = InputFiles.open("s3://inputs/big.txt", 4, () -> store)) {
      assertEquals("456789", new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
    assertEquals(List.of(new FileRange("s3://inputs/big.txt", 0, 4), new FileRange("s3://inputs/big.txt", 4, 8),
        new FileRange("s3://inputs/big.txt", 8, Long.MAX_VALUE)),
        InputFiles.ranges(List.of("s3://inputs/big.txt"), 4, () -> store));
    assertEquals(List.of(new FileRange("s3://inputs/big.txt", 0, 5), new FileRange("s3://inputs/big.txt", 5,
        Long.MAX_VALUE)), InputFiles.ranges(List.of("s3://inputs/big.txt"), 6, () -> store), "as few, of one size");
    Path gz = dir.resolve("rows.svm.gz");
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz))) {
      out.write("1 1:1\n".getBytes(StandardCharsets.UTF_8));
    }
    try (InputStream in = InputFiles.open(gz.toString(), () -> null)) {
      assertEquals("1 1:1\n", new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
    assertEquals("day", InputFiles.baseName("data/day_*.tsv"));
    assertEquals("train", InputFiles.baseName("s3://b/x/train.txt.gz"));
  }
}
