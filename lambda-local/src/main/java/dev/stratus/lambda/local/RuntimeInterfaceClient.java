package dev.stratus.lambda.local;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.api.client.AWSLambda;
import com.amazonaws.services.lambda.runtime.serialization.PojoSerializer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import software.amazon.awssdk.utilslite.SdkInternalThreadLocal;

/** The AWS runtime interface client as this JVM has it: its jars, and its native library unpacked once. */
final class RuntimeInterfaceClient {
  static final String MAIN_CLASS = AWSLambda.class.getName();
  /** Where the client loads its native library from instead of unpacking it to a fixed /tmp path per process. */
  static final String JNI_PROPERTY = "com.amazonaws.services.lambda.runtime.api.client.runtimeapi.NativeClient.JNI";
  private static final String JNI_RESOURCE = "/jni/libaws-lambda-jni.linux-x86_64.so";

  private RuntimeInterfaceClient() {}

  /** The client's jar and the jars it needs at run time, found where this JVM loaded them from. */
  static List<Path> classpath() {
    Set<Path> jars = new LinkedHashSet<>();
    for (Class<?> type : List.of(AWSLambda.class, Context.class, PojoSerializer.class,
        SdkInternalThreadLocal.class)) {
      try {
        jars.add(Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()));
      } catch (URISyntaxException | NullPointerException e) {
        throw new IllegalStateException("cannot locate the jar of " + type.getName(), e);
      }
    }
    return List.copyOf(jars);
  }

  /**
   * Unpacks the client's native library into {@code directory}. Environments started together would otherwise all
   * unpack it to the same /tmp file while others load it, which crashes them (SIGBUS).
   */
  static Path unpackNativeLibrary(Path directory) {
    if (!"amd64".equals(System.getProperty("os.arch")) || !System.getProperty("os.name").startsWith("Linux")) {
      throw new IllegalStateException("the runtime interface client's native library is packaged here for "
          + "Linux x86_64 only, not " + System.getProperty("os.name") + " " + System.getProperty("os.arch"));
    }
    Path target = directory.resolve("libaws-lambda-jni.so");
    try (InputStream in = AWSLambda.class.getResourceAsStream(JNI_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("the runtime interface client jar has no " + JNI_RESOURCE);
      }
      Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot unpack the runtime interface client's native library", e);
    }
  }
}
