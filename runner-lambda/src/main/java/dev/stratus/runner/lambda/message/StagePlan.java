package dev.stratus.runner.lambda.message;

import java.util.ArrayList;
import java.util.LinkedHashMap;

/**
 * What every task of a stage runs: a root and the fused operations below it, in topological order.
 *
 * @param coders Java-serialized windowed-value coders of every PCollection the stage reads from or writes to the store
 * @param pipelineOptions the pipeline's options as JSON, for DoFns that read them
 * @param elementMetadata whether the driver's Beam coders write element metadata (such as causedByDrain), which the
 *     workers' must then do too
 */
public record StagePlan(
    int stageId,
    String name,
    Root root,
    ArrayList<Op> ops,
    LinkedHashMap<String, byte[]> coders,
    String pipelineOptions,
    boolean elementMetadata) {}
