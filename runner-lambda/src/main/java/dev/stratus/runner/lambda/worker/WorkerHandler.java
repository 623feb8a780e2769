package dev.stratus.runner.lambda.worker;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import dev.stratus.runner.lambda.message.Invocation;
import dev.stratus.runner.lambda.message.TaskSummary;
import dev.stratus.store.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * The Lambda function of LambdaRunner's workers ({@code dev.stratus.runner.lambda.worker.WorkerHandler::handleRequest}):
 * one invocation runs one task attempt. The request and the answer are small JSON documents of references; the data
 * moves through the object store. A task that fails answers normally with a failed summary carrying the user's
 * exception; only a broken request (another build's format, an unreachable store) fails the invocation itself.
 */
public final class WorkerHandler implements RequestStreamHandler {
  @Override
  public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
    Invocation.Request request = Invocation.Request.fromJson(input.readAllBytes());
    TaskSummary summary = new TaskRunner(ObjectStore.of(request.store())).run(request);
    output.write(Invocation.responseJson(summary));
  }
}
