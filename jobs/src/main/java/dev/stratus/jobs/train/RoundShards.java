package dev.stratus.jobs.train;

import dev.stratus.jvm.DaemonThreadFactory;
import dev.stratus.ps.client.PsClient;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.IntFunction;

/**
 * The shards an {@link Solver#LBFGS} training's {@link GradientRounds} are placed over: the job's, and those its
 * driver added where they saturated ({@link WorkerScaling#shards}). Added shards start on a thread of their own while
 * the rounds go on ({@link #start}, {@link #placeStarted}); going back, the rounds leave the last added and those are
 * stopped once a round has begun without them ({@link #goBackTo}, {@link #roundBegun}).
 */
final class RoundShards implements AutoCloseable {
  private static final DaemonThreadFactory STARTER = new DaemonThreadFactory("stratus-shard-start");

  /** Shards started beyond the job's, watched as the job's are, and a client of all the rounds were placed over. */
  private record Added(Shards shards, AutoCloseable heard, PsClient client, List<InetSocketAddress> over)
      implements AutoCloseable {
    @Override
    public void close() throws Exception {
      heard.close();
      if (client != null) {
        client.close();
      }
      shards.close();
    }
  }

  /** What {@link #placeStarted} did: the shards the rounds were over before and are over now, or why none started. */
  record Placed(int before, int now, String failure) {}

  private final Shards job;
  private final PsClient jobClient;
  private final GradientRounds rounds;
  /** Hears of the restarts of added shards, the first of them at the given index among all the rounds are over. */
  private final IntFunction<Shards.RestartListener> listener;
  private final Deque<Added> added = new ArrayDeque<>();
  private final List<Added> retiring = new ArrayList<>();
  private CompletableFuture<Shards> starting;

  RoundShards(Shards job, PsClient jobClient, GradientRounds rounds, IntFunction<Shards.RestartListener> listener) {
    this.job = job;
    this.jobClient = jobClient;
    this.rounds = rounds;
    this.listener = listener;
  }

  /** The shards the rounds are placed over now. */
  int count() {
    return added.isEmpty() ? job.addresses().size() : added.peek().over().size();
  }

  /** Whether shards {@link #start}ed have yet to be {@link #placeStarted placed}. */
  boolean starting() {
    return starting != null;
  }

  /** Starts {@code more} shards beside the running rounds. */
  void start(int more) {
    starting = CompletableFuture.supplyAsync(() -> job.startMore(more), task -> STARTER.newThread(task).start());
  }

  /**
   * Once the shards {@link #start}ed listen, places the rounds from the next on over them too; null while they do
   * not yet, or when none were started.
   */
  Placed placeStarted() {
    if (starting == null || !starting.isDone()) {
      return null;
    }
    CompletableFuture<Shards> started = starting;
    starting = null;
    Shards more;
    try {
      more = started.join();
    } catch (CompletionException e) {
      return new Placed(count(), count(), e.getCause().getMessage());
    }
    int before = count();
    List<InetSocketAddress> over = new ArrayList<>(added.isEmpty() ? job.addresses() : added.peek().over());
    AutoCloseable heard = more.onRestart(listener.apply(over.size()));
    over.addAll(more.addresses());
    added.push(new Added(more, heard, PsClient.connect(over, job.access(), 0), over));
    place();
    return new Placed(before, count(), null);
  }

  /** Places the rounds begun from now on over {@code count} shards, leaving the last added. */
  void goBackTo(int count) {
    while (count() > count && !added.isEmpty()) {
      retiring.add(added.pop());
    }
    place();
  }

  /** A round has begun: the added shards the rounds left hold nothing more and are stopped. */
  void roundBegun() throws Exception {
    for (Added left : retiring) {
      left.close();
    }
    retiring.clear();
  }

  private void place() {
    if (added.isEmpty()) {
      rounds.placeOver(jobClient, List.of());
    } else {
      rounds.placeOver(added.peek().client(), added.peek().over());
    }
  }

  /** Stops every shard added, those still starting once they have. */
  @Override
  public void close() throws Exception {
    retiring.addAll(added);
    added.clear();
    if (starting != null) {
      try {
        retiring.add(new Added(starting.join(), () -> {}, null, List.of()));
      } catch (CompletionException e) {
        // none started
      }
      starting = null;
    }
    roundBegun();
  }
}
