package dev.stratus.lambda.local;

import java.nio.file.Path;
import java.util.List;

/** Where a function's classes come from. */
sealed interface FunctionCode {

  /** Jars and directories put on the environment's classpath, for functions registered from Java. */
  record Classpath(List<Path> entries) implements FunctionCode {
    public Classpath {
      entries = List.copyOf(entries);
    }
  }

  /**
   * An unpacked deployment zip: the runtime loads the task root and its {@code lib/*.jar}, as Lambda's does.
   *
   * @param sha256 base64 SHA-256 of the zip, Lambda's CodeSha256
   */
  record Archive(Path taskRoot, long size, String sha256) implements FunctionCode {}
}
