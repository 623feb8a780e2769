package dev.stratus.topology;

import dev.stratus.jvm.ChildJvm;
import dev.stratus.jvm.ChildProcess;
import dev.stratus.store.EmbeddedS3Server;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The store role as a process: the embedded S3-compatible server on {@code --bind ADDRESS}, over {@code --data DIR},
 * taking only the keys in {@value #ACCESS_KEY_ENV} and {@value #SECRET_KEY_ENV}, fronted by a {@link DelayProxy} on
 * the same address with the proxy's options (S3's first-byte delay and bandwidth cap, say). Prints
 * {@value #READY_LINE}, the proxy's endpoint, and the server's own (for measuring what the proxy adds).
 */
public final class StoreNode {
  public static final String READY_LINE = "STRATUS_STORE_NODE_READY ";
  /** The names the shard process reads its store's keys from too. */
  static final String ACCESS_KEY_ENV = "STRATUS_STORE_ACCESS_KEY";
  static final String SECRET_KEY_ENV = "STRATUS_STORE_SECRET_KEY";
  private static final String BIND = "--bind";
  private static final String DATA = "--data";

  private StoreNode() {}

  /** The endpoints a ready store node printed. */
  record Endpoints(URI proxied, URI direct) {
    static Endpoints parse(String ready) {
      String[] endpoints = ready.split(" ");
      return new Endpoints(URI.create(endpoints[0]), URI.create(endpoints[1]));
    }
  }

  /** A store node's command line and environment, to start where it should run. */
  static ChildProcess.Builder process(InetAddress bind, Path data, DelayProxy.Options proxy, String accessKey,
      String secretKey) {
    List<String> arguments = new ArrayList<>(List.of(BIND, bind.getHostAddress(), DATA, data.toString()));
    arguments.addAll(proxy.arguments());
    return ChildJvm.mainClass(StoreNode.class)
        // s3proxy and its Jetty say at INFO what they configured and started: a line each, a dozen per node
        .jvmOptions("-Xmx512m", "-Dorg.slf4j.simpleLogger.log.org.gaul=warn")
        .arguments(arguments)
        .environment(ACCESS_KEY_ENV, accessKey)
        .environment(SECRET_KEY_ENV, secretKey)
        .name("store node");
  }

  public static void main(String[] args) throws InterruptedException {
    Set<String> options = new HashSet<>(DelayProxy.Options.NAMES);
    options.addAll(List.of(BIND, DATA));
    NodeMain.run("StoreNode", args, options, arguments -> {
      InetAddress bind = arguments.address(BIND);
      DelayProxy.Options proxyOptions = DelayProxy.Options.from(arguments);
      EmbeddedS3Server server = EmbeddedS3Server.start(Path.of(arguments.required(DATA)),
          NodeMain.secret(ACCESS_KEY_ENV), NodeMain.secret(SECRET_KEY_ENV), bind);
      DelayProxy proxy;
      try {
        proxy = DelayProxy.start(new InetSocketAddress(bind, 0),
            new InetSocketAddress(bind, server.endpoint().getPort()), proxyOptions);
      } catch (IOException | RuntimeException e) {
        server.close();
        throw e;
      }
      return new NodeMain.Started(READY_LINE + "http://" + Arguments.format(proxy.address()) + " "
          + server.endpoint(), List.of(server, proxy));
    });
  }
}
