package dev.stratus.spi;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A runner's worker function, invoked with a request for one of the {@link WorkerEntryPoint}s on its class path. Each
 * call is one invocation (one AWS Lambda invocation on LambdaRunner): it runs until the entry point returns, the
 * function's timeout, or the environment's death.
 *
 * <pre>{@code
 * CompletableFuture<byte[]> answer = context.workers().invoke(SgdEntryPoint.NAME, requestBytes);
 * answer.whenComplete((bytes, failure) -> ...);   // failure: a WorkerFailedException with the worker's error
 * }</pre>
 */
public interface Workers {
  /**
   * Invokes entry point {@code entryPoint} with {@code request}. Completes with the entry point's answer, or
   * exceptionally with a {@link WorkerFailedException} when the invocation failed (the entry point threw, the
   * environment died or timed out). Throttled invocations are retried by the runner ({@link #refusedNow} while they
   * wait); cancelling the answer abandons one the service still throttles.
   */
  CompletableFuture<byte[]> invoke(String entryPoint, byte[] request);

  /** The time limit of one invocation, in seconds: an entry point should return well before it. */
  int timeoutSeconds();

  /** The memory of one invocation's environment, in MB. */
  int memoryMb();

  /**
   * The memory sizes, in MB, the worker function is offered at, smallest first, {@link #memoryMb} among them: what
   * {@link #atMemory} takes. On LambdaRunner, the function's own and the sizes of {@code --workerMemorySizesMb}.
   */
  default List<Integer> memorySizesMb() {
    return List.of(memoryMb());
  }

  /**
   * The worker function at {@code memoryMb}, one of {@link #memorySizesMb}: its invocations run in environments of
   * that memory. Throws IllegalArgumentException, naming the sizes offered, for any other.
   */
  default Workers atMemory(int memoryMb) {
    if (memoryMb != memoryMb()) {
      throw new IllegalArgumentException(
          "the worker function is offered at " + memorySizesMb() + " MB, not at " + memoryMb + " MB");
    }
    return this;
  }

  /**
   * Whether an invocation computes faster with more memory: AWS Lambda gives an environment CPU in proportion to its
   * memory (one vCPU at 1,769 MB), where a local service's environments share this machine's cores whatever their
   * memory.
   */
  default boolean cpuGrowsWithMemory() {
    return false;
  }

  /** Invocations started so far, retries of throttled calls excluded. */
  long invocations();

  /**
   * Whether the service refuses {@code call} (an answer of {@link #invoke}) now, its concurrency used up (Lambda's
   * 429): its last attempt was throttled and it waits to be tried again, so it has not begun. False where the service
   * never refuses.
   */
  default boolean refusedNow(CompletableFuture<byte[]> call) {
    return false;
  }

  /**
   * Whether the worker function runs on this machine (a local Lambda service), so that workers reach what the driver
   * serves on its loopback interface.
   */
  boolean onThisMachine();

  /** Where the worker function runs, for messages: "on AWS Lambda (--lambdaEndpoint=aws)", say. */
  String location();

  /**
   * Whether {@code host} names an address only this machine reaches (loopback, link-local, the wildcard), which
   * workers that do not run {@link #onThisMachine} can never dial. A name this machine cannot resolve is not: it
   * may be one only the workers' network knows.
   */
  static boolean onlyThisMachineReaches(String host) {
    try {
      InetAddress address = InetAddress.getByName(host);
      return address.isLoopbackAddress() || address.isLinkLocalAddress() || address.isAnyLocalAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
