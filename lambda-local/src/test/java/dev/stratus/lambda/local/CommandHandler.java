package dev.stratus.lambda.local;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.sun.management.HotSpotDiagnosticMXBean;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The test functions' handler. The payload is a JSON string holding a command and its argument:
 * {@code "echo text"}, {@code "sleep millis"}, {@code "await file"} (returns once the file exists: a test creates it
 * when it has seen what it waits for), {@code "fail message"}, {@code "crash exitCode"}, {@code "hog megabytes"} or
 * {@code "big bytes"}. Answers name the environment's process, so tests see reuse.
 */
public final class CommandHandler implements RequestStreamHandler {
  /** How the first line a handler prints begins: once it is in the log, the handler is running. */
  static final String HANDLING = "handling ";
  /** Keeps a hog's allocations reachable. */
  private static final List<byte[]> HELD = new ArrayList<>();

  @Override
  public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
    String payload = new String(input.readAllBytes(), StandardCharsets.UTF_8);
    String command = payload.replaceAll("^\"|\"$", "");
    int space = command.indexOf(' ');
    String verb = space < 0 ? command : command.substring(0, space);
    String argument = space < 0 ? "" : command.substring(space + 1);
    System.out.println(HANDLING + verb + " in request " + context.getAwsRequestId());
    context.getLogger().log("logger line for " + verb);
    switch (verb) {
      case "echo" -> { }
      case "sleep" -> sleep(Long.parseLong(argument));
      case "await" -> {
        while (!Files.exists(Path.of(argument))) {
          sleep(10);
        }
      }
      case "fail" -> throw new IllegalStateException(argument);
      case "crash" -> Runtime.getRuntime().halt(Integer.parseInt(argument));
      case "hog" -> {
        for (int i = 0; i < Integer.parseInt(argument); i++) {
          HELD.add(new byte[1024 * 1024]);
        }
      }
      case "big" -> {
        output.write(new byte[Integer.parseInt(argument)]);
        return;
      }
      default -> throw new IllegalArgumentException("unknown command " + verb);
    }
    String answer = "{\"pid\":" + ProcessHandle.current().pid() + ",\"echo\":\"" + argument + "\",\"memory\":\""
        + System.getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE") + "\",\"remainingMillis\":"
        + context.getRemainingTimeInMillis() + ",\"tieredStopAtLevel\":\"" + vmOption("TieredStopAtLevel")
        + "\",\"mappedArchive\":\"" + mappedArchive() + "\",\"classPath\":\""
        + System.getProperty("java.class.path") + "\"}";
    output.write(answer.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * The class-data archive of the code's classes this JVM has mapped, as its memory map shows it (the JDK's own
   * archive aside), or "".
   */
  private static String mappedArchive() throws IOException {
    String jdk = System.getProperty("java.home");
    return Files.readAllLines(Path.of("/proc/self/maps")).stream()
        .map(line -> line.substring(line.lastIndexOf(' ') + 1))
        .filter(file -> file.endsWith(".jsa") && !file.startsWith(jdk))
        .findFirst()
        .orElse("");
  }

  private static String vmOption(String name) {
    return ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class).getVMOption(name).getValue();
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
