package dev.stratus.lambda.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lambda's public API, as the AWS SDK sends it: Invoke, and CreateFunction, UpdateFunctionCode,
 * UpdateFunctionConfiguration, GetFunction, GetFunctionConfiguration and DeleteFunction. Every request must carry a
 * SigV4 signature made with the service's credentials; any other is refused with 403 before it is acted on.
 */
final class LambdaApi implements HttpHandler {
  static final String PREFIX = "/2015-03-31/functions";
  private static final Logger LOG = LoggerFactory.getLogger(LambdaApi.class);
  private static final DateTimeFormatter LAST_MODIFIED =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSZ").withZone(ZoneOffset.UTC);
  /** Sync requests up to the limit plus the JSON overhead of a management call are read; beyond, refused unread. */
  private static final long MAX_BODY_BYTES = 256L * 1024 * 1024;

  private final LocalLambdaService service;
  private final RequestSignatures signatures;

  LambdaApi(LocalLambdaService service, RequestSignatures signatures) {
    this.service = service;
    this.signatures = signatures;
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    try {
      RequestSignatures.Claim claim = signatures.claim(exchange);
      byte[] body = body(exchange, MAX_BODY_BYTES);
      signatures.verify(claim, exchange, body);
      route(exchange, body);
    } catch (ApiException e) {
      error(exchange, e);
    } catch (IllegalArgumentException e) {
      error(exchange, ApiException.invalidParameter(e.getMessage()));
    } catch (RuntimeException e) {
      LOG.warn("{} {} failed", exchange.getRequestMethod(), exchange.getRequestURI(), e);
      send(exchange, 500, "ServiceException", errorBody("ServiceException", String.valueOf(e.getMessage()), null));
    } finally {
      exchange.close();
    }
  }

  private void route(HttpExchange exchange, byte[] body) throws IOException {
    String method = exchange.getRequestMethod();
    String rawPath = exchange.getRequestURI().getRawPath();
    String[] segments = rawPath.substring(PREFIX.length()).split("/");
    // segments[0] is the empty string before the leading slash
    if (segments.length <= 1) {
      if (method.equals("POST")) {
        createFunction(exchange, body);
        return;
      }
      throw ApiException.unknownOperation(method, rawPath);
    }
    String nameOrArn = URLDecoder.decode(segments[1], StandardCharsets.UTF_8);
    String action = segments.length > 2 ? segments[2] : "";
    String operation = method + " " + action;
    switch (operation) {
      case "POST invocations" -> invoke(exchange, nameOrArn, body);
      case "GET " -> send(exchange, 200, null, Json.bytes(functionDocument(lookup(exchange, nameOrArn))));
      case "GET configuration" -> send(exchange, 200, null, Json.bytes(configuration(lookup(exchange, nameOrArn))));
      case "DELETE " -> {
        String name = lookup(exchange, nameOrArn).deployment().name();
        service.deleteFunction(name);
        send(exchange, 204, null, new byte[0]);
      }
      case "PUT code" -> updateCode(exchange, lookup(exchange, nameOrArn), body);
      case "PUT configuration" -> updateConfiguration(exchange, lookup(exchange, nameOrArn), body);
      default -> throw ApiException.unknownOperation(method, rawPath);
    }
  }

  private void invoke(HttpExchange exchange, String nameOrArn, byte[] payload) throws IOException {
    LambdaFunction function = lookup(exchange, nameOrArn);
    Headers headers = exchange.getRequestHeaders();
    String type = headers.getFirst("X-Amz-Invocation-Type");
    type = type == null ? "RequestResponse" : type;
    int limit = type.equals("Event") ? LambdaLimits.MAX_EVENT_PAYLOAD_BYTES : LambdaLimits.MAX_SYNC_PAYLOAD_BYTES;
    if (payload.length > limit) {
      throw tooLarge(payload.length, limit);
    }
    switch (type) {
      case "DryRun" -> send(exchange, 204, null, new byte[0]);
      case "Event" -> {
        service.invokeAsync(function, payload);
        send(exchange, 202, null, new byte[0]);
      }
      case "RequestResponse" -> {
        LocalLambdaService.InvokeResult result = service.invoke(function, payload);
        Headers response = exchange.getResponseHeaders();
        response.set("X-Amz-Executed-Version", "$LATEST");
        response.set("X-Amzn-RequestId", result.requestId());
        if (result.outcome().functionError()) {
          response.set("X-Amz-Function-Error", "Unhandled");
        }
        if ("Tail".equalsIgnoreCase(headers.getFirst("X-Amz-Log-Type"))) {
          response.set("X-Amz-Log-Result", Base64.getEncoder().encodeToString(result.logTail()));
        }
        send(exchange, 200, null, result.outcome().payload());
      }
      default -> throw ApiException.invalidParameter("unknown invocation type " + type);
    }
  }

