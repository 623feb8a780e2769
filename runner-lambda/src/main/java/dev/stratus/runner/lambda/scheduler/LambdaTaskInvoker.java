package dev.stratus.runner.lambda.scheduler;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.LambdaClientBuilder;
import software.amazon.awssdk.services.lambda.model.InvocationType;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;
import software.amazon.awssdk.services.lambda.model.LogType;
import software.amazon.awssdk.services.lambda.model.TooManyRequestsException;

/**
 * Invokes the worker function synchronously through the AWS SDK's LambdaClient (AWS or the local service). Build its
 * client with {@link #configure}: an invocation is never repeated by the SDK, and waits as long as the function may run.
 */
public final class LambdaTaskInvoker implements TaskInvoker {
  /** What a call waits beyond the function's timeout: for the service to end the invocation and answer. */
  static final Duration ANSWER_MARGIN = Duration.ofSeconds(30);

  private final LambdaClient client;
  private final String functionName;
  /** Whether {@link #close} closes the client: false for the invokers {@link #forFunction} makes, which share it. */
  private final boolean ownsClient;

  /** Invokes {@code functionName} through {@code client}, which it closes when closed. */
  public LambdaTaskInvoker(LambdaClient client, String functionName) {
    this(client, functionName, true);
  }

  private LambdaTaskInvoker(LambdaClient client, String functionName, boolean ownsClient) {
    this.client = client;
    this.functionName = functionName;
    this.ownsClient = ownsClient;
  }

  @Override
  public TaskInvoker forFunction(String otherFunction) {
    return new LambdaTaskInvoker(client, otherFunction, false);
  }

  /** How long one invocation of a function with this timeout may take before the driver gives up on it. */
  public static Duration callTimeout(int functionTimeoutSeconds) {
    return Duration.ofSeconds(functionTimeoutSeconds).plus(ANSWER_MARGIN);
  }

  /**
   * Sets {@code builder} up for invocations. The SDK's own retries are off: a retry after a read timeout or a broken
   * connection would run the task again while the first run may still be going, under the same attempt; the scheduler
   * retries instead, each time under a fresh attempt. The read timeout is {@code callTimeout}, since the service
   * answers only when the invocation ends.
   */
  public static LambdaClientBuilder configure(LambdaClientBuilder builder, Duration callTimeout) {
    return builder
        .httpClient(UrlConnectionHttpClient.builder().socketTimeout(callTimeout).build())
        .overrideConfiguration(c -> c.retryStrategy(AwsRetryStrategy.doNotRetry()));
  }

  @Override
  public Outcome invoke(byte[] requestJson) {
    try {
      InvokeResponse response =
          client.invoke(
              b ->
                  b.functionName(functionName)
                      .invocationType(InvocationType.REQUEST_RESPONSE)
                      .logType(LogType.TAIL)
                      .payload(SdkBytes.fromByteArray(requestJson)));
      byte[] payload = response.payload() == null ? new byte[0] : response.payload().asByteArray();
      if (response.functionError() != null) {
        return new Outcome.Failed(
            response.functionError(), new String(payload, StandardCharsets.UTF_8) + logTail(response.logResult()));
      }
      return new Outcome.Answered(payload);
    } catch (TooManyRequestsException e) {
      return new Outcome.Throttled(e.getMessage());
    } catch (SdkException e) {
      return new Outcome.Failed(e.getClass().getSimpleName(), String.valueOf(e.getMessage()));
    }
  }

  /** The end of the environment's log Lambda returns with the answer: what a crashed worker printed last. */
  private static String logTail(String base64) {
    if (base64 == null || base64.isEmpty()) {
      return "";
    }
    return "\n--- worker log tail ---\n" + new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    if (ownsClient) {
      client.close();
    }
  }
}
