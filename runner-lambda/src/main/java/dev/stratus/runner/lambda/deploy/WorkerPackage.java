package dev.stratus.runner.lambda.deploy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * A Lambda deployment zip in the layout Lambda's Java runtime loads: every classpath jar under {@code lib/}, and
 * every class directory packed as a jar of its own there too. Jars are stored, not compressed again. Lambda's
 * runtime loads {@code lib/} in name order, so the classpath order does not carry over; the worker's classpath has
 * no duplicate classes for the order to matter.
 */
final class WorkerPackage {
  private WorkerPackage() {}

  /** Writes the zip of {@code classpath} to {@code zip} and returns its size in bytes. */
  static long write(List<Path> classpath, Path zip) {
    Set<String> names = new HashSet<>();
    try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(zip))) {
      for (Path entry : classpath) {
        if (Files.isDirectory(entry)) {
          store(out, uniqueName(names, directoryJarName(entry)), packDirectory(entry));
        } else if (Files.isRegularFile(entry) && entry.toString().endsWith(".jar")) {
          store(out, uniqueName(names, entry.getFileName().toString()), Files.readAllBytes(entry));
        } else if (Files.exists(entry)) {
          throw new IllegalArgumentException("cannot package classpath entry " + entry + ": not a jar or directory");
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + zip, e);
    }
    try {
      return Files.size(zip);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code lib/name.jar}, or {@code lib/2-name.jar} when two jars share a file name. */
  private static String uniqueName(Set<String> names, String fileName) {
    String name = fileName;
    for (int copy = 2; !names.add(name); copy++) {
      name = copy + "-" + fileName;
    }
    return "lib/" + name;
  }

  /** {@code …/runner-lambda/target/classes} becomes {@code runner-lambda-classes.jar}. */
  private static String directoryJarName(Path directory) {
    Path absolute = directory.toAbsolutePath().normalize();
    Path parent = absolute.getParent();
    if (parent != null && parent.getFileName() != null && parent.getFileName().toString().equals("target")
        && parent.getParent() != null && parent.getParent().getFileName() != null) {
      return parent.getParent().getFileName() + "-" + absolute.getFileName() + ".jar";
    }
    return absolute.getFileName() + ".jar";
  }

  private static byte[] packDirectory(Path directory) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (JarOutputStream jar = new JarOutputStream(bytes); Stream<Path> files = Files.walk(directory)) {
      for (Path file : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
        jar.putNextEntry(new JarEntry(directory.relativize(file).toString().replace('\\', '/')));
        try (InputStream in = Files.newInputStream(file)) {
          in.transferTo(jar);
        }
        jar.closeEntry();
      }
    }
    return bytes.toByteArray();
  }

  private static void store(ZipOutputStream out, String name, byte[] content) throws IOException {
    ZipEntry entry = new ZipEntry(name);
    entry.setMethod(ZipEntry.STORED);
    entry.setSize(content.length);
    entry.setCompressedSize(content.length);
    CRC32 crc = new CRC32();
    crc.update(content);
    entry.setCrc(crc.getValue());
    out.putNextEntry(entry);
    out.write(content);
    out.closeEntry();
  }
}