  private void createFunction(HttpExchange exchange, byte[] body) throws IOException {
    JsonNode request = Json.parse(body);
    String name = text(request, "FunctionName", null);
    LambdaLimits.checkName(name);
    String handler = text(request, "Handler", null);
    LambdaLimits.checkHandler(handler);
    int memoryMb = request.path("MemorySize").asInt(FunctionSpec.DEFAULT_MEMORY_MB);
    int timeoutSeconds = request.path("Timeout").asInt(FunctionSpec.DEFAULT_TIMEOUT_SECONDS);
    LambdaLimits.checkMemory(memoryMb);
    LambdaLimits.checkTimeout(timeoutSeconds);
    if (service.hasFunction(name)) {
      throw ApiException.conflict("Function already exist: " + name);
    }
    long revision = service.nextRevision();
    FunctionCode code = unpack(request.path("Code"), name, revision);
    Deployment deployment = new Deployment(name, handler, code, memoryMb, timeoutSeconds,
        variables(request.path("Environment")), text(request, "Role", ""), text(request, "Runtime", "java17"),
        revision, Instant.now());
    service.createFunction(deployment);
    send(exchange, 201, null, Json.bytes(configuration(service.function(name))));
  }

  private void updateCode(HttpExchange exchange, LambdaFunction function, byte[] body) throws IOException {
    JsonNode request = Json.parse(body);
    long revision = service.nextRevision();
    Deployment current = function.deployment();
    function.redeploy(current.withCode(unpack(request, current.name(), revision), revision));
    send(exchange, 200, null, Json.bytes(configuration(function)));
  }

  private void updateConfiguration(HttpExchange exchange, LambdaFunction function, byte[] body) throws IOException {
    JsonNode request = Json.parse(body);
    Deployment current = function.deployment();
    String handler = text(request, "Handler", current.handler());
    LambdaLimits.checkHandler(handler);
    int memoryMb = request.path("MemorySize").asInt(current.memoryMb());
    int timeoutSeconds = request.path("Timeout").asInt(current.timeoutSeconds());
    LambdaLimits.checkMemory(memoryMb);
    LambdaLimits.checkTimeout(timeoutSeconds);
    Map<String, String> environment =
        request.has("Environment") ? variables(request.get("Environment")) : current.environment();
    function.redeploy(current.withConfiguration(handler, memoryMb, timeoutSeconds, environment,
        text(request, "Role", current.role()), text(request, "Runtime", current.runtime()), service.nextRevision()));
    send(exchange, 200, null, Json.bytes(configuration(function)));
  }

  /** CreateFunction's {@code Code} or UpdateFunctionCode's body: only {@code ZipFile} is served locally. */
  private FunctionCode unpack(JsonNode code, String name, long revision) {
    if (!code.hasNonNull("ZipFile")) {
      throw ApiException.invalidParameter("the local Lambda service takes code as ZipFile only"
          + (code.has("S3Bucket") ? ", not from S3" : "") + (code.has("ImageUri") ? ", not as an image" : ""));
    }
    byte[] zip;
    try {
      zip = code.get("ZipFile").binaryValue();
    } catch (IOException e) {
      throw ApiException.invalidParameter("ZipFile is not base64: " + e.getMessage());
    }
    return CodeArchive.unpack(zip, service.codeDirectory(name, revision));
  }

