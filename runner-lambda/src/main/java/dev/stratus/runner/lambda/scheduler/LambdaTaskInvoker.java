package dev.stratus.runner.lambda.scheduler;

import java.nio.charset.StandardCharsets;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.InvocationType;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;
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
                      .payload(SdkBytes.fromByteArray(requestJson)));
      byte[] payload = response.payload() == null ? new byte[0] : response.payload().asByteArray();
      if (response.functionError() != null) {
        return new Outcome.Failed(response.functionError(), new String(payload, StandardCharsets.UTF_8));
      }
      return new Outcome.Answered(payload);
    } catch (TooManyRequestsException e) {
      return new Outcome.Throttled(e.getMessage());
    } catch (SdkException e) {
      return new Outcome.Failed(e.getClass().getSimpleName(), String.valueOf(e.getMessage()));
    }
  }

  @Override
  public void close() {
    client.close();
  }
}
