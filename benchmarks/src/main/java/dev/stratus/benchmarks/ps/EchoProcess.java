package dev.stratus.benchmarks.ps;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** {@link EchoServer} in a child JVM, stopped on close (and, through its closed stdin, when this JVM dies). */
final class EchoProcess implements AutoCloseable {
  final int port;
  private final Process process;

  EchoProcess() throws IOException {
    process = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx128m", "-cp", classpath(), EchoServer.class.getName()))
        .redirectError(ProcessBuilder.Redirect.INHERIT)
        .start();
    BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    String line = out.readLine();
    if (line == null || !line.startsWith(EchoServer.PORT_LINE)) {
      process.destroyForcibly();
      throw new IOException("the echo server did not start: " + line);
    }
    port = Integer.parseInt(line.substring(EchoServer.PORT_LINE.length()).trim());
  }

  /** This JVM's classpath, also under the URL class loader that {@code mvn exec:java} runs us in. */
  private static String classpath() {
    List<String> entries = new ArrayList<>();
    for (ClassLoader cl = EchoProcess.class.getClassLoader(); cl != null; cl = cl.getParent()) {
      if (cl instanceof URLClassLoader loader) {
        for (URL url : loader.getURLs()) {
          try {
            entries.add(Path.of(url.toURI()).toString());
          } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
          }
        }
      }
    }
    entries.add(System.getProperty("java.class.path"));
    return String.join(File.pathSeparator, entries);
  }

  long pid() {
    return process.pid();
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(5, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    }
  }
}
