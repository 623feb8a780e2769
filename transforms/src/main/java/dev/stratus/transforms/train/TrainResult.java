package dev.stratus.transforms.train;

import dev.stratus.transforms.sgd.BinaryMetrics;
import java.io.Serializable;
import java.util.List;

/**
 * What a training job produced: where the model is, how good it is, how it got there and how fast.
 *
 * @param modelPath the model object in the store ({@code LogisticModel} bytes)
 * @param finalMetrics the final model on the test set
 * @param curve test loss over time
 * @param workerGenerations workers started in all, counting successors of dead or handed-over workers
 */
public record TrainResult(
    String modelPath,
    BinaryMetrics finalMetrics,
    List<CurvePoint> curve,
    StopReason stopReason,
    double updatesPerSecond,
    long updates,
    StepTimes stepTimes,
    double stallSeconds,
    int workerGenerations)
    implements Serializable {}
