package dev.stratus.runner.lambda.worker;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
 * The reduce side of a GroupByKey: gathers one hash partition's elements by encoded key, then groups each key's
 * values by window with runners-core's {@link ReduceFnRunner}, the way a batch runner does: every element is
 * present, so after processing them the watermark and the clocks jump to the end of time and every timer fires.
 */
final class GroupByKeyReader implements RootReader {
  private final List<Supplier<byte[]>> partitionFiles;
  private final Coder<WindowedValue<KV<Object, Object>>> inputCoder;
  private final WindowingStrategy<?, BoundedWindow> windowingStrategy;
  private final PipelineOptions options;

  GroupByKeyReader(
      List<Supplier<byte[]>> partitionFiles,
      Coder<WindowedValue<KV<Object, Object>>> inputCoder,
      WindowingStrategy<?, BoundedWindow> windowingStrategy,
      PipelineOptions options) {
    this.partitionFiles = partitionFiles;
    this.inputCoder = inputCoder;
    this.windowingStrategy = windowingStrategy;
    this.options = options;
  }

  @Override
  @SuppressWarnings("unchecked")
  public long emit(Receiver downstream) throws Exception {
    KvCoder<Object, Object> kvCoder =
        (KvCoder<Object, Object>)
            ((org.apache.beam.sdk.values.WindowedValues.WindowedValueCoder<?>) inputCoder).getValueCoder();
    Map<ByteBuffer, KeyGroup> groups = new LinkedHashMap<>();
    long count = 0;
    // One file in memory at a time: the partition's values are held decoded, its bytes only while decoding.
    for (Supplier<byte[]> file : partitionFiles) {
      count +=
          ElementFiles.read(
              file.get(),
              inputCoder,
              element -> {
                KV<Object, Object> kv = (KV<Object, Object>) element.getValue();
                ByteBuffer key = ByteBuffer.wrap(CoderUtils.encodeToByteArray(kvCoder.getKeyCoder(), kv.getKey()));
                groups.computeIfAbsent(key, k -> new KeyGroup(kv.getKey())).values.add(element.withValue(kv.getValue()));
              });
    }
    for (KeyGroup group : groups.values()) {
      groupByWindow(group, kvCoder.getValueCoder(), downstream);
    }
    return count;
  }

  private void groupByWindow(KeyGroup group, Coder<Object> valueCoder, Receiver downstream) throws Exception {
    InMemoryTimerInternals timers = new InMemoryTimerInternals();
    ReduceFnRunner<Object, Object, Iterable<Object>, BoundedWindow> reduce =
        new ReduceFnRunner<>(
            group.key,
            windowingStrategy,
            ExecutableTriggerStateMachine.create(
                TriggerStateMachines.stateMachineForTrigger(TriggerTranslation.toProto(windowingStrategy.getTrigger()))),
            InMemoryStateInternals.forKey(group.key),
            timers,
            downstream::accept,
            new UnsupportedSideInputReader("GroupByKey"),
            SystemReduceFn.buffering(valueCoder),
            options);
    reduce.processElements(group.values);
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

  private static final class KeyGroup {
    final Object key;
    final List<WindowedValue<Object>> values = new ArrayList<>();

    KeyGroup(Object key) {
      this.key = key;
    }
  }
}
