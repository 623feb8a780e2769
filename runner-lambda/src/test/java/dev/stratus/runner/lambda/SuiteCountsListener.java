package dev.stratus.runner.lambda;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;

/**
 * Prints one line per test run with its counts (run, passed, failed, skipped), named by the {@code stratus.testSuite}
 * system property each surefire execution sets, so the conformance numbers stand out in the build log.
 */
public final class SuiteCountsListener implements TestExecutionListener {
  private final AtomicLong passed = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong skipped = new AtomicLong();

  @Override
  public void executionSkipped(TestIdentifier test, String reason) {
    if (test.isTest()) {
      skipped.incrementAndGet();
    }
  }

  @Override
  public void executionFinished(TestIdentifier test, TestExecutionResult result) {
    if (!test.isTest()) {
      return;
    }
    switch (result.getStatus()) {
      case SUCCESSFUL -> passed.incrementAndGet();
      case ABORTED -> skipped.incrementAndGet();
      case FAILED -> failed.incrementAndGet();
    }
  }

  @Override
  public void testPlanExecutionFinished(TestPlan plan) {
    String suite = System.getProperty("stratus.testSuite", "runner-lambda unit tests");
    long run = passed.get() + failed.get() + skipped.get();
    System.out.printf(
        "%n[%s] run: %d, passed: %d, failed: %d, skipped: %d%n%n", suite, run, passed.get(), failed.get(), skipped.get());
  }
}
