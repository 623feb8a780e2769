package dev.stratus.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.jobs.train.Shards;
import dev.stratus.jobs.train.TrainingSpec;
import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.dataset.DatasetManifest;
import dev.stratus.kernels.dataset.DatasetWriter;
import dev.stratus.kernels.generate.PlantedData;
import dev.stratus.kernels.sgd.LinearModel;
import dev.stratus.ps.ShardAccess;
import dev.stratus.ps.tls.ShardCertificate;
import dev.stratus.store.S3Path;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --psTls} and {@code --psTrustCertFile}: which shards get TLS, what is refused before a pipeline runs, and a
 * training over TLS on the DirectRunner, which ends where the same training over plain frames does.
 */
@Timeout(120)
class ShardTlsOptionsTest {
  private static final String ROOT = "s3://tests/shard-tls";
  private static final TrainingSpec ONE_SHARD = LogisticRegression.withValidationSet(null).psShards(1).spec();
  /** Any variable that is set: it stands for the secret of shards that are never dialled here. */
  private static final String SET_VARIABLE = "--psTokenVariable=PATH";
  private static final String OFF_HOST = "--psEndpoints=10.1.2.3:7070,10.1.2.4:7070";

  @Test
  void shardsTheTrainingStartsAreTlsOnlyWhenAskedFor() throws Exception {
    for (String[] args : List.of(new String[] {}, new String[] {"--psTls=AUTO"}, new String[] {"--psTls=off"})) {
      try (Shards shards = TrainingOptions.shards(options(args), ONE_SHARD)) {
        assertFalse(shards.access().usesTls(), String.join(" ", args) + ": they listen on 127.0.0.1");
      }
    }
    try (Shards shards = TrainingOptions.shards(options("--psTls=ON"), ONE_SHARD)) {
      assertTrue(shards.access().usesTls(), "a certificate of their own");
    }
  }

  @Test
  void shardsElsewhereAreTlsUnlessAllOnLoopbackOrTurnedOff(@TempDir Path dir) throws Exception {
    String certificate = ShardCertificate.selfSigned().certificatePem();
    Path file = Files.writeString(dir.resolve("shards.pem"), certificate);
    String trust = "--psTrustCertFile=" + file;
    assertEquals(certificate, access(OFF_HOST, trust).trustedCertificatePem());
    assertEquals(certificate, access(OFF_HOST, trust, "--psTls=ON").trustedCertificatePem());
    assertNull(access(OFF_HOST, "--psTls=OFF").trustedCertificatePem(), "the user asked for plain frames");
    assertNull(access("--psEndpoints=127.0.0.1:7070,localhost:7071").trustedCertificatePem(), "all on loopback");
    assertEquals(certificate, access("--psEndpoints=127.0.0.1:7070", trust).trustedCertificatePem(),
        "a certificate given says the shards serve TLS");
    assertEquals(certificate, access("--psEndpoints=127.0.0.1:7070", "--psTls=ON", trust).trustedCertificatePem());
  }

  @Test
  void wrongTlsOptionsAreRefusedNamingTheOptions(@TempDir Path dir) throws Exception {
    assertEquals("--psTls must be AUTO, ON or OFF, got 'sometimes'", refused("--psTls=sometimes"));
    assertEquals("--psTls=AUTO speaks TLS to the shards --psEndpoints names (not all on this machine) and needs their"
        + " certificate: --psTrustCertFile=PATH (the PEM file their --tls-cert names), or --psTls=OFF for unencrypted"
        + " frames", refused(OFF_HOST));
    assertTrue(refused("--psEndpoints=127.0.0.1:7070", "--psTls=ON").startsWith("--psTls=ON speaks TLS to the shards"
        + " --psEndpoints names and needs their certificate: --psTrustCertFile=PATH"));
    Path certificate = Files.writeString(dir.resolve("shards.pem"), ShardCertificate.selfSigned().certificatePem());
    assertTrue(refused("--psTrustCertFile=" + certificate).startsWith("--psTrustCertFile names the certificate of"
        + " shards --psEndpoints names, and it names none"));
    assertEquals("--psTrustCertFile is for TLS, which --psTls=OFF turns off: give one or the other",
        refused(OFF_HOST, "--psTls=OFF", "--psTrustCertFile=" + certificate));
    Path missing = dir.resolve("missing.pem");
    assertTrue(refused(OFF_HOST, "--psTrustCertFile=" + missing)
        .startsWith("--psTrustCertFile " + missing + " cannot be read: "));
    Path notPem = Files.writeString(dir.resolve("not.pem"), "hello\n");
    assertEquals("--psTrustCertFile " + notPem + " holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
        refused(OFF_HOST, "--psTrustCertFile=" + notPem));
  }

