package dev.stratus.jvm;

import java.io.File;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** This JVM's class path: what a child JVM running this project's classes needs. */
public final class ClassPath {
  private ClassPath() {}

  /**
   * This JVM's class path as one {@code -cp} value, also when it runs under a URL class loader (as
   * {@code mvn exec:java} does).
   */
  public static String current() {
    List<String> entries = new ArrayList<>();
    for (ClassLoader cl = ClassPath.class.getClassLoader(); cl != null; cl = cl.getParent()) {
      if (cl instanceof URLClassLoader loader) {
        for (URL url : loader.getURLs()) {
          try {
            entries.add(Path.of(url.toURI()).toString());
          } catch (URISyntaxException | IllegalArgumentException e) {
            throw new IllegalStateException("cannot use classpath entry " + url, e);
          }
        }
      }
    }
    entries.add(System.getProperty("java.class.path"));
    return String.join(File.pathSeparator, entries);
  }

  /** The class path entry, a jar or a directory, that {@code type} was loaded from. */
  static String of(Class<?> type) {
    try {
      return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    } catch (URISyntaxException e) {
      throw new IllegalStateException("cannot use the location of " + type.getName(), e);
    }
  }

  /** {@link #current()} as distinct entries, for a launcher that takes a list (a Lambda function's code). */
  public static List<Path> currentEntries() {
    return Arrays.stream(current().split(File.pathSeparator))
        .filter(entry -> !entry.isBlank())
        .distinct()
        .map(Path::of)
        .toList();
  }
}
