package dev.stratus.runner.lambda.worker;

import java.util.Collection;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.WindowFn;
import org.apache.beam.sdk.values.WindowedValue;
import org.apache.beam.sdk.values.WindowedValues;
import org.joda.time.Instant;

/** Window.Assign: each element gets the windows its WindowFn assigns from its timestamp and current window. */
final class AssignWindowsOperation implements Operation {
  private final WindowFn<Object, BoundedWindow> windowFn;
  private final Receiver output;

  @SuppressWarnings("unchecked")
  AssignWindowsOperation(WindowFn<?, ?> windowFn, Receiver output) {
    this.windowFn = (WindowFn<Object, BoundedWindow>) windowFn;
    this.output = output;
  }

  /** Assigns once per window the element is in; the element keeps all else it carries (its pane, a drain mark). */
  @Override
  @SuppressWarnings("unchecked")
  public void accept(WindowedValue<?> element) throws Exception {
    if (windowFn == null) {
      output.accept(element);
      return;
    }
    for (BoundedWindow window : element.getWindows()) {
      Collection<BoundedWindow> windows = windowFn.assignWindows(new Context(element, window));
      output.accept(WindowedValues.builder((WindowedValue<Object>) element).setWindows(windows).build());
    }
  }

  private final class Context extends WindowFn<Object, BoundedWindow>.AssignContext {
    private final WindowedValue<?> element;
    private final BoundedWindow window;

    Context(WindowedValue<?> element, BoundedWindow window) {
      windowFn.super();
      this.element = element;
      this.window = window;
    }

    @Override
    public Object element() {
      return element.getValue();
    }

    @Override
    public Instant timestamp() {
      return element.getTimestamp();
    }

    @Override
    public BoundedWindow window() {
      return window;
    }
  }
}
