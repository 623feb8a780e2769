package dev.stratus.topology;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/**
 * What the mains of this module's processes share: they read their options, start what they run, print one ready
 * line and run until stopped (SIGTERM), then close what they started, last first. A bad option exits with code 2,
 * a failure to start with 1, each with a line on standard error naming the node.
 */
final class NodeMain {
  /** What a node started: the line to print once ready, and what to close when it stops. */
  record Started(String readyLine, List<AutoCloseable> parts) {}

  @FunctionalInterface
  interface Node {
    Started start(Arguments arguments) throws Exception;
  }

  private NodeMain() {}

  /** A secret from this process's environment, where its creator put it (never on the command line). */
  static String secret(String variable) {
    String value = System.getenv(variable);
    if (value == null || value.isEmpty()) {
      throw new IllegalArgumentException("environment variable " + variable + " (a secret) is not set");
    }
    return value;
  }

  static void run(String name, String[] args, Set<String> options, Node node) throws InterruptedException {
    Started started;
    try {
      started = node.start(Arguments.parse(args, options));
    } catch (IllegalArgumentException e) {
      System.err.println(name + ": " + e.getMessage());
      System.exit(2);
      return;
    } catch (Exception e) {
      System.err.println(name + ": cannot start: " + e);
      e.printStackTrace();
      System.exit(1);
      return;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    List<AutoCloseable> lastFirst = new ArrayList<>(started.parts());
    Collections.reverse(lastFirst);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      for (AutoCloseable part : lastFirst) {
        try {
          part.close();
        } catch (Exception e) {
          System.err.println(name + ": cannot close " + part + ": " + e);
        }
      }
      stopped.countDown();
    }, name + "-stop"));
    System.out.println(started.readyLine());
    System.out.flush();
    stopped.await();
  }
}
