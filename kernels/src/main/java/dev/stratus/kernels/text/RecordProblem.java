package dev.stratus.kernels.text;

/**
 * What is wrong with one input record, as a parser sees it; {@link TextLoader} adds the file, the line number and the
 * text. Without a stack trace: with {@code badRecords(SKIP)} a file may hold many of them.
 */
public final class RecordProblem extends RuntimeException {
  private final boolean fatal;

  public RecordProblem(String message) {
    this(message, false);
  }

  /** @param fatal true when the rest of the file cannot be read either (a bad header): never skipped */
  public RecordProblem(String message, boolean fatal) {
    super(message, null, false, false);
    this.fatal = fatal;
  }

  public boolean fatal() {
    return fatal;
  }
}
