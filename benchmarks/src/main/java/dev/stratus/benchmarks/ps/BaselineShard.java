package dev.stratus.benchmarks.ps;

import dev.stratus.jvm.ChildJvm;
import dev.stratus.jvm.ChildProcess;
import dev.stratus.jvm.ClassPath;
import dev.stratus.ps.server.PsServer;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.zip.ZipFile;

/**
 * A shard of another build of the parameter server (its {@code ps/target/classes} or jar, say the previous commit's),
 * in a child JVM beside ours, so one run measures both on the same machine at the same time. Its classes come first
 * on the class path; our dependencies serve both (the wire protocol and command line must not have changed). That
 * build must hold the shard class itself, or ours, later on the class path, would stand in for it unseen.
 *
 * <p>A build of another protocol version ({@code Wire.PROTOCOL_VERSION}: 3 since the METRICS reply says what a
 * restarted shard restored) cannot serve our client: it refuses or hangs up on our HELLO, and the benchmark's connect
 * fails naming the version. Compare against builds of the same version.
 */
final class BaselineShard implements AutoCloseable {
  private static final String TOKEN_ENV = "STRATUS_PS_TOKEN";
  final int port;
  private final ChildProcess process;

  BaselineShard(Path classes, String secret) throws IOException {
    if (!Files.exists(classes)) {
      throw new IOException("no baseline parameter-server build at " + classes);
    }
    requireShardClass(classes);
    process = ChildJvm.mainClass(PsServer.class)
        .jvmOptions("-Xmx1g", "-XX:+UseParallelGC")
        .classPath(classes + File.pathSeparator + ClassPath.current())
        .arguments("--port", "0", "--bind", "127.0.0.1", "--shard", "0", "--token-env", TOKEN_ENV)
        .name("the baseline shard from " + classes)
        .environment(TOKEN_ENV, secret)
        .readyWhen(PsServer.LISTENING_LINE, Duration.ofSeconds(60))
        .start();
    port = Integer.parseInt(process.ready());
  }

  private static void requireShardClass(Path classes) throws IOException {
    String file = PsServer.class.getName().replace('.', '/') + ".class";
    if (!(Files.isDirectory(classes) ? Files.exists(classes.resolve(file)) : jarHolds(classes, file))) {
      throw new IOException("no " + PsServer.class.getName() + " in " + classes
          + ": a build from before the ps layers, or of another protocol version, cannot serve today's client");
    }
  }

  private static boolean jarHolds(Path jar, String file) throws IOException {
    try (ZipFile zip = new ZipFile(jar.toFile())) {
      return zip.getEntry(file) != null;
    }
  }

  long pid() {
    return process.pid();
  }

  @Override
  public void close() {
    process.close();
  }
}
