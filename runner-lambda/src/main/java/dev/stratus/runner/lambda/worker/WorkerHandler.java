package dev.stratus.runner.lambda.worker;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import dev.stratus.runner.lambda.message.InvocationPayloads;
import dev.stratus.runner.lambda.message.TaskSummary;
import dev.stratus.runner.lambda.message.WorkerFunction;
import dev.stratus.spi.WorkerContext;
import dev.stratus.spi.WorkerEntryPoint;
import dev.stratus.store.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.stream.Collectors;

/**
 * The Lambda function of LambdaRunner's workers, registered by its name {@link WorkerFunction#HANDLER}. An
 * invocation runs either one task attempt or one call of a {@link WorkerEntryPoint} found on the class path (the
 * workers of a transform the driver executes whole, such as training). The request and the answer are small JSON
 * documents of references; the data moves through the object store. A task that fails answers normally with a failed
 * summary carrying the user's exception; an entry point that throws, or a broken request (another build's format, an
 * unreachable store), fails the invocation itself.
 */
public final class WorkerHandler implements RequestStreamHandler {
  private static final Map<String, WorkerEntryPoint> ENTRY_POINTS =
      ServiceLoader.load(WorkerEntryPoint.class, WorkerHandler.class.getClassLoader()).stream()
          .map(ServiceLoader.Provider::get)
          .collect(Collectors.toMap(WorkerEntryPoint::name, e -> e));

  @Override
  public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
    byte[] payload = input.readAllBytes();
    InvocationPayloads.EntryPointCall call = InvocationPayloads.EntryPointCall.fromJsonOrNull(payload);
    if (call != null) {
      output.write(InvocationPayloads.answerJson(callEntryPoint(call, context)));
      return;
    }
    InvocationPayloads.Request request = InvocationPayloads.Request.fromJson(payload);
    TaskSummary summary = new TaskRunner(ObjectStore.of(request.store())).run(request);
    output.write(InvocationPayloads.responseJson(summary));
  }

  private static byte[] callEntryPoint(InvocationPayloads.EntryPointCall call, Context context) throws IOException {
    WorkerEntryPoint entryPoint = ENTRY_POINTS.get(call.entryPoint());
    if (entryPoint == null) {
      throw new IllegalStateException("no worker entry point '" + call.entryPoint() + "' on the worker's class path"
          + " (it has " + ENTRY_POINTS.keySet() + "): deploy the worker with the library that defines it");
    }
    try {
      return entryPoint.handle(call.request(), new LambdaContext(context));
    } catch (IOException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(call.entryPoint() + " failed: " + e, e);
    }
  }

  private record LambdaContext(Context lambda) implements WorkerContext {
    @Override
    public long remainingMillis() {
      return lambda.getRemainingTimeInMillis();
    }

    @Override
    public int memoryMb() {
      return lambda.getMemoryLimitInMB();
    }

    @Override
    public String requestId() {
      return lambda.getAwsRequestId();
    }
  }
}
