package dev.stratus.runner.lambda;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import dev.stratus.runner.lambda.worker.ElementMetadataEncoding;
import java.io.Serializable;
import java.util.List;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.transforms.Convert;
import org.apache.beam.sdk.schemas.transforms.Group;
import org.apache.beam.sdk.schemas.transforms.Select;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Filter;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Redistribute;
import org.apache.beam.sdk.transforms.Reify;
import org.apache.beam.sdk.transforms.SimpleFunction;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.CausedByDrain;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.apache.beam.sdk.values.ValueInSingleWindow;
import org.apache.beam.sdk.values.WindowedValues;
import org.apache.beam.sdk.values.WindowedValues.WindowedValueCoder;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.AfterClass;
import org.junit.Test;

/**
 * Pipelines that pass on the DirectRunner, run on LambdaRunner with process environments (the product's default):
 * each test is a class of defect users met running their own pipelines.
 */
public class ConformanceTest implements Serializable {
  private static final Schema SCORE = Schema.builder().addStringField("name").addInt32Field("score").build();

  @AfterClass
  public static void stopLocalLambdaServices() {
    WorkerFunctionConnector.stopLocalServices();
  }

  private static TestPipeline pipeline() {
    LambdaRunnerOptions options = PipelineOptionsFactory.as(LambdaRunnerOptions.class);
    options.setRunner(LambdaRunner.class);
    options.setDataDir("target/conformance-test-store");
    options.setLocalEnvironmentMode(LambdaRunnerOptions.LocalEnvironmentMode.PROCESS);
    options.setWorkerMemoryMb(512);
    options.setRetryBackoffMillis(10);
    return TestPipeline.fromOptions(options).enableAbandonedNodeEnforcement(false);
  }

  @Test
  public void schemaTransformsLambdasAndAnonymousClassesRunInWorkers() {
    TestPipeline p = pipeline();
    PCollection<Row> scores =
        p.apply(Create.of(row("ann", 3), row("bob", 4), row("ann", 5), row("cid", -1)).withRowSchema(SCORE))
            .apply(Filter.by((Row r) -> r.getInt32("score") >= 0));
    PCollection<String> totals =
        scores
            .apply(Group.<Row>byFieldNames("name").aggregateField("score", Sum.ofIntegers(), "total"))
            .apply(MapElements.into(TypeDescriptors.strings())
                .via(r -> r.getRow("key").getString("name") + "=" + r.getRow("value").getInt32("total")));
    PCollection<Integer> doubled =
        scores
            .apply(Select.fieldNames("score"))
            .apply(MapElements.into(TypeDescriptors.integers()).via(r -> r.getInt32("score")))
            .apply(MapElements.via(new SimpleFunction<Integer, Integer>() {
              @Override
              public Integer apply(Integer score) {
                return 2 * score;
              }
            }));
    PAssert.that(totals).containsInAnyOrder("ann=8", "bob=4");
    PAssert.that(doubled).containsInAnyOrder(6, 8, 10);
    p.run();
  }

