package dev.stratus.runner.lambda.message;

import dev.stratus.spi.WorkerFailedException;
import java.lang.reflect.Constructor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * A worker's exception as plain data: class name, message and stack, with its cause and suppressed exceptions. The
 * driver rebuilds it without loading any class the worker named, except the JDK's own exception types
 * ({@code AssertionError}, {@code IllegalArgumentException}, ...), which come back as themselves; any other type comes
 * back as a {@link WorkerFailedException} that names it. Java serialization of a worker's answer would let whoever
 * answers run code in the driver.
 */
public record WorkerError(
    String className, String message, ArrayList<Frame> stack, WorkerError cause, ArrayList<WorkerError> suppressed) {

  /** A cause chain deeper than this is cut: the frames that matter are at its top. */
  private static final int MAX_DEPTH = 16;

  /** One line of a stack trace. */
  public record Frame(
      String classLoader, String module, String moduleVersion, String declaringClass, String method, String file,
      int line) {}

  public static WorkerError of(Throwable throwable) {
    return of(throwable, Collections.newSetFromMap(new IdentityHashMap<>()), 0);
  }

  private static WorkerError of(Throwable throwable, Set<Throwable> seen, int depth) {
    seen.add(throwable);
    ArrayList<Frame> stack = new ArrayList<>();
    for (StackTraceElement element : throwable.getStackTrace()) {
      stack.add(new Frame(element.getClassLoaderName(), element.getModuleName(), element.getModuleVersion(),
          element.getClassName(), element.getMethodName(), element.getFileName(), element.getLineNumber()));
    }
    Throwable cause = throwable.getCause();
    boolean followCause = cause != null && depth < MAX_DEPTH && !seen.contains(cause);
    ArrayList<WorkerError> suppressed = new ArrayList<>();
    for (Throwable s : throwable.getSuppressed()) {
      if (depth < MAX_DEPTH && !seen.contains(s)) {
        suppressed.add(of(s, seen, depth + 1));
      }
    }
    return new WorkerError(
        throwable.getClass().getName(),
        throwable.getMessage(),
        stack,
        followCause ? of(cause, seen, depth + 1) : null,
        suppressed);
  }

  /** The exception as the user should see it in the driver: the JDK type it was, or one naming its type. */
  public Throwable toThrowable() {
    Throwable jdkException = jdkExceptionOrNull();
    Throwable rebuilt = jdkException != null ? jdkException : new WorkerFailedException(className, message);
    StackTraceElement[] elements = new StackTraceElement[stack.size()];
    for (int i = 0; i < elements.length; i++) {
      Frame frame = stack.get(i);
      elements[i] = new StackTraceElement(frame.classLoader(), frame.module(), frame.moduleVersion(),
          frame.declaringClass(), frame.method(), frame.file(), frame.line());
    }
    rebuilt.setStackTrace(elements);
    if (cause != null) {
      rebuilt.initCause(cause.toThrowable());
    }
    suppressed.forEach(s -> rebuilt.addSuppressed(s.toThrowable()));
    return rebuilt;
  }

  /**
   * The JDK exception {@link #className} names, made with its message constructor; null for any other class. Only
   * the bootstrap class loader is asked, so no class of the user's (or an attacker's) is ever initialized.
   */
  private Throwable jdkExceptionOrNull() {
    if (!className.startsWith("java.")) {
      return null;
    }
    try {
      Class<?> type = Class.forName(className, false, null);
      if (!Throwable.class.isAssignableFrom(type)) {
        return null;
      }
      if (message == null) {
        return (Throwable) type.getConstructor().newInstance();
      }
      Constructor<?> constructor = messageConstructorOrNull(type);
      return constructor == null ? null : (Throwable) constructor.newInstance(message);
    } catch (ReflectiveOperationException | LinkageError e) {
      return null;
    }
  }

  /** {@code (String)}, or {@code AssertionError}'s {@code (Object)}; both leave the cause unset. */
  private static Constructor<?> messageConstructorOrNull(Class<?> type) {
    for (Class<?> parameter : new Class<?>[] {String.class, Object.class}) {
      try {
        return type.getConstructor(parameter);
      } catch (NoSuchMethodException e) {
        // Try the next one.
      }
    }
    return null;
  }
}
