package dev.stratus.ps.server;

import dev.stratus.store.S3Path;
import dev.stratus.store.StoreSpec;
import io.netty.util.ResourceLeakDetector;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.net.URI;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * Runs one shard as a process until killed ({@link PsServer#main} delegates here). Options: {@code --port N} (0: a
 * free port), {@code --bind ADDRESS} (default 127.0.0.1), {@code --token-env VAR} (the environment variable holding the
 * secret: a command line is visible to every local user, so the secret never goes there), {@code --shard I}, {@code --checkpoint
 * s3://bucket/prefix} with the store from {@code --store-endpoint URI --store-region R} (keys from
 * STRATUS_STORE_ACCESS_KEY and STRATUS_STORE_SECRET_KEY), {@code --store-aws REGION}, or {@value #STORE_SPEC_ENV};
 * {@code --snapshot-every SECONDS}, {@code --max-frame-bytes N}, {@code --kv-max-bytes N}; the limits
 * ({@link ShardConfig.Limits}) {@code --max-workers N}, {@code --max-handshakes N}, {@code --hello-timeout-ms N},
 * {@code --io-threads N}, {@code --models-max-bytes N}. Prints {@value PsServer#LISTENING_LINE}PORT when ready.
 */
public final class ServerCommandLine {
  /** Environment variable holding a base64 Java-serialized {@link StoreSpec} for a process's checkpoints. */
  static final String STORE_SPEC_ENV = "STRATUS_PS_STORE_SPEC";

  private ServerCommandLine() {}

  static void main(String[] args) throws Exception {
    ShardConfig config;
    try {
      config = parse(args, System.getenv());
    } catch (IllegalArgumentException e) {
      System.err.println("PsServer: " + e.getMessage());
      System.exit(2);
      return;
    }
    // Netty's leak detector is a debugging aid that costs a shard process in its hot path (a stack trace for one
    // buffer in 128, and a second buffer class at every call site, which makes C2 recompile them): off, unless the
    // process is started with -Dio.netty.leakDetection.level.
    if (System.getProperty("io.netty.leakDetection.level") == null) {
      ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
    }
    PsServer server = PsServer.start(config);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      stopped.countDown();
    }));
    System.out.println(PsServer.LISTENING_LINE + server.port());
    System.out.flush();
    stopped.await();
  }

  /** The options that give a shard process these limits. */
  public static String[] limitOptions(ShardConfig.Limits limits) {
    return new String[] {
      "--max-workers", String.valueOf(limits.maxWorkers()),
      "--max-handshakes", String.valueOf(limits.maxHandshakes()),
      "--hello-timeout-ms", String.valueOf(limits.helloTimeoutMillis()),
      "--io-threads", String.valueOf(limits.ioThreads()),
      "--models-max-bytes", String.valueOf(limits.modelsMaxBytes()),
    };
  }

  /** The configuration {@code args} give, with secrets read from {@code environment}. */
  static ShardConfig parse(String[] args, Map<String, String> environment)
      throws IOException, ClassNotFoundException {
    String token = null;
    String bind = "127.0.0.1";
    int port = 0;
    int shard = 0;
    S3Path checkpoint = null;
    StoreSpec store = null;
    String endpoint = null;
    String region = "us-east-1";
    int snapshotEvery = 0;
    int maxFrame = ShardConfig.DEFAULT_MAX_FRAME_BYTES;
    long kvMax = ShardConfig.DEFAULT_KV_MAX_BYTES;
    ShardConfig.Limits limits = ShardConfig.Limits.DEFAULT;
    for (int i = 0; i < args.length; i++) {
      String option = args[i];
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException("option " + option + " needs a value");
      }
      String value = args[++i];
      switch (option) {
        case "--port" -> port = number(option, value);
        case "--bind" -> bind = value;
        case "--token" -> throw new IllegalArgumentException("--token would put the secret on the command line, where"
            + " every local user can read it: put it in an environment variable and give --token-env VARIABLE");
        case "--token-env" -> {
          token = environment.get(value);
          if (token == null) {
            throw new IllegalArgumentException("environment variable " + value + " (the secret) is not set");
          }
        }
        case "--shard" -> shard = number(option, value);
        case "--checkpoint" -> checkpoint = S3Path.parse(value);
        case "--store-endpoint" -> endpoint = value;
        case "--store-region" -> region = value;
        case "--store-aws" -> store = StoreSpec.aws(value);
        case "--snapshot-every" -> snapshotEvery = number(option, value);
        case "--max-frame-bytes" -> maxFrame = number(option, value);
        case "--kv-max-bytes" -> kvMax = longNumber(option, value);
        case "--max-workers" -> limits = limits.maxWorkers(number(option, value));
        case "--max-handshakes" -> limits = limits.maxHandshakes(number(option, value));
        case "--hello-timeout-ms" -> limits = limits.helloTimeoutMillis(number(option, value));
        case "--io-threads" -> limits = limits.ioThreads(number(option, value));
        case "--models-max-bytes" -> limits = limits.modelsMaxBytes(longNumber(option, value));
        default -> throw new IllegalArgumentException("unknown option " + option);
      }
    }
    if (endpoint != null) {
      store = StoreSpec.endpoint(URI.create(endpoint), region, environment.get("STRATUS_STORE_ACCESS_KEY"),
          environment.get("STRATUS_STORE_SECRET_KEY"));
    }
    String serializedSpec = environment.get(STORE_SPEC_ENV);
    if (store == null && checkpoint != null && serializedSpec != null) {
      try (ObjectInputStream in =
          new ObjectInputStream(new ByteArrayInputStream(Base64.getDecoder().decode(serializedSpec)))) {
        store = (StoreSpec) in.readObject();
      }
    }
    if (checkpoint != null && store == null) {
      throw new IllegalArgumentException("--checkpoint needs a store: --store-endpoint, --store-aws or "
          + STORE_SPEC_ENV);
    }
    if (token == null) {
      throw new IllegalArgumentException("a job secret is required: --token-env VARIABLE");
    }
    ShardConfig config = ShardConfig.of(token).bind(bind).port(port).shard(shard).maxFrameBytes(maxFrame)
        .kvMaxBytes(kvMax).limits(limits);
    if (checkpoint != null) {
      config = config.checkpoint(checkpoint, store).snapshotEvery(snapshotEvery);
    }
    return config;
  }

  private static int number(String option, String value) {
    try {
      return Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("option " + option + " needs a whole number, got '" + value + "'");
    }
  }

  private static long longNumber(String option, String value) {
    try {
      return Long.parseLong(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("option " + option + " needs a whole number, got '" + value + "'");
    }
  }
}
