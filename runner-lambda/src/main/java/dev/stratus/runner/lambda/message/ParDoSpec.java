package dev.stratus.runner.lambda.message;

import java.io.Serializable;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.DoFnSchemaInformation;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.WindowingStrategy;

/**
 * Everything a worker needs to run one ParDo, Java-serialized into the stage plan: the Beam objects no Kryo
 * registration could describe.
 */
public record ParDoSpec(
    DoFn<?, ?> fn,
    TupleTag<?> mainOutputTag,
    List<TupleTag<?>> additionalOutputTags,
    Map<TupleTag<?>, Coder<?>> outputCoders,
    Coder<?> inputCoder,
    WindowingStrategy<?, ?> windowingStrategy,
    List<PCollectionView<?>> sideInputs,
    DoFnSchemaInformation schemaInformation,
    Map<String, PCollectionView<?>> sideInputMapping)
    implements Serializable {}
