package dev.stratus.jvm;

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
        // All of its standard input (which ends after the input though the pipe stays open) and its SECRET variable.
        String input = new String(System.in.readAllBytes(), StandardCharsets.UTF_8).trim();
        System.out.println("starting");
        System.out.println(READY + input + "|" + System.getenv("SECRET"));
        idle();
      }
      case "exit" -> {
        System.out.println("failing");
        System.exit(Integer.parseInt(args[1]));
      }
      case "silent" -> idle();
      case "ready" -> {
        System.out.println(READY);
        idle();
      }
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
        // Never closes its children, which do what args[1] says, one given an input and one not: this JVM's end must
        // take them with it.
        ChildProcess given = ChildJvm.mainClass(TestChild.class).arguments(args[1]).input(new byte[0]).start();
        ChildProcess notGiven = ChildJvm.mainClass(TestChild.class).arguments(args[1]).start();
        System.out.println(READY + given.pid() + " " + notGiven.pid());
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
