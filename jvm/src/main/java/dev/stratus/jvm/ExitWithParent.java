package dev.stratus.jvm;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Arrays;

/**
 * The main class of every {@link ChildJvm}: it runs the child's own main class, and ends the JVM once the parent is
 * gone, however the parent ended ({@code kill -9} included, which runs no shutdown hook of the parent's).
 *
 * <p>The child's standard input is a pipe whose writing end only the parent holds, and never closes while it runs:
 * the operating system closes it when the parent dies, and the read here sees its end. What the parent gave as input
 * ({@link ChildProcess.Builder#input}, its length the first argument) is read first and becomes {@link System#in},
 * which ends after it as it did when the parent closed the pipe; without input, {@link System#in} is the pipe itself.
 *
 * <p>Arguments: the input's length in bytes ({@value #NO_INPUT}: none given), the main class, its arguments.
 */
public final class ExitWithParent {
  /** The first argument when the parent gave no input. */
  static final String NO_INPUT = "-";
  /** The exit code of a JVM whose parent went away. */
  private static final int PARENT_GONE = 75;
  /** How long shutdown hooks (which stop this JVM's own children) may run before the JVM halts regardless. */
  private static final Duration HOOKS_BOUND = Duration.ofSeconds(2);

  private ExitWithParent() {}

  public static void main(String[] args) throws Throwable {
    InputStream parent = new FileInputStream(FileDescriptor.in);
    if (!args[0].equals(NO_INPUT)) {
      // readFully, not readNBytes: Java 17's FileInputStream.readNBytes seeks, which a pipe refuses
      byte[] input = new byte[Integer.parseInt(args[0])];
      new DataInputStream(parent).readFully(input);
      System.setIn(new ByteArrayInputStream(input));
    }
    Thread watch = new Thread(() -> exitOnEnd(parent), "exit-with-parent");
    watch.setDaemon(true);
    watch.start();
    Method main = Class.forName(args[1]).getMethod("main", String[].class);
    try {
      main.invoke(null, (Object) Arrays.copyOfRange(args, 2, args.length));
    } catch (InvocationTargetException e) {
      throw e.getCause(); // as if the main class had been the JVM's own
    }
  }

  private static void exitOnEnd(InputStream parent) {
    try {
      parent.transferTo(OutputStream.nullOutputStream());
    } catch (IOException e) {
      // unreadable: the parent is gone all the same
    }
    Thread halt = new Thread(() -> {
      try {
        Thread.sleep(HOOKS_BOUND.toMillis());
      } catch (InterruptedException e) {
        // halt now
      }
      Runtime.getRuntime().halt(PARENT_GONE);
    }, "exit-with-parent-halt");
    halt.setDaemon(true);
    halt.start();
    System.exit(PARENT_GONE);
  }
}
