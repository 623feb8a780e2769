package dev.stratus.lambda.local;

import java.util.regex.Pattern;

/** Lambda's own limits, checked where a function is defined or invoked. */
final class LambdaLimits {
  static final int MIN_MEMORY_MB = 128;
  static final int MAX_MEMORY_MB = 10_240;
  static final int MAX_TIMEOUT_SECONDS = 900;
  static final int MAX_SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024;
  static final int MAX_EVENT_PAYLOAD_BYTES = 1024 * 1024;
  static final int LOG_TAIL_BYTES = 4 * 1024;

  private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9_-]{1,64}");

  private LambdaLimits() {}

  static void checkName(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("function name must be 1 to 64 letters, digits, '-' or '_': " + name);
    }
  }

  static void checkHandler(String handler) {
    if (handler == null || handler.isBlank()) {
      throw new IllegalArgumentException("a function needs a handler (pkg.Class or pkg.Class::method)");
    }
  }

  static void checkMemory(int memoryMb) {
    if (memoryMb < MIN_MEMORY_MB || memoryMb > MAX_MEMORY_MB) {
      throw new IllegalArgumentException(
          "memory must be " + MIN_MEMORY_MB + " to " + MAX_MEMORY_MB + " MB, not " + memoryMb);
    }
  }

  static void checkTimeout(int timeoutSeconds) {
    if (timeoutSeconds < 1 || timeoutSeconds > MAX_TIMEOUT_SECONDS) {
      throw new IllegalArgumentException(
          "timeout must be 1 to " + MAX_TIMEOUT_SECONDS + " seconds, not " + timeoutSeconds);
    }
  }
}
