package dev.stratus.lambda.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.stratus.jvm.ChildProcess;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * An environment that is a JVM of its own running the real AWS runtime interface client, which pulls invocations
 * from this environment's own Runtime API server, as on Lambda. The process writes its output to the log file.
 *
 * <p>The Runtime API answers only requests whose path starts with a random token of this environment, handed to the
 * process alone inside {@code AWS_LAMBDA_RUNTIME_API} ({@code 127.0.0.1:PORT/TOKEN}; the runtime client puts what
 * follows the host in front of its paths): no other local process can take its invocations or post their results.
 */
final class ProcessEnvironment extends ExecutionEnvironment {
  private static final String RUNTIME_PATH = "/2018-06-01/runtime/";
  /** Offered to a waiting {@code /next} when the environment goes away, so its handler thread ends. */
  private static final PendingCall GONE = new PendingCall(new byte[0], "");
  private static final SecureRandom TOKENS = new SecureRandom();
  private static final Map<Integer, String> SIGNALS =
      Map.of(6, "aborted", 7, "bus error", 9, "killed", 11, "segmentation fault", 15, "terminated");

  private final HttpServer runtimeApi;
  /** The path prefix, {@code /TOKEN/2018-06-01/runtime/}, that only this environment's process knows. */
  private final String runtimePath;
  private final BlockingQueue<PendingCall> handoff = new LinkedBlockingQueue<>();
  private final ChildProcess process;
  /** Whether it records the class-data archive of its code as it ends: stopped then, not killed. */
  private final boolean recording;
  /** Done once the process has ended and its recording, if any, has been kept or dropped. */
  private final CompletableFuture<Void> gone = new CompletableFuture<>();
  private volatile PendingCall current;
  private volatile boolean destroyed;
  /** The runtime reported an init error and is exiting: never reuse it. */
  private volatile boolean initFailed;

  ProcessEnvironment(Deployment deployment, String id, EnvironmentLog log, Duration initTimeout,
      ProcessLauncher launcher, Path scratch, Executor executor) {
    super(deployment, id, log, initTimeout);
    try {
      runtimeApi = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open a Runtime API port", e);
    }
    byte[] token = new byte[24];
    TOKENS.nextBytes(token);
    String tokenText = HexFormat.of().formatHex(token);
    runtimePath = "/" + tokenText + RUNTIME_PATH;
    runtimeApi.setExecutor(executor);
    runtimeApi.createContext("/", this::serve);
    runtimeApi.start();
    String runtimeApiAddress = "127.0.0.1:" + runtimeApi.getAddress().getPort() + "/" + tokenText;
    ProcessLauncher.Started started;
    try {
      started = launcher.start(deployment, id, runtimeApiAddress, log.file(), scratch);
    } catch (RuntimeException e) {
      runtimeApi.stop(0);
      throw e;
    }
    process = started.process();
    recording = started.recordsClassData();
    process.onExit().thenRun(this::exited);
  }

  @Override
  void deliver(PendingCall invocation) {
    current = invocation;
    handoff.add(invocation);
    if (!process.isAlive()) {
      // it died after it was taken from the idle pool, before the exit watcher could see this invocation
      exited();
    }
  }

  @Override
  boolean isAlive() {
    return !destroyed && !initFailed && process.isAlive();
  }

  @Override
  long pid() {
    return process.pid();
  }

