package dev.stratus.jvm;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.TreeSet;

/** The child JVM of {@link ChildJvmTest}: what it does is its first argument. */
public final class TestChild {
  static final String READY = "READY ";
  static final int FLOOD_LINES = 100_000;
  /** 100 characters: a flood is 10 MB on each stream, far beyond any pipe buffer. */
  static final String FLOOD_LINE = "x".repeat(100);

  private TestChild() {}

  public static void main(String[] args) throws Exception {
    switch (args[0]) {
      case "secret" -> {
        // Its first line of standard input and its SECRET variable, so the test sees both arrived.
        String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        System.out.println("starting");
        System.out.println(READY + line + "|" + System.getenv("SECRET"));
        idle();
      }
      case "exit" -> {
        System.out.println("failing");
        System.exit(Integer.parseInt(args[1]));
      }
      case "silent" -> idle();
      case "ignore-sigterm" -> {
        // SIGTERM runs the shutdown hooks, and this one never ends: only SIGKILL stops the JVM.
        Runtime.getRuntime().addShutdownHook(new Thread(TestChild::idle));
        System.out.println(READY);
        idle();
      }
      case "flood" -> {
        System.out.println(READY);
        for (int i = 0; i < FLOOD_LINES; i++) {
          System.out.println(FLOOD_LINE);
          System.err.println(FLOOD_LINE);
        }
      }
      case "environment" -> System.out.println(READY + String.join(",", new TreeSet<>(System.getenv().keySet())));
      case "parent" -> {
        // Never closes its child: this JVM's end must take the child with it.
        ChildProcess child = ChildJvm.mainClass(TestChild.class).arguments("silent").start();
        System.out.println(READY + child.pid());
        idle();
      }
      case "spawn" -> {
        Process sleep = new ProcessBuilder("sleep", "60").start();
        System.out.println(READY + sleep.pid());
        idle();
      }
      default -> throw new IllegalArgumentException(args[0]);
    }
  }

  /** Two minutes at most, so that even a child the test lost ends by itself. */
  private static void idle() {
    try {
      Thread.sleep(Duration.ofMinutes(2).toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
