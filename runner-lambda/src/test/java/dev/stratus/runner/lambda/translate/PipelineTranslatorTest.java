package dev.stratus.runner.lambda.translate;

import static org.junit.Assert.assertEquals;

import dev.stratus.runner.lambda.LambdaRunner;
import dev.stratus.runner.lambda.LambdaRunnerOptions;
import dev.stratus.runner.lambda.graph.ExecutionGraph;
import dev.stratus.runner.lambda.graph.Stage;
import dev.stratus.runner.lambda.message.Op;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.transforms.windowing.Sessions;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.junit.Test;

public class PipelineTranslatorTest {
  private final LambdaRunnerOptions options = PipelineOptionsFactory.as(LambdaRunnerOptions.class);

  {
    options.setRunner(LambdaRunner.class);
  }

  private ExecutionGraph translate(Pipeline p) {
    LambdaOverrides.apply(p);
    return PipelineTranslator.translate(p, LambdaRunnerOptions.DATA_SIZED_SHUFFLE_PARTITIONS);
  }

  private static List<Class<?>> opTypes(Stage stage) {
    return stage.plan("{}").ops().stream().<Class<?>>map(Object::getClass).toList();
  }

  @Test
  public void fusesParDoChainsAndShufflesAtGroupByKey() {
    Pipeline p = Pipeline.create(options);
    p.apply(Create.of("a", "b"))
        .apply(MapElements.into(TypeDescriptors.strings()).via(s -> s + "!"))
        .apply(WithKeys.of("k"))
        .apply(GroupByKey.create())
        .apply(MapElements.into(TypeDescriptors.strings()).via(kv -> kv.getKey()));
    ExecutionGraph graph = translate(p);
    assertEquals(2, graph.stages().size());
    List<Class<?>> mapSide = opTypes(graph.stages().get(0));
    assertEquals(Op.ShuffleWrite.class, mapSide.get(mapSide.size() - 1));
    assertEquals(List.of(Op.ParDo.class), opTypes(graph.stages().get(1)));
  }

  @Test
  public void liftsCombinersUnderNonMergingWindows() {
    Pipeline p = Pipeline.create(options);
    p.apply(Create.of("a", "b", "a")).apply(Count.perElement());
    ExecutionGraph graph = translate(p);
    assertEquals(2, graph.stages().size());
    List<Class<?>> mapSide = opTypes(graph.stages().get(0));
    assertEquals(List.of(Op.PartialCombine.class, Op.ShuffleWrite.class), mapSide.subList(mapSide.size() - 2, mapSide.size()));
    assertEquals(List.of(Op.MergeAccumulators.class), opTypes(graph.stages().get(1)));
  }

  @Test
  public void groupsValuesBeforeCombiningUnderMergingWindows() {
    Pipeline p = Pipeline.create(options);
    p.apply(Create.of("a", "b", "a"))
        .apply(Window.into(Sessions.withGapDuration(Duration.standardMinutes(1))))
        .apply(Count.perElement());
    ExecutionGraph graph = translate(p);
    List<Class<?>> mapSide = opTypes(graph.stages().get(0));
    assertEquals(Op.ShuffleWrite.class, mapSide.get(mapSide.size() - 1));
    assertEquals(false, mapSide.contains(Op.PartialCombine.class));
  }

  @Test
  public void flattenHasNoTaskOfItsOwn() {
    Pipeline p = Pipeline.create(options);
    PCollection<String> a = p.apply("a", Create.of("x"));
    PCollection<String> b = p.apply("b", Create.of("y"));
    PCollectionList.of(a).and(b).apply(Flatten.pCollections()).apply(WithKeys.of("k")).apply(GroupByKey.create());
    ExecutionGraph graph = translate(p);
    // Two sources writing their partitions, one stage reading both and shuffling, one grouping.
    assertEquals(4, graph.stages().size());
    assertEquals(true, opTypes(graph.stages().get(0)).contains(Op.Materialize.class));
    assertEquals(true, opTypes(graph.stages().get(1)).contains(Op.Materialize.class));
  }
}
