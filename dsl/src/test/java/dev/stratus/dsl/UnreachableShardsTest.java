package dev.stratus.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.runner.lambda.LambdaRunner;
import dev.stratus.spi.Workers;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * Training and search on Lambda workers that run elsewhere (AWS Lambda, a Lambda service at a private address) with
 * shards they could never reach are refused before the runner invokes anything: the Lambda endpoints here are never
 * dialled, nor is the store (the refusal comes first, in well under the time a connection attempt would take). Every
 * address used resolves without the network.
 */
@Timeout(60)
class UnreachableShardsTest {
  private static final String ROOT = "s3://tests/unreachable-shards";
  private static final String FIX = ": start shards where Lambda can reach them and pass --psEndpoints=host:port,..."
      + " (README: Running on Lambda)";
  /** A private address nothing here listens on: a connection attempt to it would hang, not fail fast. */
  private static final String PRIVATE_ENDPOINT = "http://10.255.255.1:9";

  @Test
  void trainingOnAwsLambdaWithShardsTheDriverWouldStartIsRefusedNamingTheFix() {
    assertEquals("workers run on AWS Lambda (--lambdaEndpoint=aws) and cannot reach parameter-server shards on"
        + " 127.0.0.1" + FIX, refused(UnreachableShardsTest::training, "--lambdaEndpoint=aws"));
  }

  @Test
  void aLambdaServiceElsewhereCannotReachShardsOnLoopbackOrLinkLocalEndpoints() {
    assertEquals("workers run on the Lambda service at " + PRIVATE_ENDPOINT + " (--lambdaEndpoint) and cannot reach"
        + " parameter-server shards on 127.0.0.1" + FIX,
        refused(UnreachableShardsTest::training, "--lambdaEndpoint=" + PRIVATE_ENDPOINT));
    assertEquals("workers run on AWS Lambda (--lambdaEndpoint=aws) and cannot reach parameter-server shards on"
        + " 127.0.0.1:7070, 169.254.10.20:7070 (--psEndpoints: loopback and link-local addresses are not reachable"
        + " from other machines)" + FIX,
        refused(UnreachableShardsTest::training, "--lambdaEndpoint=aws",
            "--psEndpoints=127.0.0.1:7070,10.1.2.3:7070,169.254.10.20:7070",
            // TLS off (else its missing certificate would be refused first, as the pipeline is validated)
            "--psTls=OFF"));
  }

  @Test
  void aSearchIsRefusedAsATrainingIs() {
    assertEquals("workers run on AWS Lambda (--lambdaEndpoint=aws) and cannot reach parameter-server shards on"
        + " 127.0.0.1" + FIX, refused(UnreachableShardsTest::search, "--lambdaEndpoint=aws"));
  }

  @Test
  void workersOnThisMachineOrShardsElsewhereAreNotRefused() {
    LambdaTrainingSetup.StoreOptionsAndRunner options = PipelineOptionsFactory.fromArgs(
        "--psEndpoints=10.1.2.3:7070, 192.168.7.8:7070").as(LambdaTrainingSetup.StoreOptionsAndRunner.class);
    SgdTrainingOnWorkers.refuseUnreachableShards(options, workers(false));
    LambdaTrainingSetup.StoreOptionsAndRunner local =
        PipelineOptionsFactory.create().as(LambdaTrainingSetup.StoreOptionsAndRunner.class);
    SgdTrainingOnWorkers.refuseUnreachableShards(local, workers(true));
  }

  /** The refusal's message, after checking that it came at once (a network call would have taken far longer). */
  private static String refused(Function<Pipeline, ?> transform, String... args) {
    LambdaTrainingSetup.StoreOptionsAndRunner options = PipelineOptionsFactory.fromArgs(args)
        .as(LambdaTrainingSetup.StoreOptionsAndRunner.class);
    options.setRunner(LambdaRunner.class);
    // a store the workers could reach, never dialled either: the shards' refusal comes before the store is touched
    options.setStoreEndpoint("http://10.255.255.2:9000");
    options.setStoreAccessKey("unused");
    options.setStoreSecretKey("unused");
    // never used, since nothing is invoked; set so that no credential lookup could go looking for credentials either
    options.setLambdaCredentials(StaticCredentialsProvider.create(AwsBasicCredentials.create("unused", "unused")));
    Pipeline p = Pipeline.create(options);
    transform.apply(p);
    long started = System.nanoTime();
    IllegalArgumentException refusal = assertThrows(IllegalArgumentException.class, p::run);
    Duration took = Duration.ofNanos(System.nanoTime() - started);
    assertTrue(took.compareTo(Duration.ofSeconds(2)) < 0, "refused after " + took);
    return refusal.getMessage();
  }

  private static LogisticRegression baseTraining(Pipeline p) {
    return LogisticRegression.withValidationSet(p.apply("Validation", ReadDataset.from(ROOT + "/validation")));
  }

  private static Object training(Pipeline p) {
    return p.apply("Train", ReadDataset.from(ROOT + "/train")).apply(baseTraining(p));
  }

  private static Object search(Pipeline p) {
    return p.apply("Train", ReadDataset.from(ROOT + "/train"))
        .apply(GridSearch.of(baseTraining(p)).vary("learningRate", 0.1, 0.2));
  }

  private static Workers workers(boolean onThisMachine) {
    return new Workers() {
      @Override
      public CompletableFuture<byte[]> invoke(String entryPoint, byte[] request) {
        throw new AssertionError("a check invoked a worker");
      }

      @Override
      public int timeoutSeconds() {
        return 60;
      }

      @Override
      public int memoryMb() {
        return 512;
      }

      @Override
      public long invocations() {
        return 0;
      }

      @Override
      public boolean onThisMachine() {
        return onThisMachine;
      }

      @Override
      public String location() {
        return onThisMachine ? "on this machine" : "elsewhere";
      }
    };
  }
}
