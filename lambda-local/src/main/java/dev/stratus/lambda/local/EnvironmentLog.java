package dev.stratus.lambda.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An environment's log: its process writes stdout and stderr straight into the file (so nothing is lost or late
 * when an invocation ends) and the service appends Lambda's START / END / REPORT lines to the same file. The file
 * outlives its environment, so a killed environment's last lines stay readable.
 */
final class EnvironmentLog {
  private final Path file;

  EnvironmentLog(Path file) {
    this.file = file;
    try {
      Files.write(file, new byte[0], StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create environment log " + file, e);
    }
  }

  Path file() {
    return file;
  }

  /** The log's length now: an invocation's tail starts here. */
  long position() {
    try {
      return Files.size(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  synchronized void line(String text) {
    try {
      Files.write(file, (text + "\n").getBytes(StandardCharsets.UTF_8), StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write environment log " + file, e);
    }
  }

  /** At most the last {@code maxBytes} written since {@code from}. */
  byte[] tail(long from, int maxBytes) {
    try (FileChannel reader = FileChannel.open(file, StandardOpenOption.READ)) {
      long end = reader.size();
      long start = Math.max(from, end - maxBytes);
      ByteBuffer bytes = ByteBuffer.allocate((int) Math.max(0, end - start));
      while (bytes.hasRemaining()) {
        if (reader.read(bytes, start + bytes.position()) < 0) {
          break;
        }
      }
      return bytes.array();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read environment log " + file, e);
    }
  }
}
