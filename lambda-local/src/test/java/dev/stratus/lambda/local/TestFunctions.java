package dev.stratus.lambda.local;

import com.amazonaws.services.lambda.runtime.Context;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
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

  /**
   * The invocations of {@code function} once {@code count} of them are running their handler together (each one's log
   * shows the handler's first line), waiting up to 30 s: calls are known to overlap by that event, not by how long
   * they last.
   */
  public static List<BusyInvocation> awaitHandlersRunning(LocalLambdaService service, String function, int count)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    List<BusyInvocation> running = List.of();
    while (System.nanoTime() < deadline) {
      running = service.busyInvocations(function).stream()
          .filter(invocation -> invocation.log().contains(CommandHandler.HANDLING))
          .toList();
      if (running.size() >= count) {
        return running;
      }
      Thread.sleep(10);
    }
    throw new AssertionError(count + " invocations of " + function + " were not running their handlers together"
        + " within 30 s; running at the end: " + running);
  }

  /** The live processes this JVM started, directly or not. */
  public static long descendants() {
    return ProcessHandle.current().descendants().filter(ProcessHandle::isAlive).count();
  }
}
