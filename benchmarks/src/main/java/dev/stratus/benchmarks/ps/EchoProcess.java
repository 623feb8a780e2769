package dev.stratus.benchmarks.ps;

import dev.stratus.jvm.ChildJvm;
import dev.stratus.jvm.ChildProcess;
import java.io.IOException;
import java.time.Duration;

/** {@link EchoServer} in a child JVM, stopped on close (and, as every child JVM, when this JVM dies). */
final class EchoProcess implements AutoCloseable {
  final int port;
  private final ChildProcess process;

  EchoProcess() throws IOException {
    process = ChildJvm.mainClass(EchoServer.class)
        .jvmOptions("-Xmx128m")
        .name("the echo server")
        .readyWhen(EchoServer.PORT_LINE, Duration.ofSeconds(60))
        .start();
    port = Integer.parseInt(process.ready());
  }

  long pid() {
    return process.pid();
  }

  @Override
  public void close() {
    process.close();
  }
}
