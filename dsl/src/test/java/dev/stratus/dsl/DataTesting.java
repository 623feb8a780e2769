package dev.stratus.dsl;

import static org.junit.Assert.assertThrows;

import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.dataset.Dataset;
import dev.stratus.kernels.dataset.DatasetManifest;
import dev.stratus.kernels.dataset.DatasetReader;
import dev.stratus.kernels.dataset.DatasetWriter;
import dev.stratus.kernels.generate.PlantedData;
import dev.stratus.kernels.generate.PlantedRatings;
import dev.stratus.spi.StoreOptions;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/** What the DSL's tests share: one embedded store in a temporary directory, options naming it, small helpers. */
final class DataTesting {
  static final Path DIR = createTempDirectory();

  private DataTesting() {}

  static StoreOptions options(String... args) {
    List<String> all = new ArrayList<>(List.of("--dataDir=" + DIR.resolve("store"), "--runner=DirectRunner"));
    all.addAll(List.of(args));
    return PipelineOptionsFactory.fromArgs(all.toArray(String[]::new)).as(StoreOptions.class);
  }

  static Pipeline pipeline(String... args) {
    return Pipeline.create(options(args));
  }

  static ObjectStore store() {
    return ObjectStore.of(StoreOptions.spec(options()));
  }

  static Path file(String name, String content) {
    try {
      Path file = DIR.resolve("inputs").resolve(name);
      Files.createDirectories(file.getParent());
      return Files.writeString(file, content);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Writes {@code data} under {@code root} in the tests bucket: its training rows as {@code train}, the first half of
   * its held-out rows as {@code validation} (what a monitor watches), the second half as {@code test}; returns those.
   */
  static List<SparseRow> writePlanted(String root, PlantedData data) {
    return writeHalvingHeldOut(root, DatasetManifest.template(data.features, List.of(), "planted", null), data.train,
        data.test);
  }

  /** Writes planted ratings as {@link #writePlanted} writes rows: users and items are the features. */
  static List<SparseRow> writePlantedRatings(String root, PlantedRatings data) {
    DatasetManifest ratings =
        DatasetManifest.template(data.users + data.items, List.of(), "planted ratings", null).withUsers(data.users);
    return writeHalvingHeldOut(root, ratings, data.train, data.test);
  }

  /** Writes {@code train}, the first half of {@code heldOut} as validation and the second as test; returns the test. */
  private static List<SparseRow> writeHalvingHeldOut(String root, DatasetManifest template, List<SparseRow> train,
      List<SparseRow> heldOut) {
    int half = heldOut.size() / 2;
    List<SparseRow> test = heldOut.subList(half, heldOut.size());
    writeSplit(root, template, train, heldOut.subList(0, half), test);
    return test;
  }

  /** Writes {@code train}, {@code validation} and {@code test} rows of {@code features} features under {@code root}. */
  static void writeSplit(String root, int features, List<SparseRow> train, List<SparseRow> validation,
      List<SparseRow> test) {
    writeSplit(root, DatasetManifest.template(features, List.of(), "planted", null), train, validation, test);
  }

  private static void writeSplit(String root, DatasetManifest template, List<SparseRow> train,
      List<SparseRow> validation, List<SparseRow> test) {
    store().ensureBucket("tests");
    DatasetWriter.write(store(), S3Path.parse(root + "/train"), train, template, 5_000);
    DatasetWriter.write(store(), S3Path.parse(root + "/validation"), validation, template, 5_000);
    DatasetWriter.write(store(), S3Path.parse(root + "/test"), test, template, 5_000);
  }

  static Dataset dataset(String location) {
    return Dataset.open(store(), S3Path.parse(location));
  }

  /** The rows of the dataset at {@code location} in a canonical order (partition order depends on worker timing). */
  static List<SparseRow> sortedRows(String location) {
    return sorted(DatasetReader.readAll(store(), dataset(location)));
  }

  static List<SparseRow> sorted(List<SparseRow> rows) {
    List<SparseRow> copy = new ArrayList<>(rows);
    copy.sort(Comparator.comparing(SparseRow::toString));
    return copy;
  }

  static boolean exists(String location) {
    return store().exists(S3Path.parse(location).resolve("manifest.json"));
  }

  /** Runs {@code pipeline}, which must fail, and returns the message of what run() threw: what its author sees. */
  static String failureOf(Pipeline pipeline) {
    return assertThrows(RuntimeException.class, () -> pipeline.run().waitUntilFinish()).getMessage();
  }

  private static Path createTempDirectory() {
    try {
      Path dir = Files.createTempDirectory("stratus-dsl-test");
      Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteRecursively(dir), "delete-test-store"));
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void deleteRecursively(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // a temporary directory: what stays is the system's to clean
    }
  }
}
