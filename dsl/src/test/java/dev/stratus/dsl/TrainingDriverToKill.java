package dev.stratus.dsl;

import dev.stratus.jobs.train.Solver;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/**
 * The driver {@link LogisticRegressionOnWorkersTest} kills, in a JVM of its own: the training that test resumes, on
 * LambdaRunner with the embedded local Lambda service of this JVM (so its environments are this JVM's children, as its
 * shards are), against the embedded store in a given data directory.
 *
 * <p>Arguments: the store's data directory, the model's location, the solver ({@code SGD} or {@code LBFGS}) and the L2
 * penalty.
 */
public final class TrainingDriverToKill {
  private TrainingDriverToKill() {}

  public static void main(String[] args) {
    LambdaTrainingSetup.StoreOptionsAndRunner options = PipelineOptionsFactory.fromArgs(
            "--runner=LambdaRunner",
            "--dataDir=" + args[0],
            "--workerMemoryMb=512",
            "--taskTimeoutSeconds=120")
        .as(LambdaTrainingSetup.StoreOptionsAndRunner.class);
    LogisticRegressionOnWorkersTest.snapshotEverySecond(options);
    Pipeline p = Pipeline.create(options);
    p.apply("Train", ReadDataset.from(LogisticRegressionOnWorkersTest.ROOT + "/train"))
        .apply(LogisticRegressionOnWorkersTest.resumable(LogisticRegressionOnWorkersTest.baseTraining(p))
            .solver(Solver.valueOf(args[2]))
            .l2(Float.parseFloat(args[3]))
            .modelTo(args[1]));
    p.run().waitUntilFinish();
    // Not reached unless the test failed to kill it: the embedded store's server threads would keep the JVM alive.
    System.exit(0);
  }
}
