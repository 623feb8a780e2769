package dev.stratus.runner.lambda.worker;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.beam.runners.core.InMemoryMultimapSideInputView;
import org.apache.beam.runners.core.SideInputReader;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.transforms.Materializations;
import org.apache.beam.sdk.transforms.Materializations.IterableView;
import org.apache.beam.sdk.transforms.Materializations.MultimapView;
import org.apache.beam.sdk.transforms.ViewFn;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.WindowedValue;

/**
 * Side inputs of a task, read from their materialized PCollections on first use and indexed by window. A view's
 * value in a window is its ViewFn applied to that window's elements, as an iterable or a multimap according to the
 * view's materialization.
 */
final class StoreSideInputReader implements SideInputReader {
  private final Map<String, String> pcollectionByViewTag;
  private final Function<String, List<WindowedValue<?>>> loader;
  private final Map<String, Map<BoundedWindow, List<Object>>> byWindow = new HashMap<>();

  /**
   * @param pcollectionByViewTag view tag id to the id of the PCollection backing it
   * @param loader reads every element of a PCollection
   */
  StoreSideInputReader(Map<String, String> pcollectionByViewTag, Function<String, List<WindowedValue<?>>> loader) {
    this.pcollectionByViewTag = pcollectionByViewTag;
    this.loader = loader;
  }

  @Override
  @SuppressWarnings({"unchecked", "rawtypes"})
  public <T> T get(PCollectionView<T> view, BoundedWindow window) {
    String pcollection = pcollectionByViewTag.get(view.getTagInternal().getId());
    if (pcollection == null) {
      throw new IllegalArgumentException("side input " + view + " was not given to this DoFn");
    }
    List<Object> values =
        byWindow.computeIfAbsent(pcollection, this::index).getOrDefault(window, List.of());
    ViewFn<?, T> viewFn = view.getViewFn();
    String urn = viewFn.getMaterialization().getUrn();
    if (Materializations.ITERABLE_MATERIALIZATION_URN.equals(urn)) {
      IterableView<Object> iterable = () -> values;
      return ((ViewFn<IterableView<Object>, T>) viewFn).apply(iterable);
    }
    if (Materializations.MULTIMAP_MATERIALIZATION_URN.equals(urn)) {
      Coder<Object> keyCoder = ((KvCoder<Object, Object>) view.getCoderInternal()).getKeyCoder();
      MultimapView<Object, Object> multimap =
          InMemoryMultimapSideInputView.fromIterable(keyCoder, (Iterable<KV<Object, Object>>) (Iterable) values);
      return ((ViewFn<MultimapView<Object, Object>, T>) viewFn).apply(multimap);
    }
    throw new UnsupportedOperationException("side input materialization " + urn + " is not supported by LambdaRunner");
  }

  private Map<BoundedWindow, List<Object>> index(String pcollection) {
    Map<BoundedWindow, List<Object>> index = new HashMap<>();
    for (WindowedValue<?> element : loader.apply(pcollection)) {
      for (BoundedWindow window : element.getWindows()) {
        index.computeIfAbsent(window, w -> new ArrayList<>()).add(element.getValue());
      }
    }
    return index;
  }

  @Override
  public <T> boolean contains(PCollectionView<T> view) {
    return pcollectionByViewTag.containsKey(view.getTagInternal().getId());
  }

  @Override
  public boolean isEmpty() {
    return pcollectionByViewTag.isEmpty();
  }
}
