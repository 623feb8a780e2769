package dev.stratus.kernels.text;

import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * The files an input names: a local path or an {@code s3://} object, a directory or prefix (its files, skipping names
 * that start with '.' or '_'), or a glob in the last path segment ({@code data/day_*.tsv}). Files ending in
 * {@code .gz} are decompressed on reading.
 */
public final class InputFiles {
  private InputFiles() {}

  /** Where local input files can be read: the driver lists them, the workers open them. */
  private static final String LOCAL_FILES_WHERE = "(a worker reads the driver's local files only when it runs on the"
      + " driver's machine, as the DirectRunner's and the local Lambda service's do; elsewhere, such as on AWS Lambda,"
      + " copy the input to the store and load its s3:// location)";

  /** The files {@code input} names, sorted; a clear error when there are none. */
  public static List<String> expand(String input, Supplier<ObjectStore> store) {
    List<String> files = S3Path.isS3(input) ? expandS3(input, store.get()) : expandLocal(input);
    if (files.isEmpty()) {
      throw new IllegalArgumentException("no input files at '" + input + "': no such file, directory or match"
          + (S3Path.isS3(input)
              ? " in " + store.get().spec().describe()
              : " on this machine " + LOCAL_FILES_WHERE));
    }
    return files;
  }

  /**
   * Cuts {@code files} into ranges of at most {@code bytesPerRange} bytes for parallel parsing, each file into as few
   * as that allows and those of one size (a 72 MB file at 64 MB a range: two of 36 MB, where a range of 64 MB and one
   * of 8 MB kept one task parsing long after the other); a compressed file is one range (it can only be read from its
   * start).
   */
  public static List<FileRange> ranges(List<String> files, long bytesPerRange, Supplier<ObjectStore> store) {
    if (bytesPerRange < 1) {
      throw new IllegalArgumentException("bytes per range must be positive, got " + bytesPerRange);
    }
    List<FileRange> ranges = new ArrayList<>();
    for (String file : files) {
      long size = file.endsWith(".gz") ? Long.MAX_VALUE : size(file, store);
      if (size <= bytesPerRange) {
        ranges.add(FileRange.whole(file));
        continue;
      }
      long count = (size + bytesPerRange - 1) / bytesPerRange;
      long step = (size + count - 1) / count;
      for (long start = 0; start < size; start += step) {
        ranges.add(new FileRange(file, start, start + step >= size ? Long.MAX_VALUE : start + step));
      }
    }
    return ranges;
  }

  /** Opens one file that {@link #expand} returned. */
  public static InputStream open(String file, Supplier<ObjectStore> store) {
    return open(file, 0, store);
  }

  /** Opens one file that {@link #expand} returned at byte {@code offset} (0 for a compressed file). */
  public static InputStream open(String file, long offset, Supplier<ObjectStore> store) {
    if (offset > 0 && file.endsWith(".gz")) {
      throw new IllegalArgumentException("a compressed file is read from its start, not from byte " + offset);
    }
    InputStream in;
    if (S3Path.isS3(file)) {
      in = store.get().openFrom(S3Path.parse(file), offset);
    } else {
      try {
        in = Files.newInputStream(Path.of(file));
        in.skipNBytes(offset); // a seek on a file channel
      } catch (NoSuchFileException e) {
        throw new IllegalArgumentException("input file " + file + " does not exist (any more) on the machine this"
            + " runs on " + LOCAL_FILES_WHERE);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot open " + file + ": " + e.getMessage(), e);
      }
    }
    if (file.endsWith(".gz")) {
      try {
        return new GZIPInputStream(in, 1 << 16);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + file + " as gzip: " + e.getMessage(), e);
      }
    }
    return new BufferedInputStream(in, 1 << 16);
  }

  private static long size(String file, Supplier<ObjectStore> store) {
    if (S3Path.isS3(file)) {
      return store.get().size(S3Path.parse(file));
    }
    try {
      return Files.size(Path.of(file));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the size of " + file + ": " + e.getMessage(), e);
    }
  }

  /** A short name for what {@code input} names, for a default dataset location: {@code data/day_*.tsv} gives "day". */
  public static String baseName(String input) {
    String path = input.endsWith("/") ? input.substring(0, input.length() - 1) : input;
    String last = path.substring(path.lastIndexOf('/') + 1);
    int glob = indexOfGlob(last);
    if (glob >= 0) {
      last = last.substring(0, glob);
    }
    last = last.replaceAll("\\.(gz|txt|tsv|csv|svm|libsvm|data)$", "").replaceAll("\\.(txt|tsv|csv|svm|libsvm)$", "");
    String name = last.replaceAll("[^A-Za-z0-9._-]+", "-").replaceAll("^[-._]+|[-._]+$", "");
    return name.isEmpty() ? "input" : name;
  }

  private static List<String> expandLocal(String input) {
    Path path = Path.of(input);
    if (Files.isRegularFile(path)) {
      return List.of(path.toString());
    }
    if (Files.isDirectory(path)) {
      return listLocal(path, null);
    }
    String last = path.getFileName() == null ? "" : path.getFileName().toString();
    if (indexOfGlob(last) >= 0) {
      Path dir = path.getParent() == null ? Path.of(".") : path.getParent();
      if (Files.isDirectory(dir)) {
        return listLocal(dir, FileSystems.getDefault().getPathMatcher("glob:" + last));
      }
    }
    return List.of();
  }

  private static List<String> listLocal(Path dir, PathMatcher matcher) {
    try (Stream<Path> entries = Files.list(dir)) {
      return entries
          .filter(Files::isRegularFile)
          .filter(p -> visible(p.getFileName().toString()))
          .filter(p -> matcher == null || matcher.matches(p.getFileName()))
          .map(Path::toString)
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir + ": " + e.getMessage(), e);
    }
  }

  private static List<String> expandS3(String input, ObjectStore store) {
    S3Path path = S3Path.parse(input);
    String key = path.key();
    String last = key.substring(key.lastIndexOf('/') + 1);
    List<String> files = new ArrayList<>();
    if (indexOfGlob(last) >= 0) {
      String dir = key.substring(0, key.length() - last.length());
      PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + last);
      for (ObjectStore.ObjectInfo o : store.list(new S3Path(path.bucket(), dir))) {
        String name = o.path().key().substring(dir.length());
        if (!name.contains("/") && visible(name) && matcher.matches(Path.of(name))) {
          files.add(o.path().toString());
        }
      }
      return files;
    }
    if (!key.isEmpty() && !key.endsWith("/") && store.exists(path)) {
      return List.of(path.toString());
    }
    for (ObjectStore.ObjectInfo o : store.list(new S3Path(path.bucket(), path.prefix()))) {
      String name = o.path().key().substring(path.prefix().length());
      if (!name.contains("/") && visible(name)) {
        files.add(o.path().toString());
      }
    }
    return files;
  }

  private static boolean visible(String name) {
    return !name.startsWith(".") && !name.startsWith("_");
  }

  private static int indexOfGlob(String segment) {
    for (int i = 0; i < segment.length(); i++) {
      char c = segment.charAt(i);
      if (c == '*' || c == '?' || c == '[' || c == '{') {
        return i;
      }
    }
    return -1;
  }
}
