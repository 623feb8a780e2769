package dev.stratus.runner.lambda.worker;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.function.Supplier;
import org.apache.beam.runners.core.InMemoryStateInternals;
import org.apache.beam.runners.core.InMemoryTimerInternals;
import org.apache.beam.runners.core.ReduceFnRunner;
import org.apache.beam.runners.core.SystemReduceFn;
import org.apache.beam.runners.core.TimerInternals.TimerData;
import org.apache.beam.runners.core.UnsupportedSideInputReader;
import org.apache.beam.runners.core.triggers.ExecutableTriggerStateMachine;
import org.apache.beam.runners.core.triggers.TriggerStateMachines;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.util.construction.TriggerTranslation;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.WindowedValue;
import org.apache.beam.sdk.values.WindowingStrategy;

/**
 * The reduce side of a GroupByKey: sorts one hash partition's elements by encoded key, then groups each key's values
 * by window with runners-core's {@link ReduceFnRunner}, the way a batch runner does: every element is present, so
 * after processing them the watermark and the clocks jump to the end of time and every timer fires. The sort is
 * external: elements gather in memory up to a bound, go to local disk as a sorted run when it is passed, and the runs
 * are merged, so only one key's values need to fit in memory.
 */
final class GroupByKeyReader implements RootReader {
  private final List<Supplier<byte[]>> partitionFiles;
  private final Coder<WindowedValue<KV<Object, Object>>> inputCoder;
  private final WindowingStrategy<?, BoundedWindow> windowingStrategy;
  private final PipelineOptions options;
  private final long runLimitBytes;

  GroupByKeyReader(
      List<Supplier<byte[]>> partitionFiles,
      Coder<WindowedValue<KV<Object, Object>>> inputCoder,
      WindowingStrategy<?, BoundedWindow> windowingStrategy,
      PipelineOptions options,
      long runLimitBytes) {
    this.partitionFiles = partitionFiles;
    this.inputCoder = inputCoder;
    this.windowingStrategy = windowingStrategy;
    this.options = options;
    this.runLimitBytes = runLimitBytes;
  }

  @Override
  @SuppressWarnings("unchecked")
  public long emit(Receiver downstream) throws Exception {
    KvCoder<Object, Object> kvCoder =
        (KvCoder<Object, Object>)
            ((org.apache.beam.sdk.values.WindowedValues.WindowedValueCoder<?>) inputCoder).getValueCoder();
    try (SortedRuns runs = new SortedRuns(runLimitBytes)) {
      long count = 0;
      // One file in memory at a time; its elements are kept encoded, with their encoded key beside them.
      for (Supplier<byte[]> file : partitionFiles) {
        byte[] data = file.get();
        ByteArrayInputStream in = new ByteArrayInputStream(data);
        while (in.available() > 0) {
          int start = data.length - in.available();
          KV<Object, Object> kv = (KV<Object, Object>) inputCoder.decode(in).getValue();
          int end = data.length - in.available();
          runs.add(CoderUtils.encodeToByteArray(kvCoder.getKeyCoder(), kv.getKey()), Arrays.copyOfRange(data, start, end));
          count++;
        }
      }
      Iterator<SortedRuns.Entry> sorted = runs.merged();
      SortedRuns.Entry next = sorted.hasNext() ? sorted.next() : null;
      while (next != null) {
        byte[] key = next.key();
        WindowedValue<KV<Object, Object>> first = decode(next.element());
        List<WindowedValue<Object>> values = new ArrayList<>();
        values.add(first.withValue(first.getValue().getValue()));
        next = null;
        while (sorted.hasNext()) {
          SortedRuns.Entry entry = sorted.next();
          if (!Arrays.equals(entry.key(), key)) {
            next = entry;
            break;
          }
          WindowedValue<KV<Object, Object>> element = decode(entry.element());
          values.add(element.withValue(element.getValue().getValue()));
        }
        groupByWindow(first.getValue().getKey(), values, kvCoder.getValueCoder(), downstream);
      }
      return count;
    }
  }

  /** Decodes an element as the map side encoded it: in its coder's nested form. */
  private WindowedValue<KV<Object, Object>> decode(byte[] element) throws IOException {
    return inputCoder.decode(new ByteArrayInputStream(element));
  }

  private void groupByWindow(
      Object key, List<WindowedValue<Object>> values, Coder<Object> valueCoder, Receiver downstream) throws Exception {
    InMemoryTimerInternals timers = new InMemoryTimerInternals();
    ReduceFnRunner<Object, Object, Iterable<Object>, BoundedWindow> reduce =
        new ReduceFnRunner<>(
            key,
            windowingStrategy,
            ExecutableTriggerStateMachine.create(
                TriggerStateMachines.stateMachineForTrigger(TriggerTranslation.toProto(windowingStrategy.getTrigger()))),
            InMemoryStateInternals.forKey(key),
            timers,
            downstream::accept,
            new UnsupportedSideInputReader("GroupByKey"),
            SystemReduceFn.buffering(valueCoder),
            options);
    reduce.processElements(values);
    timers.advanceInputWatermark(BoundedWindow.TIMESTAMP_MAX_VALUE);
    timers.advanceProcessingTime(BoundedWindow.TIMESTAMP_MAX_VALUE);
    timers.advanceSynchronizedProcessingTime(BoundedWindow.TIMESTAMP_MAX_VALUE);
    List<TimerData> due = new ArrayList<>();
    while (true) {
      for (TimerData t; (t = timers.removeNextEventTimer()) != null; ) {
        due.add(t);
      }
      for (TimerData t; (t = timers.removeNextProcessingTimer()) != null; ) {
        due.add(t);
      }
      for (TimerData t; (t = timers.removeNextSynchronizedProcessingTimer()) != null; ) {
        due.add(t);
      }
      if (due.isEmpty()) {
        break;
      }
      reduce.onTimers(due);
      due.clear();
    }
    reduce.persist();
  }
}
