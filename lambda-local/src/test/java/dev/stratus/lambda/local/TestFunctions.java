package dev.stratus.lambda.local;

import com.amazonaws.services.lambda.runtime.Context;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import software.amazon.awssdk.core.SdkBytes;

/** The classpath of the test functions and the payloads their handler understands. */
public final class TestFunctions {
  public static final String HANDLER = CommandHandler.class.getName() + "::handleRequest";

  private TestFunctions() {}

  /** The test classes (the handler) and aws-lambda-java-core: all a function needs besides the runtime. */
  public static List<Path> classpath() {
    return List.of(locationOf(CommandHandler.class), locationOf(Context.class));
  }

  public static Path locationOf(Class<?> type) {
    try {
      return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  public static FunctionSpec spec(String name) {
    return FunctionSpec.of(name, HANDLER, classpath());
  }

  public static SdkBytes command(String command) {
    return SdkBytes.fromUtf8String("\"" + command + "\"");
  }

  /** The live processes this JVM started, directly or not. */
  public static long descendants() {
    return ProcessHandle.current().descendants().filter(ProcessHandle::isAlive).count();
  }
}
