package dev.stratus.lambda.local;

import com.amazonaws.services.lambda.runtime.ClientContext;
import com.amazonaws.services.lambda.runtime.CognitoIdentity;
import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.LambdaLogger;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stratus.jvm.DaemonThreadFactory;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;

/**
 * An environment that is a thread of the service's JVM: the handler class is loaded (parent first, so classes the
 * service's JVM already has are shared) and called directly. Much faster to start than a process; meant for large
 * conformance suites. It models the timeout (the thread is interrupted and abandoned), not the heap limit, and its
 * log holds the platform lines and what the handler writes through {@link Context#getLogger()}, not System.out.
 * Handlers must implement {@link RequestStreamHandler}.
 */
final class InProcessEnvironment extends ExecutionEnvironment {
  private final ExecutorService thread;
  private RequestStreamHandler handler;
  private volatile boolean alive = true;

  InProcessEnvironment(Deployment deployment, String id, EnvironmentLog log, Duration initTimeout) {
    super(deployment, id, log, initTimeout);
    this.thread = Executors.newSingleThreadExecutor(new DaemonThreadFactory("lambda-" + deployment.name() + "-" + id));
  }

  @Override
  void deliver(PendingCall invocation) {
    thread.execute(() -> run(invocation));
  }

  private void run(PendingCall invocation) {
    if (handler == null) {
      try {
        handler = load();
      } catch (Throwable t) {
        invocation.outcome.complete(CallOutcome.reported(errorBody(t), t.getClass().getName()));
        alive = false;
        return;
      }
    }
    pickUp(invocation);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Thread.currentThread().setContextClassLoader(handler.getClass().getClassLoader());
    try {
      handler.handleRequest(new ByteArrayInputStream(invocation.payload), out, new LocalContext(invocation));
      invocation.outcome.complete(CallOutcome.success(out.toByteArray()));
    } catch (Throwable t) {
      log.line(t.toString());
      invocation.outcome.complete(CallOutcome.reported(errorBody(t), t.getClass().getName()));
    }
  }

  private RequestStreamHandler load() throws ReflectiveOperationException {
    URLClassLoader loader = new URLClassLoader("function-" + deployment.name(), urls(deployment.code()),
        LocalLambdaService.class.getClassLoader());
    Class<?> type = Class.forName(deployment.handlerClass(), true, loader);
    if (!RequestStreamHandler.class.isAssignableFrom(type)) {
      throw new ClassCastException("in-process environments run RequestStreamHandlers only; " + type.getName()
          + " is not one");
    }
    return (RequestStreamHandler) type.getDeclaredConstructor().newInstance();
  }

  private static URL[] urls(FunctionCode code) {
    List<Path> entries = new ArrayList<>();
    if (code instanceof FunctionCode.Classpath classpath) {
      entries.addAll(classpath.entries());
    } else if (code instanceof FunctionCode.Archive archive) {
      entries.add(archive.taskRoot());
      Path lib = archive.taskRoot().resolve("lib");
      if (Files.isDirectory(lib)) {
        try (Stream<Path> jars = Files.list(lib)) {
          jars.filter(jar -> jar.toString().endsWith(".jar")).sorted().forEach(entries::add);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }
    List<URL> urls = new ArrayList<>();
    for (Path entry : entries) {
      try {
        urls.add(entry.toUri().toURL());
      } catch (MalformedURLException e) {
        throw new IllegalArgumentException("bad classpath entry " + entry, e);
      }
    }
    return urls.toArray(URL[]::new);
  }

  /** Lambda's error body, as the runtime interface client writes it. */
  private static byte[] errorBody(Throwable t) {
    ObjectNode body = Json.MAPPER.createObjectNode()
        .put("errorMessage", String.valueOf(t.getMessage()))
        .put("errorType", t.getClass().getName());
    ArrayNode stackTrace = body.putArray("stackTrace");
    for (StackTraceElement element : t.getStackTrace()) {
      stackTrace.add(element.toString());
    }
    return Json.bytes(body);
  }

  @Override
  boolean isAlive() {
    return alive;
  }

  @Override
  void destroy() {
    if (!alive && thread.isShutdown()) {
      return;
    }
    alive = false;
    thread.shutdownNow();
  }

  @Override
  boolean ended() {
    return !alive;
  }

  @Override
  long pid() {
    return -1;
  }

  @Override
  long maxMemoryUsedMb() {
    return 0;
  }

  private final class LocalContext implements Context, LambdaLogger {
    private final PendingCall invocation;

    LocalContext(PendingCall invocation) {
      this.invocation = invocation;
    }

    @Override
    public String getAwsRequestId() {
      return invocation.requestId;
    }

    @Override
    public String getLogGroupName() {
      return "/aws/lambda/" + deployment.name();
    }

    @Override
    public String getLogStreamName() {
      return "[$LATEST]" + id;
    }

    @Override
    public String getFunctionName() {
      return deployment.name();
    }

    @Override
    public String getFunctionVersion() {
      return "$LATEST";
    }

    @Override
    public String getInvokedFunctionArn() {
      return invocation.functionArn;
    }

    @Override
    public CognitoIdentity getIdentity() {
      return null;
    }

    @Override
    public ClientContext getClientContext() {
      return null;
    }

    @Override
    public int getRemainingTimeInMillis() {
      return (int) Math.max(0, invocation.deadlineEpochMillis() - System.currentTimeMillis());
    }

    @Override
    public int getMemoryLimitInMB() {
      return deployment.memoryMb();
    }

    @Override
    public LambdaLogger getLogger() {
      return this;
    }

    @Override
    public void log(String message) {
      log.line(message);
    }

    @Override
    public void log(byte[] message) {
      log.line(new String(message, StandardCharsets.UTF_8));
    }
  }
}
