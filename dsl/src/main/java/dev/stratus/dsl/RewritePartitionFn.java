package dev.stratus.dsl;

import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.dataset.Dataset;
import dev.stratus.kernels.dataset.DatasetManifest;
import dev.stratus.kernels.dataset.DatasetReader;
import dev.stratus.kernels.dataset.DatasetWriter;
import dev.stratus.kernels.dataset.PartitionCodec;
import dev.stratus.kernels.dataset.PartitionSink;
import dev.stratus.store.S3Path;
import java.util.function.UnaryOperator;

/**
 * Rewrites one partition of a dataset into one partition of another, row by row: the body of {@link Normalize} and
 * {@link HashFeatures}. Subclasses say how rows change and what the output's manifest says.
 */
abstract class RewritePartitionFn extends StoreDoFn<PartitionTasks.Task, WriteSummary> {
  private final PartitionTasks.Output output;

  RewritePartitionFn(PartitionTasks.Output output) {
    this.output = output;
  }

  PartitionTasks.Output output() {
    return output;
  }

  /** How rows of {@code input} change, and the manifest fields of the output; may read the context's side inputs. */
  abstract Rewrite rewrite(ProcessContext context, Dataset input);

  record Rewrite(UnaryOperator<SparseRow> rows, DatasetManifest template) {}

  @ProcessElement
  public void process(ProcessContext context) {
    PartitionTasks.Task task = context.element();
    Dataset input = task.input();
    String target = output.resolve(input);
    Rewrite rewrite = rewrite(context, input);
    // one output partition per input partition: the input's partitioning is kept
    PartitionSink sink = DatasetWriter.sink(store, S3Path.parse(target), Integer.MAX_VALUE);
    try {
      if (task.partition() >= 0) {
        PartitionCodec.Reader rows = DatasetReader.partition(store, input, task.partition());
        while (rows.hasNext()) {
          sink.add(rewrite.rows().apply(rows.next()));
        }
      }
      context.output(new WriteSummary(target, rewrite.template(), sink.finish(), 0, sink.maxIndex()));
    } catch (RuntimeException e) {
      sink.abort();
      throw e;
    }
  }
}