  @Test
  public void aStepHoldingAClassGeneratedInTheDriverIsRefusedBeforeAnyWork() {
    TestPipeline p = pipeline();
    p.apply(Create.of(row("ann", 3)).withRowSchema(SCORE))
        .apply(Select.fieldNames("score"))
        .apply("ToInteger", Convert.to(Integer.class));
    // thrown by the driver's translation itself, not a worker's error wrapped in a PipelineExecutionException
    IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, p::run);
    assertThat(refused.getMessage(), containsString("ToInteger"));
    assertThat(refused.getMessage(), containsString("a class generated in this JVM"));
    assertThat(refused.getMessage(), containsString("$ByteBuddy$"));
  }

  private static Row row(String name, int score) {
    return Row.withSchema(SCORE).addValues(name, score).build();
  }

  @Test
  public void panesOfAGroupingComeOutOnTimeFirstAndLast() {
    TestPipeline p = pipeline();
    PCollection<String> panes =
        p.apply(Create.timestamped(
                TimestampedValue.of(KV.of("k", 1), new Instant(1_000)),
                TimestampedValue.of(KV.of("k", 2), new Instant(2_000)),
                TimestampedValue.of(KV.of("k", 3), new Instant(61_000))))
            .apply(Window.into(FixedWindows.of(Duration.standardMinutes(1))))
            .apply(GroupByKey.create())
            .apply(ParDo.of(new DescribePane()));
    PAssert.that(panes).containsInAnyOrder("first=true last=true ON_TIME index=0", "first=true last=true ON_TIME index=0");
    p.run();
  }

  private static final class DescribePane extends DoFn<KV<String, Iterable<Integer>>, String> {
    @ProcessElement
    public void process(ProcessContext c) {
      c.output("first=" + c.pane().isFirst() + " last=" + c.pane().isLast() + " " + c.pane().getTiming()
          + " index=" + c.pane().getIndex());
    }
  }

  /**
   * Beam's coders write element metadata only where a process-wide switch is on (Beam's own tests turn it on): the
   * driver's then encodes what it creates with metadata, and workers in other processes must encode and decode as it.
   */
  @Test
  public void withElementMetadataOnInTheDriverWorkersKeepPanesReifiedWindowsAndDrainMarks() {
    boolean wasOn = WindowedValueCoder.isMetadataSupported();
    WindowedValueCoder.setMetadataSupported();
    try {
      TestPipeline p = pipeline();
      PCollection<String> panes =
          p.apply("Windowed", Create.windowedValues(List.of(
                      WindowedValues.of("a", new Instant(1), GlobalWindow.INSTANCE, PaneInfo.NO_FIRING),
                      WindowedValues.of("b", new Instant(2), GlobalWindow.INSTANCE, PaneInfo.ON_TIME_AND_ONLY_FIRING)))
                  .withWindowCoder(GlobalWindow.Coder.INSTANCE))
              .apply(ParDo.of(new DescribeElementPane()));
      PCollection<KV<String, ValueInSingleWindow<Integer>>> reified =
          p.apply("Timestamped", Create.timestamped(TimestampedValue.of(KV.of("k", 7), new Instant(7))))
              .apply(Reify.windowsInValue());
      PCollection<String> drains =
          p.apply("One", Create.of(1))
              .apply(ParDo.of(new MarkCausedByDrain()))
              .apply(Redistribute.arbitrarily())
              .apply(ParDo.of(new DescribeCausedByDrain()));
      PAssert.that(panes).containsInAnyOrder("a " + PaneInfo.NO_FIRING, "b " + PaneInfo.ON_TIME_AND_ONLY_FIRING);
      PAssert.that(reified)
          .containsInAnyOrder(
              KV.of("k", ValueInSingleWindow.of(7, new Instant(7), GlobalWindow.INSTANCE, PaneInfo.NO_FIRING)));
      PAssert.that(drains).containsInAnyOrder(CausedByDrain.CAUSED_BY_DRAIN.toString());
      p.run();
    } finally {
      ElementMetadataEncoding.set(wasOn);
    }
  }

  private static final class DescribeElementPane extends DoFn<String, String> {
    @ProcessElement
    public void process(ProcessContext c) {
      c.output(c.element() + " " + c.pane());
    }
  }

  private static final class MarkCausedByDrain extends DoFn<Integer, String> {
    @ProcessElement
    public void process(OutputReceiver<String> out) {
      out.builder("drained").setCausedByDrain(CausedByDrain.CAUSED_BY_DRAIN).output();
    }
  }

  private static final class DescribeCausedByDrain extends DoFn<String, String> {
    @ProcessElement
    public void process(ProcessContext c) {
      c.output(c.causedByDrain().toString());
    }
  }

  @Test
  public void everyOutputOfAMultiOutputParDoReachesItsOwnBranch() {
    TestPipeline p = pipeline();
    TupleTag<Integer> evens = new TupleTag<>() {};
    TupleTag<String> odds = new TupleTag<>() {};
    PCollectionTuple split =
        p.apply(Create.of(1, 2, 3, 4, 5))
            .apply(ParDo.of(new SplitByParity(evens, odds)).withOutputTags(evens, TupleTagList.of(odds)));
    PCollection<Integer> evenBranch =
        split.get(evens).apply("Tenfold", MapElements.into(TypeDescriptors.integers()).via(x -> 10 * x));
    PCollection<String> oddBranch =
        split.get(odds).apply("Mark", MapElements.into(TypeDescriptors.strings()).via(s -> s + "!"));
    PAssert.that(evenBranch).containsInAnyOrder(20, 40);
    PAssert.that(oddBranch).containsInAnyOrder("1!", "3!", "5!");
    p.run();
  }

  private static final class SplitByParity extends DoFn<Integer, Integer> {
    private final TupleTag<Integer> evens;
    private final TupleTag<String> odds;

    SplitByParity(TupleTag<Integer> evens, TupleTag<String> odds) {
      this.evens = evens;
      this.odds = odds;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      if (c.element() % 2 == 0) {
        c.output(evens, c.element());
      } else {
        c.output(odds, String.valueOf(c.element()));
      }
    }
  }

  @Test
  public void aCounterOnTheDeadLetterPathIsCounted() {
    TestPipeline p = pipeline();
    TupleTag<Integer> parsed = new TupleTag<>() {};
    TupleTag<String> deadLetters = new TupleTag<>() {};
    PCollectionTuple out =
        p.apply(Create.of(List.of("1", "x", "3", "y", "z")))
            .apply(ParDo.of(new ParseOrDeadLetter(parsed, deadLetters))
                .withOutputTags(parsed, TupleTagList.of(deadLetters)));
    PAssert.that(out.get(parsed)).containsInAnyOrder(1, 3);
    PAssert.that(out.get(deadLetters)).containsInAnyOrder("x", "y", "z");
    PipelineResult result = p.run();
    MetricResult<Long> rejected =
        result.metrics()
            .queryMetrics(MetricsFilter.builder().addNameFilter(MetricNameFilter.named("parse", "rejected")).build())
            .getCounters()
            .iterator()
            .next();
    assertEquals(3L, (long) rejected.getCommitted());
  }

  private static final class ParseOrDeadLetter extends DoFn<String, Integer> {
    private final Counter rejected = Metrics.counter("parse", "rejected");
    private final TupleTag<Integer> parsed;
    private final TupleTag<String> deadLetters;

    ParseOrDeadLetter(TupleTag<Integer> parsed, TupleTag<String> deadLetters) {
      this.parsed = parsed;
      this.deadLetters = deadLetters;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      try {
        c.output(parsed, Integer.parseInt(c.element()));
      } catch (NumberFormatException e) {
        rejected.inc();
        c.output(deadLetters, c.element());
      }
    }
  }
}