  @Test
  void aPipelineWithWrongTlsOptionsIsRefusedBeforeItRuns() {
    Pipeline p = DataTesting.pipeline(OFF_HOST);
    p.apply("Train", ReadDataset.from(ROOT + "/never-read"))
        .apply(LogisticRegression.withValidationSet(p.apply("Validation", ReadDataset.from(ROOT + "/never-read"))));
    IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, p::run);
    assertTrue(refused.getMessage().startsWith("--psTls=AUTO speaks TLS to the shards --psEndpoints names"),
        refused.getMessage());
  }

  @Test
  void trainingOverTlsEndsWhereTrainingOverPlainFramesDoes() throws Exception {
    PlantedData data = new PlantedData(1_000, 20_000, 4_000, 7);
    DatasetManifest template = DatasetManifest.template(1_000, List.of(), "planted", null);
    DataTesting.store().ensureBucket("tests");
    DatasetWriter.write(DataTesting.store(), S3Path.parse(ROOT + "/train"), data.train, template, 5_000);
    DatasetWriter.write(
        DataTesting.store(), S3Path.parse(ROOT + "/validation"), data.test.subList(0, 2_000), template, 2_000);
    SparseRow[] test = data.test.subList(2_000, 4_000).toArray(new SparseRow[0]);

    double plain = trainAndScore(test, "plain", "--psTls=OFF");
    double overTls = trainAndScore(test, "tls", "--psTls=ON");
    System.out.printf("test logloss: plain frames %.5f, TLS %.5f%n", plain, overTls);
    assertEquals(plain, overTls, 0.01 * plain, "asynchronous SGD differs run to run, but not by more");
  }

  /** Trains two epochs with two workers on two shards, and returns the kept model's test logloss. */
  private static double trainAndScore(SparseRow[] test, String name, String tls) {
    String model = ROOT + "/models/" + name + ".bin";
    Pipeline p = DataTesting.pipeline(tls);
    p.apply("Train", ReadDataset.from(ROOT + "/train"))
        .apply(LogisticRegression.withValidationSet(p.apply("Validation", ReadDataset.from(ROOT + "/validation")))
            .workers(2)
            .psShards(2)
            .epochs(2)
            .epsilon(1e-6)
            .evalInterval(Duration.ofMillis(200))
            .timeout(Duration.ofSeconds(30))
            .modelTo(model));
    p.run().waitUntilFinish();
    return LinearModel.fromBytes(DataTesting.store().get(S3Path.parse(model)), model).evaluate(test).loss();
  }

  private static ShardAccess access(String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of(args));
    all.add(SET_VARIABLE);
    try (Shards shards = TrainingOptions.shards(options(all.toArray(String[]::new)), ONE_SHARD)) {
      return shards.access();
    }
  }

  private static String refused(String... args) {
    return assertThrows(IllegalArgumentException.class, () -> TrainingOptions.check(options(args))).getMessage();
  }

  private static TrainingOptions options(String... args) {
    return PipelineOptionsFactory.fromArgs(args).as(TrainingOptions.class);
  }
}
