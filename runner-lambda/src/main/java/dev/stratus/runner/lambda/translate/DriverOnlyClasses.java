package dev.stratus.runner.lambda.translate;

import java.io.IOException;
import java.io.ObjectOutputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.lang.reflect.Proxy;

/**
 * Finds, in what the driver ships to workers, instances of classes that exist only in the driver's JVM: classes
 * generated at pipeline construction (Beam's {@code Convert.to(<a primitive type>)} captures a function whose class
 * byte-buddy generates) have no class file a worker could load, so deserializing the step there would fail with
 * "unable to deserialize" after the job has started. The driver refuses such a step before any work instead.
 */
final class DriverOnlyClasses {
  private DriverOnlyClasses() {}

  static void refuse(Serializable value, String step) {
    try (Finder finder = new Finder()) {
      finder.writeObject(value);
      if (finder.found != null) {
        throw new IllegalArgumentException("step " + step + " cannot run on workers: it holds an instance of "
            + finder.found.getName() + ", a class generated in this JVM while the pipeline was built, which a"
            + " worker cannot load. Beam's Convert.to(a primitive type) makes one; read the field with"
            + " MapElements over the Row instead (for example row.getInt32(\"field\")).");
      }
    } catch (IOException e) {
      // Not serializable at all: Beam's own serialization right after this reports it with its message.
    }
  }

  /** An object stream that writes nowhere and notes the first class without a class file. */
  private static final class Finder extends ObjectOutputStream {
    private Class<?> found;

    Finder() throws IOException {
      super(OutputStream.nullOutputStream());
    }

    @Override
    protected void annotateClass(Class<?> type) {
      if (found == null && generated(type)) {
        found = type;
      }
    }

    private static boolean generated(Class<?> type) {
      ClassLoader loader = type.getClassLoader();
      return loader != null && !type.isArray() && !Proxy.isProxyClass(type)
          && loader.getResource(type.getName().replace('.', '/') + ".class") == null;
    }
  }
}
