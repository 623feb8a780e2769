package dev.stratus.runner.lambda;

import java.io.Serializable;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.junit.AfterClass;
import org.junit.Test;

/**
 * A GroupByKey of far more data than a worker's heap, on LambdaRunner with process environments: 1 GB of values
 * (set {@code -Dshuffle.test.megabytes} for another size) through workers of 256 MB, in two reduce tasks. Each reduce
 * task's partition holds about twice its worker's heap, so it passes only if the map side streams its output and the
 * reduce side sorts on disk.
 */
public class LargeShuffleTest implements Serializable {
  private static final int VALUE_BYTES = 8 * 1024;
  private static final int KEYS = 20_000;
  private static final int GENERATORS = 16;

  @AfterClass
  public static void stopLocalLambdaServices() {
    WorkerFunctionConnector.stopLocalServices();
  }

  @Test
  public void groupsMoreValuesThanAWorkersHeapHolds() {
    long megabytes = Long.getLong("shuffle.test.megabytes", 1024);
    long values = megabytes * 1024 * 1024 / VALUE_BYTES;
    LambdaRunnerOptions options = PipelineOptionsFactory.as(LambdaRunnerOptions.class);
    options.setRunner(LambdaRunner.class);
    options.setDataDir("target/large-shuffle-test-store");
    options.setWorkerMemoryMb(256);
    options.setShufflePartitions(2);
    options.setTaskTimeoutSeconds(600);
    TestPipeline p = TestPipeline.fromOptions(options).enableAbandonedNodeEnforcement(false);

    PCollection<KV<Integer, Long>> perKey =
        p.apply(Create.of(IntStream.range(0, GENERATORS).boxed().toList()))
            .apply(Reshuffle.viaRandomKey())
            .apply("Generate", ParDo.of(new GenerateValues(values)))
            .apply(GroupByKey.create())
            .apply("Summarize", ParDo.of(new SummarizeKey()));
    PAssert.thatSingleton(perKey.apply("Keys", ParDo.of(new CountOne())).apply("CountKeys", Sum.longsGlobally()))
        .isEqualTo((long) KEYS);
    PAssert.thatSingleton(perKey.apply("Sums", ParDo.of(new ValueOf())).apply("SumAll", Sum.longsGlobally()))
        .isEqualTo(LongStream.range(0, values).map(LargeShuffleTest::checksum).sum());
    p.run();
  }

  /** What the i-th value sums to, computed without materializing it. */
  private static long checksum(long i) {
    return i * 31 + VALUE_BYTES;
  }

  /** Generator g makes values g, g + GENERATORS, g + 2 * GENERATORS, ... */
  private static final class GenerateValues extends DoFn<Integer, KV<Integer, byte[]>> {
    private final long values;

    GenerateValues(long values) {
      this.values = values;
    }

    @ProcessElement
    public void process(@Element Integer generator, OutputReceiver<KV<Integer, byte[]>> out) {
      Random random = new Random(generator);
      for (long i = generator; i < values; i += GENERATORS) {
        byte[] value = new byte[VALUE_BYTES];
        random.nextBytes(value); // incompressible, so the store moves every byte
        java.nio.ByteBuffer.wrap(value).putLong(0, i);
        out.output(KV.of((int) (i % KEYS), value));
      }
    }
  }

  /** Per key: the sum over its values of their checksums, recomputed from the index each value carries. */
  private static final class SummarizeKey extends DoFn<KV<Integer, Iterable<byte[]>>, KV<Integer, Long>> {
    @ProcessElement
    public void process(@Element KV<Integer, Iterable<byte[]>> group, OutputReceiver<KV<Integer, Long>> out) {
      long sum = 0;
      for (byte[] value : group.getValue()) {
        long i = java.nio.ByteBuffer.wrap(value).getLong(0);
        if (value.length != VALUE_BYTES || i % KEYS != group.getKey()) {
          throw new IllegalStateException("value " + i + " of " + value.length + " bytes under key " + group.getKey());
        }
        sum += checksum(i);
      }
      out.output(KV.of(group.getKey(), sum));
    }
  }

  private static final class CountOne extends DoFn<KV<Integer, Long>, Long> {
    @ProcessElement
    public void process(OutputReceiver<Long> out) {
      out.output(1L);
    }
  }

  private static final class ValueOf extends DoFn<KV<Integer, Long>, Long> {
    @ProcessElement
    public void process(@Element KV<Integer, Long> kv, OutputReceiver<Long> out) {
      out.output(kv.getValue());
    }
  }
}
