package dev.stratus.benchmarks.paper;

import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.sgd.LinearLoss;
import dev.stratus.kernels.sgd.LinearModel;
import dev.stratus.ps.Optimizer;
import java.util.ArrayList;
import java.util.List;

/**
 * The model where Figure 5's variants apply gradients, with the shards' update rule (AdaGrad), and the loss curve:
 * a thread evaluates a copy of the weights on the held-out rows every interval. Updates are not synchronised: one
 * thread applies them in the exchange variants, and the Bosen-like reference applies them Hogwild-style.
 */
final class DriverModel {
  /** One point of a loss curve. */
  record Point(double seconds, double loss) {}

  static final float LEARNING_RATE = 0.05f;
  static final float L2 = 1e-6f;

  final float[] weights;
  private final float[] state;

  DriverModel(int size) {
    weights = new float[size];
    state = new float[size];
  }

  void apply(int[] keys, float[] gradient, int count) {
    Optimizer.ADAGRAD.apply(weights, state, keys, gradient, count, LEARNING_RATE, L2, 0);
  }

  void apply(SparseGradient g) {
    apply(g.keys(), g.values(), g.keys().length);
  }

  double logloss(SparseRow[] heldOut) {
    return new LinearModel(weights.clone(), LinearLoss.LOGISTIC).evaluate(heldOut).loss();
  }

  /** Evaluates the model every {@code intervalMillis} from now until {@link Monitor#stop()}. */
  Monitor monitor(SparseRow[] heldOut, long intervalMillis) {
    return new Monitor(heldOut, intervalMillis);
  }

  final class Monitor {
    private final long start = System.nanoTime();
    private final List<Point> curve = new ArrayList<>();
    private final Thread thread;
    private volatile boolean stopped;

    private Monitor(SparseRow[] heldOut, long intervalMillis) {
      thread = new Thread(() -> {
        long next = System.nanoTime();
        while (!stopped) {
          record(heldOut);
          next += intervalMillis * 1_000_000L;
          long sleep = (next - System.nanoTime()) / 1_000_000L;
          if (sleep > 0) {
            try {
              Thread.sleep(sleep);
            } catch (InterruptedException e) {
              return;
            }
          }
        }
      }, "figure5-monitor");
      thread.setDaemon(true);
      thread.start();
    }

    private void record(SparseRow[] heldOut) {
      double seconds = (System.nanoTime() - start) / 1e9;
      double loss = logloss(heldOut);
      synchronized (curve) {
        curve.add(new Point(seconds, loss));
      }
    }

    /** Seconds since the monitor started. */
    double elapsed() {
      return (System.nanoTime() - start) / 1e9;
    }

    /** Stops evaluating, adds a last point for the final model, and returns the curve. */
    List<Point> stop(SparseRow[] heldOut) throws InterruptedException {
      stopped = true;
      thread.interrupt();
      thread.join();
      record(heldOut);
      synchronized (curve) {
        return List.copyOf(curve);
      }
    }
  }
}
