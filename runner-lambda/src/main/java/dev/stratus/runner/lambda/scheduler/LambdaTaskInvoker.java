package dev.stratus.runner.lambda.scheduler;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.InvocationType;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;
import software.amazon.awssdk.services.lambda.model.LogType;
import software.amazon.awssdk.services.lambda.model.TooManyRequestsException;

/** Invokes the worker function synchronously through the AWS SDK's LambdaClient (AWS or the local service). */
public final class LambdaTaskInvoker implements TaskInvoker {
  private final LambdaClient client;
  private final String functionName;

  public LambdaTaskInvoker(LambdaClient client, String functionName) {
    this.client = client;
    this.functionName = functionName;
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
    client.close();
  }
}
