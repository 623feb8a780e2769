package dev.stratus.benchmarks.paper;

import dev.stratus.benchmarks.Machine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** The end of a paper benchmark: its results as markdown, stamped with when and under what load, written and printed. */
public final class Report {
  private Report() {}

  /**
   * Writes {@code markdown} (the run's {@code setting}, the load now, then {@code body}) and prints it, with the files
   * the run wrote besides.
   */
  public static void publish(Path markdown, String setting, String body, Path... alsoWritten) throws IOException {
    String text = "Measured " + Instant.now().truncatedTo(ChronoUnit.SECONDS) + ": " + setting + "; load average "
        + String.format(Locale.ROOT, "%.1f", Machine.loadAverage()) + " at the end.\n\n" + body;
    Files.writeString(markdown, text);
    System.out.println();
    System.out.print(text);
    System.out.printf("%nwritten: %s%n", Stream.concat(Arrays.stream(alsoWritten), Stream.of(markdown))
        .map(Path::toString).collect(Collectors.joining(", ")));
  }
}
