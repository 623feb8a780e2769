package dev.stratus.runner.lambda.local;

import com.amazonaws.services.lambda.runtime.Context;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import software.amazon.awssdk.core.SdkBytes;

/** The classpath of the test functions and the payloads their handler understands. */
final class TestFunctions {
  static final String HANDLER = CommandHandler.class.getName() + "::handleRequest";

  private TestFunctions() {}

  /** The test classes (the handler) and aws-lambda-java-core: all a function needs besides the runtime. */
  static List<Path> classpath() {
    return List.of(locationOf(CommandHandler.class), locationOf(Context.class));
  }

  static Path locationOf(Class<?> type) {
    try {
      return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static FunctionSpec spec(String name) {
    return FunctionSpec.of(name, HANDLER, classpath());
  }

  static SdkBytes command(String command) {
    return SdkBytes.fromUtf8String("\"" + command + "\"");
  }

  /** The live processes this JVM started, directly or not. */
  static long descendants() {
    return ProcessHandle.current().descendants().filter(ProcessHandle::isAlive).count();
  }
}
