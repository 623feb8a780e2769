package dev.stratus.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.jobs.train.GenerationRecord;
import dev.stratus.jobs.train.ScalingDecision;
import dev.stratus.jobs.train.TrainResult;
import dev.stratus.kernels.dataset.Dataset;
import dev.stratus.store.S3Path;
import java.time.Duration;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.util.SerializableUtils;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * SGD workers left to the driver where the Lambda service runs one invocation at a time (an account's concurrency
 * limit of 1): the second worker of the driver's doubling is refused (429), so the driver takes it back at the next
 * evaluation, saying why, and abandons its call; the training goes on with one worker and ends at its timeout, not
 * held up by the refused call, whose retries stop.
 */
class LambdaConcurrencyLimitTest {
  private static final String ROOT = "s3://tests/one-at-a-time";
  private static final int TIMEOUT_SECONDS = 16;

  @Test
  @Timeout(240)
  void aDoublingTheServiceRefusesIsTakenBackAndTheTrainingEndsOnTime() throws Exception {
    try (LambdaTrainingSetup setup = LambdaTrainingSetup.start(ROOT, 1)) {
      Pipeline p = Pipeline.create(setup.options());
      PCollection<Dataset> validation = p.apply("Validation", ReadDataset.from(ROOT + "/validation"));
      PCollection<TrainResult> trained = p.apply("Train", ReadDataset.from(ROOT + "/train"))
          .apply(LogisticRegressionOnWorkersTest.monitored(LogisticRegression.withValidationSet(validation))
              .l2(0f)
              .epsilon(0)
              .timeout(Duration.ofSeconds(TIMEOUT_SECONDS))
              .modelTo(ROOT + "/models/model.bin"));
      trained.apply(ParDo.of(new LogisticRegressionOnWorkersTest.SaveResult(ROOT + "/result")));
      p.run().waitUntilFinish();
      TrainResult result = (TrainResult) SerializableUtils.deserializeFromByteArray(
          DataTesting.store().get(S3Path.parse(ROOT + "/result")), "train result");

      List<ScalingDecision> decisions = result.scaling();
      decisions.forEach(decision -> System.out.println(decision.describe()));
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
      assertTrue(trainedFor < TIMEOUT_SECONDS + 10, "the training ended " + trainedFor + " s after it started");
    }
  }
}