  /** Resolves a name, a full or partial ARN, with a qualifier in it or in {@code ?Qualifier=}. */
  private LambdaFunction lookup(HttpExchange exchange, String nameOrArn) {
    String[] parts = nameOrArn.split(":");
    int functionMarker = Arrays.asList(parts).indexOf("function");
    String name;
    String qualifier = null;
    if (functionMarker >= 0 && functionMarker + 1 < parts.length) {
      name = parts[functionMarker + 1];
      qualifier = functionMarker + 2 < parts.length ? parts[functionMarker + 2] : null;
    } else {
      name = parts[0];
      qualifier = parts.length > 1 ? parts[1] : null;
    }
    String query = exchange.getRequestURI().getRawQuery();
    if (query != null) {
      for (String parameter : query.split("&")) {
        if (parameter.startsWith("Qualifier=")) {
          qualifier = URLDecoder.decode(parameter.substring("Qualifier=".length()), StandardCharsets.UTF_8);
        }
      }
    }
    LambdaFunction function = service.function(name);
    if (qualifier != null && !qualifier.equals("$LATEST")) {
      throw ApiException.notFound("Function not found: " + service.arn(name) + ":" + qualifier
          + " (the local Lambda service has $LATEST only)");
    }
    return function;
  }

  private ObjectNode functionDocument(LambdaFunction function) {
    ObjectNode document = Json.MAPPER.createObjectNode();
    document.set("Configuration", configuration(function));
    FunctionCode code = function.deployment().code();
    String location = code instanceof FunctionCode.Archive archive ? archive.taskRoot().toUri().toString() : "";
    document.putObject("Code").put("RepositoryType", "S3").put("Location", location);
    return document;
  }

  /** Lambda's FunctionConfiguration; a function is Active as soon as it exists, updates are done at once. */
  private ObjectNode configuration(LambdaFunction function) {
    Deployment deployment = function.deployment();
    ObjectNode configuration = Json.MAPPER.createObjectNode()
        .put("FunctionName", deployment.name())
        .put("FunctionArn", service.arn(deployment.name()))
        .put("Runtime", deployment.runtime())
        .put("Role", deployment.role())
        .put("Handler", deployment.handler())
        .put("Timeout", deployment.timeoutSeconds())
        .put("MemorySize", deployment.memoryMb())
        .put("LastModified", LAST_MODIFIED.format(deployment.lastModified()))
        .put("Version", "$LATEST")
        .put("State", "Active")
        .put("LastUpdateStatus", "Successful")
        .put("PackageType", "Zip");
    if (deployment.code() instanceof FunctionCode.Archive archive) {
      configuration.put("CodeSize", archive.size()).put("CodeSha256", archive.sha256());
    } else {
      configuration.put("CodeSize", 0);
    }
    ObjectNode variables = configuration.putObject("Environment").putObject("Variables");
    deployment.environment().forEach(variables::put);
    configuration.putArray("Architectures").add("x86_64");
    return configuration;
  }

  private static Map<String, String> variables(JsonNode environment) {
    Map<String, String> variables = new HashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = environment.path("Variables").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> variable = it.next();
      variables.put(variable.getKey(), variable.getValue().asText());
    }
    return variables;
  }

  private static String text(JsonNode node, String field, String fallback) {
    return node.hasNonNull(field) ? node.get(field).asText() : fallback;
  }

  /**
   * Reads the request body, refusing it with 413 past {@code limit} bytes. An oversized body is still drained, so
   * the client, still writing it, reads the refusal instead of a broken connection.
   */
  private static byte[] body(HttpExchange exchange, long limit) throws IOException {
    try (InputStream in = exchange.getRequestBody()) {
      byte[] body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
      if (body.length > limit) {
        long size = body.length + in.transferTo(OutputStream.nullOutputStream());
        throw tooLarge(size, limit);
      }
      return body;
    }
  }

  private static ApiException tooLarge(long size, long limit) {
    return ApiException.tooLarge(
        "Request must be smaller than " + limit + " bytes for the InvokeFunction operation (was " + size + ")");
  }

  private static void error(HttpExchange exchange, ApiException e) throws IOException {
    send(exchange, e.status, e.errorType, errorBody(e.errorType, e.getMessage(), e.reason));
  }

  private static byte[] errorBody(String type, String message, String reason) {
    ObjectNode body = Json.MAPPER.createObjectNode().put("Type", "User").put("message", message);
    if (reason != null) {
      body.put("Reason", reason);
    }
    return Json.bytes(body);
  }

  private static void send(HttpExchange exchange, int status, String errorType, byte[] body) throws IOException {
    Headers headers = exchange.getResponseHeaders();
    headers.set("Content-Type", "application/json");
    if (errorType != null) {
      headers.set("X-Amzn-ErrorType", errorType);
    }
    boolean empty = body.length == 0;
    exchange.sendResponseHeaders(status, empty ? -1 : body.length);
    if (!empty) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }
}
