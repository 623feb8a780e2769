package dev.stratus.lambda.local;

import static dev.stratus.lambda.local.TestFunctions.command;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpFullRequest;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.HttpSigner;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;
import software.amazon.awssdk.services.lambda.model.LambdaException;

/**
 * Only the driver that started the service drives it: the Lambda API takes requests signed with the service's own
 * credentials, and each environment's Runtime API only its own process.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AuthenticationTest {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static LocalLambdaService service;
  private static LambdaClient client;

  @BeforeAll
  static void start() {
    service = LocalLambdaService.start();
    service.registerFunction(TestFunctions.spec("guarded"));
    client = service.clientBuilder().build();
  }

  @AfterAll
  static void stop() {
    client.close();
    service.close();
    assertEquals(0, TestFunctions.descendants(), "environment processes left behind");
  }

  private static String invocationsPath(String function) {
    return "/2015-03-31/functions/" + function + "/invocations";
  }

  @Test
  void theServicesOwnClientInvokesAndManagesFunctions() throws IOException {
    InvokeResponse response = client.invoke(request -> request.functionName("guarded").payload(command("echo hi")));
    assertNull(response.functionError(), response.payload().asUtf8String());
    assertEquals("hi", Json.MAPPER.readTree(response.payload().asByteArray()).get("echo").asText());

    client.updateFunctionConfiguration(request -> request.functionName("guarded").timeout(5));
    assertEquals(5, client.getFunctionConfiguration(request -> request.functionName("guarded")).timeout());
  }

  @Test
  void aClientWithTheRightKeyIdButAnotherSecretIsRefused() {
    AwsBasicCredentials forged =
        AwsBasicCredentials.create(service.credentialsProvider().resolveCredentials().accessKeyId(), "guessed");
    try (LambdaClient other = service.clientBuilder()
        .credentialsProvider(StaticCredentialsProvider.create(forged)).build()) {
      LambdaException invoke = assertThrows(LambdaException.class,
          () -> other.invoke(request -> request.functionName("guarded").payload(command("echo forged"))));
      assertEquals(403, invoke.statusCode());
      assertEquals("InvalidSignatureException", invoke.awsErrorDetails().errorCode());

      LambdaException create = assertThrows(LambdaException.class, () -> other.createFunction(request -> request
          .functionName("planted").handler(TestFunctions.HANDLER)
          .code(code -> code.zipFile(SdkBytes.fromByteArray(new byte[] {1})))));
      assertEquals(403, create.statusCode());
      assertFalse(service.hasFunction("planted"));
    }
  }

  @Test
  void aServiceGivenItsCredentialsTakesThoseAlone() {
    AwsBasicCredentials given = AwsBasicCredentials.create("GIVENKEY", "given-secret");
    try (LocalLambdaService other = LocalLambdaService.start(
        LocalLambdaService.Config.defaults().withEnvironmentMode(LocalLambdaService.EnvironmentMode.IN_PROCESS),
        given)) {
      other.registerFunction(TestFunctions.spec("given"));
      assertEquals("GIVENKEY", other.credentialsProvider().resolveCredentials().accessKeyId());
      try (LambdaClient creator = other.clientBuilder()
          .credentialsProvider(StaticCredentialsProvider.create(given)).build()) {
        assertEquals("given", creator.getFunctionConfiguration(request -> request.functionName("given"))
            .functionName());
      }
      try (LambdaClient stranger = other.clientBuilder().credentialsProvider(service.credentialsProvider()).build()) {
        LambdaException e = assertThrows(LambdaException.class,
            () -> stranger.getFunctionConfiguration(request -> request.functionName("given")));
        assertEquals(403, e.statusCode());
      }
    }
  }

  @Test
  void aClientWithPlaceholderCredentialsIsRefused() {
    try (LambdaClient other = service.clientBuilder()
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("local", "local"))).build()) {
      LambdaException e = assertThrows(LambdaException.class,
          () -> other.deleteFunction(request -> request.functionName("guarded")));
      assertEquals(403, e.statusCode());
      assertEquals("UnrecognizedClientException", e.awsErrorDetails().errorCode());
      assertTrue(service.hasFunction("guarded"));
    }
  }

  @Test
  void anUnsignedRequestIsRefusedWithALambdaError() throws Exception {
    HttpResponse<String> invoke = HTTP.send(HttpRequest.newBuilder(service.endpoint().resolve(invocationsPath("guarded")))
        .POST(HttpRequest.BodyPublishers.ofString("\"echo unsigned\"")).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(403, invoke.statusCode());
    assertEquals("MissingAuthenticationTokenException", invoke.headers().firstValue("X-Amzn-ErrorType").orElse(""));
    assertTrue(Json.MAPPER.readTree(invoke.body()).get("message").asText().startsWith("Missing Authentication Token"),
        invoke.body());

    HttpResponse<String> create = HTTP.send(HttpRequest.newBuilder(service.endpoint().resolve("/2015-03-31/functions"))
        .POST(HttpRequest.BodyPublishers.ofString("{\"FunctionName\":\"planted\",\"Handler\":\"x::y\","
            + "\"Code\":{\"ZipFile\":\"UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==\"}}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(403, create.statusCode());
    assertFalse(service.hasFunction("planted"));
  }

  @Test
  void aSignedRawRequestIsTakenWhileFreshAndRefusedOnceStale() throws Exception {
    Instant now = Instant.now();
    HttpResponse<String> fresh = sendSigned(invocationsPath("guarded"), "\"echo raw\"", now);
    assertEquals(200, fresh.statusCode(), fresh.body());
    assertEquals("raw", Json.MAPPER.readTree(fresh.body()).get("echo").asText());

    HttpResponse<String> stale = sendSigned(invocationsPath("guarded"), "\"echo replayed\"",
        now.minus(RequestSignatures.MAX_CLOCK_SKEW).minusSeconds(60));
    assertEquals(403, stale.statusCode());
    assertTrue(stale.body().contains("Signature expired"), stale.body());
  }

  /** Signs with the service's credentials at {@code date} by the SDK's signer, and sends through another client. */
  private static HttpResponse<String> sendSigned(String path, String body, Instant date) throws Exception {
    URI uri = service.endpoint().resolve(path);
    SdkHttpFullRequest unsigned = SdkHttpFullRequest.builder().method(SdkHttpMethod.POST).uri(uri).build();
    AwsCredentialsIdentity credentials = service.credentialsProvider().resolveCredentials();
    SdkHttpFullRequest signed = (SdkHttpFullRequest) AwsV4HttpSigner.create().sign(request -> request
        .identity(credentials)
        .request(unsigned)
        .payload(ContentStreamProvider.fromUtf8String(body))
        .putProperty(AwsV4HttpSigner.REGION_NAME, service.config().region())
        .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "lambda")
        .putProperty(HttpSigner.SIGNING_CLOCK, Clock.fixed(date, ZoneOffset.UTC))).request();
    HttpRequest.Builder request = HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofString(body));
    signed.forEachHeader((name, values) -> {
      if (!name.equalsIgnoreCase("Host")) {
        values.forEach(value -> request.header(name, value));
      }
    });
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void anEnvironmentsRuntimeApiServesOnlyItsOwnProcess() throws Exception {
    JsonNode answer = Json.MAPPER.readTree(client.invoke(request -> request.functionName("guarded")
        .payload(command("echo warm"))).payload().asByteArray());
    long pid = answer.get("pid").asLong();
    String runtimeApi = environmentOf(pid, "AWS_LAMBDA_RUNTIME_API");
    int slash = runtimeApi.indexOf('/');
    assertTrue(slash > 0, "the runtime API address carries the environment's token: " + runtimeApi);
    String hostAndPort = runtimeApi.substring(0, slash);

    for (String prefix : new String[] {"", "/" + "0".repeat(runtimeApi.length() - slash - 1)}) {
      HttpResponse<String> next = HTTP.send(HttpRequest.newBuilder(
              URI.create("http://" + hostAndPort + prefix + "/2018-06-01/runtime/invocation/next"))
          .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(403, next.statusCode(), "prefix '" + prefix + "': " + next.body());
    }

    InvokeResponse after = client.invoke(request -> request.functionName("guarded").payload(command("echo still")));
    assertEquals(pid, Json.MAPPER.readTree(after.payload().asByteArray()).get("pid").asLong(),
        "the environment kept working for its own function");
  }

  /** A variable of a process's environment as the kernel holds it (readable by the same user only). */
  static String environmentOf(long pid, String name) throws IOException {
    String environ = new String(Files.readAllBytes(Path.of("/proc", String.valueOf(pid), "environ")),
        StandardCharsets.UTF_8);
    for (String variable : environ.split("\0")) {
      if (variable.startsWith(name + "=")) {
        return variable.substring(name.length() + 1);
      }
    }
    throw new AssertionError(name + " is not in the environment of process " + pid);
  }
}
