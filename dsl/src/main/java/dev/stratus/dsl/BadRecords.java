package dev.stratus.dsl;

/** What a loader does with a malformed input line. */
public enum BadRecords {
  /** Fail the load with an error naming the file, the line number and the text (the default). */
  FAIL,
  /** Skip the line and count it: Beam counter {@code badRecords} and the manifest's {@code badRecords}. */
  SKIP
}
