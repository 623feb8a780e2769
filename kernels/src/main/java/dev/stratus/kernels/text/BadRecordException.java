package dev.stratus.kernels.text;

/** A malformed input record that fails a load: the message names the file, the line number and the offending text. */
public final class BadRecordException extends RuntimeException {
  private final String file;
  private final long line;

  public BadRecordException(String file, long line, String problem, String text) {
    super(file + ":" + line + ": " + problem + " in line \"" + abbreviate(text) + "\""
        + " (use badRecords(SKIP) to skip malformed lines and count them)");
    this.file = file;
    this.line = line;
  }

  public String file() {
    return file;
  }

  public long line() {
    return line;
  }

  private static String abbreviate(String text) {
    return text.length() <= 300 ? text : text.substring(0, 300) + "...";
  }
}
