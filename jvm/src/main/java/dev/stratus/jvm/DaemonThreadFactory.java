package dev.stratus.jvm;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Threads that never keep the JVM alive (a driver or a test that forgets to close something still exits), named
 * {@code name-1}, {@code name-2}… so a thread dump tells which pool each belongs to.
 */
public final class DaemonThreadFactory implements ThreadFactory {
  private final String name;
  private final AtomicLong count = new AtomicLong();

  public DaemonThreadFactory(String name) {
    this.name = name;
  }

  @Override
  public Thread newThread(Runnable runnable) {
    Thread thread = new Thread(runnable, name + "-" + count.incrementAndGet());
    thread.setDaemon(true);
    return thread;
  }
}
