package dev.stratus.ps.client;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;

/**
 * One thread for the whole JVM that brings back the background readers that stood aside for callers reading their
 * own replies: a connection whose last waiting caller left is looked at every hand-over gap until its reader may read
 * again ({@link ShardConnection#mayReadAgain}), then that reader is unparked; a caller waiting again meanwhile takes
 * it off the list, and its leaving puts it back. So however many connections a JVM holds (a search's trainings, a
 * benchmark's thousands of workers), callers that wait cost no wake-up at all, callers that come and go one per gap
 * in all, not one per connection; with nothing to look at this thread is parked without a timeout.
 */
final class StandingReaders {
  private static final Queue<ShardConnection> STANDING = new ConcurrentLinkedQueue<>();
  private static final Thread LOOKER = start();
  private static volatile boolean lookerParked;

  private StandingReaders() {}

  /** Looks at {@code connection}, whose last waiting caller just left, from the next gap on. */
  static void watch(ShardConnection connection) {
    if (connection.standing.compareAndSet(false, true)) {
      STANDING.add(connection);
      if (lookerParked) {
        LockSupport.unpark(LOOKER);
      }
    }
  }

  private static Thread start() {
    Thread looker = new Thread(StandingReaders::look, "ps-client-readers");
    looker.setDaemon(true);
    looker.start();
    return looker;
  }

  private static void look() {
    while (true) {
      if (STANDING.isEmpty()) {
        lookerParked = true;
        if (STANDING.isEmpty()) { // checked again after the flag is set: watch() sees the flag or we see its entry
          LockSupport.park(StandingReaders.class);
        }
        lookerParked = false;
        continue;
      }
      LockSupport.parkNanos(StandingReaders.class, ShardConnection.HANDOVER_NANOS);
      for (int n = STANDING.size(); n > 0; n--) {
        ShardConnection connection = STANDING.poll();
        if (connection == null) {
          break;
        }
        connection.standing.set(false); // before the checks: a caller leaving after them puts it back
        if (connection.mayReadAgain()) {
          connection.wakeReader();
        } else if (!connection.callerWaits() && connection.standing.compareAndSet(false, true)) {
          STANDING.add(connection); // within the gap still
        }
      }
    }
  }
}
