package dev.stratus.dsl;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The console as a user sees it, also kept so a test can read what the driver printed (a dashboard's address):
 * replaces {@code System.out} until closed.
 */
final class ConsoleTee extends OutputStream implements AutoCloseable {
  private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
  private final PrintStream console;

  private ConsoleTee(PrintStream console) {
    this.console = console;
  }

  static ConsoleTee start() {
    ConsoleTee tee = new ConsoleTee(System.out);
    System.setOut(new PrintStream(tee, true, StandardCharsets.UTF_8));
    return tee;
  }

  /** The console itself, for the test's own lines. */
  PrintStream console() {
    return console;
  }

  @Override
  public synchronized void write(int b) {
    kept.write(b);
    console.write(b);
  }

  @Override
  public synchronized void write(byte[] b, int off, int len) {
    kept.write(b, off, len);
    console.write(b, off, len);
  }

  private synchronized String text() {
    return kept.toString(StandardCharsets.UTF_8);
  }

  /**
   * The first group of {@code pattern} once it was printed, waiting up to {@code limit}; fails if {@code printing}
   * turns false before.
   */
  String await(Pattern pattern, Duration limit, BooleanSupplier printing) throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (System.nanoTime() < deadline) {
      Matcher printed = pattern.matcher(text());
      if (printed.find()) {
        return printed.group(1);
      }
      if (!printing.getAsBoolean()) {
        throw new AssertionError("nothing printed matched " + pattern + " before the printing ended");
      }
      Thread.sleep(100);
    }
    throw new AssertionError("nothing printed matched " + pattern + " in " + limit);
  }

  @Override
  public void close() {
    System.setOut(console);
  }
}