  @Override
  long maxMemoryUsedMb() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(process.pid()), "status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
        }
      }
    } catch (IOException | NumberFormatException e) {
      // the process is gone or /proc is not Linux's: the REPORT line leaves the figure out
    }
    return 0;
  }

  @Override
  void destroy() {
    if (destroyed) {
      return;
    }
    destroyed = true;
    if (recording) {
      // SIGTERM: the JVM writes its class-data archive before it exits, which takes seconds; nobody waits on it here
      Thread stopping = new Thread(this::stopAndRelease, "stop " + process);
      stopping.setDaemon(true);
      stopping.start();
    } else {
      process.kill();
      release();
    }
  }

  private void stopAndRelease() {
    process.close();
    release();
  }

  private void release() {
    handoff.add(GONE);
    runtimeApi.stop(0);
  }

  @Override
  boolean ended() {
    return gone.isDone();
  }

  @Override
  void awaitEnd(Duration timeout) {
    try {
      gone.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      // still running past its grace: closing it kills it, and the service's caller sees what is left
    }
  }

  /** The process ended: an invocation it held fails as Lambda's Runtime.ExitError. */
  private void exited() {
    gone.complete(null); // after the process's recording, if any, was kept or dropped
    PendingCall invocation = current;
    if (invocation != null && !invocation.outcome.isDone()) {
      invocation.outcome.complete(CallOutcome.platform("Runtime.ExitError", "RequestId: " + invocation.requestId
          + " Error: Runtime exited with error: " + describeExit(process.exitCode()), "error"));
    }
    handoff.add(GONE);
  }

  private static String describeExit(int code) {
    if (code > 128 && SIGNALS.containsKey(code - 128)) {
      return "signal: " + SIGNALS.get(code - 128);
    }
    return code > 128 ? "signal: " + (code - 128) : "exit status " + code;
  }

  private void serve(HttpExchange exchange) throws IOException {
    try {
      String fullPath = exchange.getRequestURI().getRawPath();
      if (fullPath.length() < runtimePath.length() || !MessageDigest.isEqual(
          fullPath.substring(0, runtimePath.length()).getBytes(StandardCharsets.UTF_8),
          runtimePath.getBytes(StandardCharsets.UTF_8))) {
        respond(exchange, 403, "{\"errorType\":\"AccessDenied\",\"errorMessage\":\"this Runtime API serves only its"
            + " environment: the path must start with the token in its AWS_LAMBDA_RUNTIME_API\"}");
        return;
      }
      String path = fullPath.substring(runtimePath.length());
      String method = exchange.getRequestMethod();
      if (method.equals("GET") && path.equals("invocation/next")) {
        next(exchange);
      } else if (method.equals("POST") && path.equals("init/error")) {
        byte[] body = exchange.getRequestBody().readAllBytes();
        initFailed = true;
        settle(current, reportedError(exchange, body));
        respond(exchange, 202, "{\"status\":\"OK\"}");
      } else if (method.equals("POST") && path.startsWith("invocation/")) {
        post(exchange, path.substring("invocation/".length()));
      } else {
        respond(exchange, 404, "{\"errorType\":\"NotFound\",\"errorMessage\":\"no " + method + " " + path + "\"}");
      }
    } finally {
      exchange.close();
    }
  }

  private void next(HttpExchange exchange) throws IOException {
    PendingCall invocation;
    try {
      invocation = handoff.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      invocation = GONE;
    }
    if (invocation == GONE) {
      handoff.add(GONE);
      respond(exchange, 410, "{\"errorType\":\"EnvironmentGone\",\"errorMessage\":\"environment destroyed\"}");
      return;
    }
    pickUp(invocation);
    var headers = exchange.getResponseHeaders();
    headers.set("Lambda-Runtime-Aws-Request-Id", invocation.requestId);
    headers.set("Lambda-Runtime-Deadline-Ms", String.valueOf(invocation.deadlineEpochMillis()));
    headers.set("Lambda-Runtime-Invoked-Function-Arn", invocation.functionArn);
    headers.set("Lambda-Runtime-Trace-Id", "Root=1-" + Long.toHexString(System.currentTimeMillis() / 1000)
        + "-" + invocation.requestId.replace("-", "").substring(0, 24) + ";Sampled=0");
    // The client's native code crashes on a response without a content type.
    headers.set("Content-Type", "application/json");
    exchange.sendResponseHeaders(200, invocation.payload.length == 0 ? -1 : invocation.payload.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(invocation.payload);
    }
  }

  private void post(HttpExchange exchange, String rest) throws IOException {
    int slash = rest.indexOf('/');
    String requestId = slash < 0 ? rest : rest.substring(0, slash);
    String kind = slash < 0 ? "" : rest.substring(slash + 1);
    PendingCall invocation = current;
    byte[] body = exchange.getRequestBody().readAllBytes();
    if (invocation == null || !invocation.requestId.equals(requestId) || invocation.outcome.isDone()) {
      respond(exchange, 400, "{\"errorType\":\"InvalidRequestID\",\"errorMessage\":\"Invalid request ID\"}");
      return;
    }
    switch (kind) {
      case "response" -> settle(invocation, body.length > LambdaLimits.MAX_SYNC_PAYLOAD_BYTES
          ? CallOutcome.platform("Function.ResponseSizeTooLarge", "Response payload size (" + body.length
              + " bytes) exceeded maximum allowed payload size (" + LambdaLimits.MAX_SYNC_PAYLOAD_BYTES + " bytes).", "error")
          : CallOutcome.success(body));
      case "error" -> settle(invocation, reportedError(exchange, body));
      default -> {
        respond(exchange, 404, "{\"errorType\":\"NotFound\",\"errorMessage\":\"no invocation/" + rest + "\"}");
        return;
      }
    }
    respond(exchange, 202, "{\"status\":\"OK\"}");
  }

  /** The error type is the body's (the exception class), else the runtime's header. */
  private static CallOutcome reportedError(HttpExchange exchange, byte[] body) {
    String errorType = exchange.getRequestHeaders().getFirst("Lambda-Runtime-Function-Error-Type");
    try {
      JsonNode error = Json.MAPPER.readTree(body);
      if (error != null && error.hasNonNull("errorType")) {
        errorType = error.get("errorType").asText();
      }
    } catch (IOException e) {
      // not JSON: passed through as it came, typed by the header
    }
    return CallOutcome.reported(body, errorType == null ? "Unhandled" : errorType);
  }

  private static void settle(PendingCall invocation, CallOutcome outcome) {
    if (invocation != null) {
      invocation.outcome.complete(outcome);
    }
  }

  private static void respond(HttpExchange exchange, int status, String json) throws IOException {
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
  }
}
