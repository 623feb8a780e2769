package dev.stratus.topology;

import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Every byte a proxy relays, both directions as they come, appended to a file: for tests that look for what must
 * never cross a link in clear. Unbuffered, so a process killed outright leaves all it relayed on disk.
 */
final class Capture implements Closeable {
  private final Path file;
  private final OutputStream out;

  Capture(Path file) throws IOException {
    this.file = file;
    this.out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }

  synchronized void record(byte[] bytes, int length) throws IOException {
    out.write(bytes, 0, length);
  }

  @Override
  public synchronized void close() throws IOException {
    out.close();
  }

  @Override
  public String toString() {
    return "capture to " + file;
  }
}
