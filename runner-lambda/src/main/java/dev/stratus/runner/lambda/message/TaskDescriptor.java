package dev.stratus.runner.lambda.message;

import java.util.ArrayList;
import java.util.LinkedHashMap;

/**
 * One task: a stage over one input partition.
 *
 * @param plan store path of the stage's {@link StagePlan}
 * @param inputs the files of this task's partition (empty for impulse and source roots)
 * @param sourceSplit the Java-serialized bounded source split, for a source root
 * @param sideInputs for each PCollection backing a side input, all its committed partitions
 */
public record TaskDescriptor(
    int stageId,
    int taskIndex,
    String plan,
    ArrayList<PartitionRef> inputs,
    byte[] sourceSplit,
    LinkedHashMap<String, ArrayList<PartitionRef>> sideInputs) {}
