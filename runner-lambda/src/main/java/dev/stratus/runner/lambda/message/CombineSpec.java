package dev.stratus.runner.lambda.message;

import java.io.Serializable;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.transforms.Combine.CombineFn;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;

/** What both halves of a lifted Combine.PerKey need, Java-serialized into the stage plan. */
public record CombineSpec(CombineFn<?, ?, ?> fn, Coder<?> keyCoder, TimestampCombiner timestampCombiner)
    implements Serializable {}
