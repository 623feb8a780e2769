package dev.stratus.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.stratus.jvm.ChildJvm;
import dev.stratus.jvm.ChildProcess;
import dev.stratus.runner.lambda.message.WorkerFunction;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import dev.stratus.topology.CloudTopology;
import dev.stratus.topology.DelayProxy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The main job as a user runs it, in the paper's deployment: the driver in this host's network namespace, the
 * object store, the parameter-server shards and the Lambda service each in a namespace of its own
 * ({@link CloudTopology}), the store behind S3's first-byte delay and bandwidth, the shards behind a datacenter's
 * round trip, the workers in Lambda environments that reach the store and the shards only across the bridge. The
 * job runs in a JVM of its own with LambdaRunner's defaults but for the endpoints, its secrets in its environment
 * (the account's keys as the AWS SDK's default chain reads them, the shards' secret in {@code STRATUS_PS_TOKEN}),
 * and is run again on loopback with the embedded defaults: the two test losses must agree within the noise of
 * asynchronous SGD. The shards serve TLS with a certificate the job is given ({@code --psTrustCertFile}), as
 * {@code --psTls=AUTO} asks of shards off this machine; the shard links are recorded, and the shards' secret never
 * crosses them.
 */
@Timeout(600)
class CloudDeploymentTest {
  private static final Pattern TEST_LOGLOSS = Pattern.compile("test logloss (\\d+\\.\\d+) \\(planted model (\\d+\\.\\d+)");
  /** Two runs of the same job on one machine differ by a few thousandths of logloss (asynchronous SGD). */
  private static final double SAME_LOSS = 0.01;

  @TempDir static Path dir;
  private static CloudTopology cloud;
  private static CloudTopology.Store store;
  private static CloudTopology.Lambda lambda;
  private static CloudTopology.Shards shards;
  private static String token;
  private static Path shardLinks;

  @BeforeAll
  static void startTheCloud() throws IOException {
    String unavailable = CloudTopology.unavailableReason();
    if (unavailable != null) {
      System.err.println("CloudDeploymentTest skipped: " + unavailable);
    }
    assumeTrue(unavailable == null, () -> "no cloud-shaped topology on this machine: " + unavailable);
    cloud = CloudTopology.create();
    store = cloud.startStore();
    lambda = cloud.startLambdaService("stratus-worker", WorkerFunction.HANDLER, 1024, 300);
    token = HexFormat.of().formatHex(new SecureRandom().generateSeed(32));
    shardLinks = dir.resolve("shard-links.capture");
    shards = cloud.startShards(2, token, true, DelayProxy.Options.datacenter().withCapture(shardLinks), "512m");
  }

  @AfterAll
  static void stopTheCloud() {
    if (cloud != null) {
      cloud.close();
    }
  }

  @Test
  void theMainJobTrainsAndSearchesInTheCloudAsOnLoopback() throws Exception {
    // One penalty, liblinear's C = 1 on the 32,000 training rows: what is compared is the two deployments, and a
    // default training's path through four penalties would double the time without telling them apart any better.
    List<String> job =
        List.of("--rows=40000", "--trainSeconds=30", "--workers=2", "--maxConcurrency=2", "--l2=3.1e-5");
    List<String> inCloud = new ArrayList<>(job);
    inCloud.addAll(List.of("--searchSeconds=3",
        "--dataDir=" + dir.resolve("cloud"),
        "--storeEndpoint=" + store.endpoint(), "--storeRegion=" + store.spec().region(), "--bucket=jobs",
        "--lambdaEndpoint=" + lambda.endpoint(), "--lambdaRegion=" + lambda.region(),
        "--functionName=" + lambda.functionName(),
        "--psEndpoints=" + shards.endpoints(), "--psTrustCertFile=" + shards.certificateFile()));
    List<String> onLoopback = new ArrayList<>(job);
    onLoopback.addAll(List.of("--dataDir=" + dir.resolve("loopback"), "--psShards=2", "--searchSeconds=0"));
    // Both at once: each spends most of its time waiting (on invocations, the store's delays, the monitor's rounds),
    // and the losses they reach do not depend on the pace.
    MainJob inTheCloud = MainJob.start("cloud", inCloud, Map.of(
        "AWS_ACCESS_KEY_ID", cloud.credentials().accessKeyId(),
        "AWS_SECRET_ACCESS_KEY", cloud.credentials().secretAccessKey(),
        "STRATUS_PS_TOKEN", token));
    MainJob onTheLoopback = MainJob.start("loopback", onLoopback, Map.of());
    String cloudOutput = inTheCloud.output();
    String loopbackOutput = onTheLoopback.output();

    System.out.println("The main job in the cloud-shaped topology:\n" + cloudOutput + "\nThe same on loopback:\n"
        + loopbackOutput);
    double cloudLoss = testLogloss(cloudOutput);
    double loopbackLoss = testLogloss(loopbackOutput);
    assertEquals(loopbackLoss, cloudLoss, SAME_LOSS,
        "test logloss in the cloud-shaped topology against loopback:\n" + cloudOutput + "\n" + loopbackOutput);
    ObjectStore objects = ObjectStore.of(store.spec());
    assertTrue(objects.exists(S3Path.parse("s3://jobs/criteo-40000-42/search/search-result.json")),
        "the search's result is in the store the workers reached");

    byte[] recorded = Files.readAllBytes(shardLinks);
    assertTrue(recorded.length > 100_000, "the shard links carried the training: " + recorded.length + " bytes");
    assertEquals(0x16, recorded[0], "the first connection to a shard opens with a TLS handshake record");
    assertEquals(-1, indexOf(recorded, token.getBytes(StandardCharsets.US_ASCII)),
        "the shards' secret crossed a shard link in clear");
    assertEquals(-1, indexOf(recorded, HexFormat.of().parseHex(token)),
        "the shards' secret's bytes crossed a shard link in clear");
  }

  /** The main job running in a JVM of its own in this host's namespace, its output going to a file. */
  private record MainJob(String name, ChildProcess process, Path printed) {
    static MainJob start(String name, List<String> args, Map<String, String> secrets) throws IOException {
      Path printed = dir.resolve(name + ".out");
      return new MainJob(name, ChildJvm.mainClass(CriteoJob.class)
          .jvmOptions("-Xmx1g")
          .arguments(args)
          .environment(secrets)
          .output(ChildProcess.Output.toFile(printed))
          .name("main job (" + name + ")")
          .start(), printed);
    }

    /** What it printed, once it ended well. */
    String output() throws Exception {
      try (process) {
        assertTrue(process.waitFor(Duration.ofMinutes(4)), "the main job (" + name + ") did not end in 4 minutes");
      }
      String text = Files.readString(printed);
      assertEquals(0, process.exitCode(), "the main job (" + name + ") failed:\n" + text);
      return text;
    }
  }

  private static double testLogloss(String output) {
    Matcher m = TEST_LOGLOSS.matcher(output);
    assertTrue(m.find(), "no test logloss in:\n" + output);
    return Double.parseDouble(m.group(1));
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
