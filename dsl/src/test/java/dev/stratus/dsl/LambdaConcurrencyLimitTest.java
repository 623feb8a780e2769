package dev.stratus.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.jobs.train.GenerationRecord;
import dev.stratus.jobs.train.ScalingDecision;
import dev.stratus.jobs.train.StopReason;
import dev.stratus.jobs.train.TrainResult;
import dev.stratus.kernels.dataset.Dataset;
import dev.stratus.kernels.sgd.LinearModel;
import dev.stratus.store.S3Path;
import java.time.Duration;
import java.util.List;
import java.util.function.UnaryOperator;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.util.SerializableUtils;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Trainings whose workers the driver chooses, where the Lambda service runs one invocation at a time (an account's
 * concurrency limit of 1, so every call past the first is refused with a 429): the driver goes on with the workers
 * that run, says why, and abandons the refused calls, instead of waiting on them until its timeout.
 */
@Timeout(240)
class LambdaConcurrencyLimitTest {
  private static final String ROOT = "s3://tests/one-at-a-time";
  private static final double BAR = 1.02;

  private static LambdaTrainingSetup setup;

  @BeforeAll
  static void startLambdaWithRoomForOneCall() {
    setup = LambdaTrainingSetup.start(ROOT, 1);
  }

  @AfterAll
  static void stopLambda() {
    setup.close();
  }

  /**
   * SGD starts one worker and tries two: the second's call is refused, so the driver takes it back at the next
   * evaluation, and the training goes on with one and ends at its timeout, not held up by the refused call.
   */
  @Test
  void anSgdDoublingTheServiceRefusesIsTakenBackAtOnce() throws Exception {
    // the first doubling comes once the rate stops climbing, at most SgdScaling.MOST_SECONDS after the worker began
    // (about 15 s on a quiet machine; after 16 s in a fresh-clone CI run on 2026-12-07, which then failed)
    int timeoutSeconds = 30;
    TrainResult result = train("sgd", lr -> LogisticRegressionOnWorkersTest.monitored(lr)
        .epsilon(0)
        .timeout(Duration.ofSeconds(timeoutSeconds)));

    List<ScalingDecision> decisions = result.scaling().stream()
        .filter(decision -> decision.resource() == ScalingDecision.Resource.WORKERS).toList();
    assertEquals(2, decisions.size(), decisions.toString());
    assertEquals(1, decisions.get(0).from(), decisions.get(0).describe());
    assertEquals(2, decisions.get(0).to(), decisions.get(0).describe());
    ScalingDecision refused = decisions.get(1);
    assertEquals(2, refused.from(), refused.describe());
    assertEquals(1, refused.to(), refused.describe());
    assertTrue(refused.reason().startsWith("the Lambda service refused "), refused.describe());
    assertTrue(refused.atSeconds() - decisions.get(0).atSeconds() < 3, "taken back at once: " + decisions);
    assertEquals(1, result.keptWorkers());
    List<GenerationRecord> second = result.generationsOf(1);
    assertEquals(1, second.size(), "the refused worker's call, abandoned: " + second);
    assertEquals(0, second.get(0).workSeconds(), "it never ran: " + second.get(0));
    double trainedFor = result.curve().get(result.curve().size() - 1).seconds();
    assertTrue(trainedFor < timeoutSeconds + 10, "the training ended " + trainedFor + " s after it started");
  }

  /**
   * L-BFGS starts two workers, and a round needs both: the second's call is refused, so the driver goes on with one
   * new worker holding every partition, and the solve reaches the optimum as it would have with two.
   */
  @Test
  void lbfgsGoesOnWithTheWorkersTheServiceRuns() throws Exception {
    TrainResult result = train("lbfgs", lr -> lr.timeout(Duration.ofSeconds(60)));

    List<ScalingDecision> decisions = result.scaling();
    assertTrue(decisions.stream().anyMatch(decision -> decision.from() == 2 && decision.to() == 1
            && decision.reason().startsWith("the Lambda service refused the calls of 1 of the 2 workers")),
        decisions.toString());
    assertEquals(StopReason.CONVERGED, result.stopReason(), "the solve went on: " + result.stopReason());
    LinearModel model =
        LinearModel.fromBytes(DataTesting.store().get(S3Path.parse(result.modelPath())), result.modelPath());
    double loss = model.evaluate(setup.testRows()).loss();
    assertTrue(loss <= setup.optimum() * BAR, loss + " is not within 2% of liblinear's " + setup.optimum());
  }

  private static TrainResult train(String name, UnaryOperator<LogisticRegression> configure) {
    Pipeline p = Pipeline.create(setup.options());
    PCollection<Dataset> validation = p.apply("Validation", ReadDataset.from(ROOT + "/validation"));
    PCollection<TrainResult> trained = p.apply("Train", ReadDataset.from(ROOT + "/train"))
        .apply(configure.apply(LogisticRegression.withValidationSet(validation).l2(0f))
            .modelTo(ROOT + "/models/" + name + ".bin"));
    trained.apply(ParDo.of(new LogisticRegressionOnWorkersTest.SaveResult(ROOT + "/results/" + name)));
    p.run().waitUntilFinish();
    TrainResult result = (TrainResult) SerializableUtils.deserializeFromByteArray(
        DataTesting.store().get(S3Path.parse(ROOT + "/results/" + name)), "train result");
    result.scaling().forEach(decision -> System.out.println(decision.describe()));
    return result;
  }
}
