package dev.stratus.lambda.local;

import dev.stratus.jvm.ChildJvm;
import dev.stratus.jvm.ChildProcess;
import dev.stratus.jvm.ClassDataArchives;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Starts an environment's JVM: {@code java -Xmx… -cp <function classpath + runtime interface client> AWSLambda
 * <handler>} in the task root, with only what a Lambda environment has: Lambda's reserved variables, the function's
 * own variables and the driver's PATH. Nothing else of the driver's environment is passed on, its AWS credentials
 * least of all: Lambda would give the execution role's, and locally there is none (a function that needs
 * credentials gets them through its own variables).
 */
final class ProcessLauncher {
  /** The share of the function's memory given to the heap; the rest is metaspace, threads and native memory. */
  private static final double HEAP_SHARE = 0.85;
  /** How long an environment that records its class-data archive may take to write it once told to stop. */
  private static final Duration RECORDING_GRACE = Duration.ofSeconds(20);
  /** Lambda's own PATH, for a driver that has none. */
  private static final String LAMBDA_PATH = "/usr/local/bin:/usr/bin/:/bin:/opt/bin";

  private final List<String> jvmOptions;
  private final List<Path> runtimeClasspath;
  private final Path nativeLibrary;
  private final String region;
  /** Class-data archives of the environments' code, or null: every environment loads its classes itself. */
  private final ClassDataArchives archives;

  ProcessLauncher(List<String> jvmOptions, Path workDirectory, String region, ClassDataArchives archives) {
    this.jvmOptions = List.copyOf(jvmOptions);
    this.archives = archives;
    this.runtimeClasspath = RuntimeInterfaceClient.classpath();
    this.nativeLibrary = RuntimeInterfaceClient.unpackNativeLibrary(workDirectory);
    this.region = region;
  }

  static int heapMb(int memoryMb) {
    return (int) (memoryMb * HEAP_SHARE);
  }

  /**
   * A started environment's process, and whether it records the class-data archive of its code as it ends (kept
   * before its {@code onExit} completes).
   */
  record Started(ChildProcess process, boolean recordsClassData) {}

  /**
   * Starts the process; {@code scratch} is the environment's own directory: its /tmp, and its task root when the
   * code is a classpath.
   */
  Started start(Deployment deployment, String environmentId, String runtimeApi, Path log, Path scratch) {
    Path tmp = scratch.resolve("tmp");
    List<Path> classpath = new ArrayList<>();
    Path taskRoot = scratch;
    if (deployment.code() instanceof FunctionCode.Classpath code) {
      classpath.addAll(code.entries());
    } else if (deployment.code() instanceof FunctionCode.Archive archive) {
      taskRoot = archive.taskRoot();
    }
    classpath.addAll(runtimeClasspath);
    List<String> options = new ArrayList<>(List.of("-Xmx" + heapMb(deployment.memoryMb()) + "m"));
    options.addAll(jvmOptions);
    options.addAll(functionJvmOptions(deployment));
    options.addAll(List.of("-Djava.io.tmpdir=" + tmp,
        "-D" + RuntimeInterfaceClient.JNI_PROPERTY + "=" + nativeLibrary));
    try {
      Files.createDirectories(tmp);
      ChildJvm.Builder environment = ChildJvm.mainClass(RuntimeInterfaceClient.MAIN_CLASS)
          .jvmOptions(options)
          .classPath(String.join(File.pathSeparator, classpath.stream().map(Path::toString).toList()))
          .classDataArchives(archives)
          .arguments(deployment.handler());
      ChildProcess process = environment
          .name("environment " + environmentId)
          .directory(taskRoot)
          .output(ChildProcess.Output.appendTo(log))
          .input(new byte[0]) // Lambda gives a function nothing on its standard input
          .cleanEnvironment()
          .environment("PATH", System.getenv().getOrDefault("PATH", LAMBDA_PATH))
          .environment(deployment.environment())
          .environment(reservedVariables(deployment, environmentId, runtimeApi, taskRoot))
          .stopGrace(RECORDING_GRACE)
          .start();
      return new Started(process, environment.recordsClassData());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start an environment for " + deployment.name(), e);
    }
  }

  /**
   * Lambda lets a function's {@code JAVA_TOOL_OPTIONS} override the runtime's JVM defaults (its Java 17 runtime stops
   * the JIT at C1, for short functions). The JVM reads that variable before its command line, where the defaults
   * are, so its flags are repeated after them.
   */
  private static List<String> functionJvmOptions(Deployment deployment) {
    String options = deployment.environment().getOrDefault("JAVA_TOOL_OPTIONS", "").trim();
    return options.isEmpty() ? List.of() : List.of(options.split("\\s+"));
  }

  private Map<String, String> reservedVariables(Deployment deployment, String environmentId, String runtimeApi,
      Path taskRoot) {
    return Map.ofEntries(
        Map.entry("AWS_LAMBDA_RUNTIME_API", runtimeApi),
        Map.entry("_HANDLER", deployment.handler()),
        Map.entry("AWS_LAMBDA_FUNCTION_NAME", deployment.name()),
        Map.entry("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", String.valueOf(deployment.memoryMb())),
        Map.entry("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
        Map.entry("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/" + deployment.name()),
        Map.entry("AWS_LAMBDA_LOG_STREAM_NAME", LocalDate.now() + "/[$LATEST]" + environmentId),
        Map.entry("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand"),
        Map.entry("AWS_EXECUTION_ENV", "AWS_Lambda_java17"),
        Map.entry("AWS_REGION", region),
        Map.entry("AWS_DEFAULT_REGION", region),
        Map.entry("LAMBDA_TASK_ROOT", taskRoot.toString()),
        Map.entry("TZ", ":UTC"),
        Map.entry("LANG", "en_US.UTF-8"));
  }
}
