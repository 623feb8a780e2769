package dev.stratus.runner.lambda;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.time.Duration;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.rules.Timeout;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * A pipeline whose workers run elsewhere (AWS Lambda, a Lambda service at a private address) with a store they could
 * never reach is refused before the store or the Lambda service is touched: the embedded store's directory is never
 * made, and the endpoints here, which nothing answers, are never dialled (the refusal comes in well under the time a
 * connection attempt would take).
 */
public class UnreachableStoreTest {
  private static final String FIX = ": pass --storeEndpoint=aws --bucket=BUCKET, or an S3-compatible endpoint the"
      + " workers reach (README: Running on Lambda)";
  /** A private address nothing here listens on: a connection attempt to it would hang, not fail fast. */
  private static final String PRIVATE_ENDPOINT = "http://10.255.255.1:9";

  @Rule public final TemporaryFolder temp = new TemporaryFolder();
  @Rule public final Timeout timeout = Timeout.seconds(60);

  @Test
  public void workersElsewhereCannotReachTheEmbeddedStore() {
    File dataDir = new File(temp.getRoot(), "store");
    assertEquals("workers run on AWS Lambda (--lambdaEndpoint=aws) and cannot reach the embedded store over "
        + dataDir.toPath().toAbsolutePath() + ", which serves on this machine's loopback" + FIX,
        refused("--lambdaEndpoint=aws", "--dataDir=" + dataDir));
    assertFalse("the embedded store was started", dataDir.exists());
  }

  @Test
  public void workersElsewhereCannotReachAStoreOnLoopbackOrLinkLocalAddresses() {
    assertEquals("workers run on the Lambda service at " + PRIVATE_ENDPOINT + " (--lambdaEndpoint) and cannot reach"
        + " the S3 endpoint http://127.0.0.1:9000 (--storeEndpoint: loopback and link-local addresses are not"
        + " reachable from other machines)" + FIX,
        refused("--lambdaEndpoint=" + PRIVATE_ENDPOINT, "--storeEndpoint=http://127.0.0.1:9000"));
    assertTrue(refused("--lambdaEndpoint=aws", "--storeEndpoint=http://169.254.1.2:9000")
        .contains("cannot reach the S3 endpoint http://169.254.1.2:9000 (--storeEndpoint"));
  }

  /** The refusal's message, after checking that it came at once (a network call would have taken far longer). */
  private static String refused(String... args) {
    LambdaRunnerOptions options = PipelineOptionsFactory.fromArgs(args).as(LambdaRunnerOptions.class);
    options.setRunner(LambdaRunner.class);
    options.setStoreAccessKey("unused");
    options.setStoreSecretKey("unused");
    // never used, since nothing is invoked; set so that no credential lookup could go looking for credentials either
    options.setLambdaCredentials(StaticCredentialsProvider.create(AwsBasicCredentials.create("unused", "unused")));
    Pipeline p = Pipeline.create(options);
    p.apply(Create.of(1, 2, 3));
    long started = System.nanoTime();
    IllegalArgumentException refusal = assertThrows(IllegalArgumentException.class, p::run);
    Duration took = Duration.ofNanos(System.nanoTime() - started);
    assertTrue("refused after " + took, took.compareTo(Duration.ofSeconds(2)) < 0);
    return refusal.getMessage();
  }
}
