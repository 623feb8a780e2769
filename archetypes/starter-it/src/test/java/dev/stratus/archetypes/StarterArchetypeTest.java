package dev.stratus.archetypes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.stratus.runner.lambda.message.WorkerFunction;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import dev.stratus.topology.CloudTopology;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The starter as a new user meets it: {@code mvn archetype:generate} in a temporary folder outside this build, then the
 * generated project built and run by Maven with nothing but the installed artifacts in the local repository (this
 * build's own, -Dmaven.repo.local included). A version that the project's build pins but that does not reach a user
 * fails here, when the embedded store or a worker starts.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StarterArchetypeTest {
  private static final Pattern METRICS =
      Pattern.compile("test metrics: rows=(\\d+) logloss=([0-9.]+) auc=([0-9.]+) accuracy=([0-9.]+)");
  private static final int ROWS = 20_000; // the starter's default generated input

  private static Path workDir;
  /** As generated: it imports stratus-bom. */
  private static Path project;
  /** The same without the BOM: every version written in its dependencies, as a user who skips the BOM would. */
  private static Path projectWithoutBom;
  private static CompletableFuture<Path> verifyWithoutBom;
  /** The test logloss of the LambdaRunner run on loopback. */
  private static double loopbackLogloss;

  @BeforeAll
  static void generate() throws Exception {
    workDir = Files.createTempDirectory("stratus-starter-");
    project = generate("my-pipeline");
    projectWithoutBom = copy(project, workDir.resolve("my-pipeline-without-bom"));
    Path pom = projectWithoutBom.resolve("pom.xml");
    String withoutBom = Files.readString(pom).replaceAll("(?s)<dependencyManagement>.*</dependencyManagement>", "");
    withoutBom = addVersion(withoutBom, "stratus-dsl", property("stratus.version"));
    withoutBom = addVersion(withoutBom, "stratus-runner-lambda", property("stratus.version"));
    withoutBom = addVersion(withoutBom, "beam-runners-direct-java", property("stratus.beamVersion"));
    withoutBom = addVersion(withoutBom, "slf4j-simple", property("stratus.slf4jVersion"));
    withoutBom = addVersion(withoutBom, "junit-jupiter", property("stratus.junitVersion"));
    Files.writeString(pom, withoutBom);
  }

  private static Path generate(String artifactId) throws Exception {
    Path log = maven(workDir, 180, "generate-" + artifactId,
        "org.apache.maven.plugins:maven-archetype-plugin:" + property("stratus.archetypePluginVersion") + ":generate",
        "-DarchetypeGroupId=dev.stratus",
        "-DarchetypeArtifactId=stratus-archetype-starter",
        "-DarchetypeVersion=" + property("stratus.version"),
        "-DgroupId=org.example",
        "-DartifactId=" + artifactId,
        "-Dversion=1.0-SNAPSHOT",
        "-Dpackage=org.example.pipeline",
        "-DinteractiveMode=false");
    Path generated = workDir.resolve(artifactId);
    assertTrue(Files.isRegularFile(generated.resolve("src/main/java/org/example/pipeline/StarterPipeline.java")),
        "no pipeline generated; see " + log);
    return generated;
  }

  /** The generated project's sources and pom, before anything was built in it. */
  private static Path copy(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path f : files.toList()) {
        Files.copy(f, to.resolve(from.relativize(f).toString()));
      }
    }
    return to;
  }

  /**
   * The build without the BOM, started once: it runs beside the LambdaRunner run (both only wait on their own
   * processes), after the first build has resolved every artifact, so the two never write the same repository files.
   */
  private static synchronized CompletableFuture<Path> verifyWithoutBom() {
    if (verifyWithoutBom == null) {
      verifyWithoutBom = CompletableFuture.supplyAsync(() -> {
        try {
          return maven(projectWithoutBom, 240, "verify-without-bom", "verify");
        } catch (Exception e) {
          throw new CompletionException(e);
        }
      });
    }
    return verifyWithoutBom;
  }

  private static String addVersion(String pom, String artifactId, String version) {
    String declared = "<artifactId>" + artifactId + "</artifactId>";
    assertTrue(pom.contains(declared), "the generated pom no longer depends on " + artifactId);
    return pom.replace(declared, declared + "<version>" + version + "</version>");
  }

  @AfterAll
  static void removeWorkDir() throws IOException {
    if (workDir != null) {
      try (Stream<Path> files = Files.walk(workDir)) {
        for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(f);
        }
      }
    }
  }

  @Test
  @Order(1)
  void buildsAndRunsOnTheDirectRunnerInItsOwnTest() throws Exception {
    assertOwnTestPassed(maven(project, 240, "verify", "verify"));
  }

  @Test
  @Order(2)
  void runsOnLambdaRunnerWithWorkerProcesses() throws Exception {
    verifyWithoutBom();
    Path log = maven(project, 240, "run-lambda", Map.of(), "compile", "exec:exec",
        "-Dpipeline.args=--runner=LambdaRunner --dataDir=" + workDir.resolve("data-lambda"));
    assertTrue(Files.readString(log).contains("PROCESS environments"), "not on worker processes; see " + log);
    loopbackLogloss = assertSensibleMetrics(log);
  }

  /**
   * The same pipeline, run the same way, in the paper's deployment ({@link CloudTopology}: the store, a TLS shard and
   * the Lambda service each in a network namespace, behind S3's and a datacenter's delays), given them by options
   * alone, the account's keys in the environment as the AWS SDK's default chain reads them: on the same input (the
   * file the run above generated, uploaded to the store, since workers elsewhere cannot read this machine's files),
   * its test loss must match the loopback run's within the noise of asynchronous SGD. It runs while the build
   * without the BOM does.
   */
  @Test
  @Order(3)
  void runsInTheCloudShapedTopologyAsOnLoopback() throws Exception {
    String unavailable = CloudTopology.unavailableReason();
    if (unavailable != null) {
      System.err.println("the starter's cloud run skipped: " + unavailable);
    }
    assumeTrue(unavailable == null, () -> "no cloud-shaped topology on this machine: " + unavailable);
    try (CloudTopology cloud = CloudTopology.create()) {
      CloudTopology.Store store = cloud.startStore();
      CloudTopology.Lambda lambda = cloud.startLambdaService("stratus-worker", WorkerFunction.HANDLER, 1024, 300);
      String token = HexFormat.of().formatHex(new SecureRandom().generateSeed(32));
      Path tokenFile = Files.createFile(workDir.resolve("ps-token"),
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(tokenFile, token);
      CloudTopology.Shards shards = cloud.startShards(1, token);
      ObjectStore objects = ObjectStore.of(store.spec());
      objects.ensureBucket("starter");
      objects.put(S3Path.parse("s3://starter/input.svm"), workDir.resolve("data-lambda").resolve("starter-input.svm"));
      Path log = maven(project, 240, "run-cloud",
          Map.of("AWS_ACCESS_KEY_ID", cloud.credentials().accessKeyId(),
              "AWS_SECRET_ACCESS_KEY", cloud.credentials().secretAccessKey()),
          "compile", "exec:exec", "-Dpipeline.args=--runner=LambdaRunner --dataDir=" + workDir.resolve("data-cloud")
              + " --storeEndpoint=" + store.endpoint() + " --storeRegion=" + store.spec().region()
              + " --lambdaEndpoint=" + lambda.endpoint() + " --lambdaRegion=" + lambda.region()
              + " --maxConcurrency=2 --psEndpoints=" + shards.endpoints()
              + " --psTrustCertFile=" + shards.certificateFile() + " --psTokenFile=" + tokenFile
              + " --input=s3://starter/input.svm --output=s3://starter/cloud");
      double cloudLogloss = assertSensibleMetrics(log);
      assertEquals(loopbackLogloss, cloudLogloss, 0.01, "test logloss in the cloud against loopback; see " + log);
    }
  }

  @Test
  @Order(4)
  void withoutTheBomTheModulesOwnPomsStillBringWorkingVersions() throws Exception {
    try {
      assertOwnTestPassed(verifyWithoutBom().join());
    } catch (CompletionException e) {
      throw e.getCause() instanceof Exception cause ? cause : e;
    }
  }

  private static void assertOwnTestPassed(Path log) throws IOException {
    assertTrue(Files.readString(log).contains("Tests run: 1, Failures: 0, Errors: 0, Skipped: 0"),
        "the generated project's test (its pipeline on the DirectRunner) did not pass; see " + log);
  }

  /** Checks the metrics the pipeline printed; returns its test logloss. */
  private static double assertSensibleMetrics(Path log) throws IOException {
    Matcher m = METRICS.matcher(Files.readString(log));
    if (!m.find()) {
      fail("the pipeline printed no test metrics; see " + log);
    }
    long rows = Long.parseLong(m.group(1));
    double logloss = Double.parseDouble(m.group(2));
    double auc = Double.parseDouble(m.group(3));
    double accuracy = Double.parseDouble(m.group(4));
    assertEquals(0.1 * ROWS, rows, 0.1 * ROWS * 0.15, "the test half of the held-out fifth; " + m.group());
    assertTrue(auc > 0.8, "AUC of a model of the generated data: " + m.group());
    assertTrue(logloss < Math.log(2), "no better than a coin: " + m.group());
    assertTrue(accuracy > 0.7, m.group());
    return logloss;
  }

  /**
   * Runs Maven in {@code dir} with this build's local repository (and its offline setting), its output in a log file
   * beside the build's other reports; fails with the log's end if Maven fails or overruns.
   */
  private static Path maven(Path dir, int timeoutSeconds, String name, String... args) throws Exception {
    return maven(dir, timeoutSeconds, name, Map.of(), args);
  }

  /** As above, with {@code environment} added to Maven's (and so to the JVMs it starts). */
  private static Path maven(Path dir, int timeoutSeconds, String name, Map<String, String> environment,
      String... args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(property("stratus.mavenHome"), "bin", "mvn").toString());
    command.add("-B");
    command.add("-Dmaven.repo.local=" + property("stratus.localRepository"));
    if (property("stratus.offline").equals("offline=true")) {
      command.add("-o");
    }
    command.addAll(List.of(args));
    Path logs = Files.createDirectories(Path.of("target", "starter-it"));
    Path log = logs.resolve(name + ".log").toAbsolutePath();
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().putAll(environment);
    Process process = builder
        .directory(dir.toFile())
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
    try {
      if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        fail("mvn " + String.join(" ", args) + " did not finish within " + timeoutSeconds + " s:\n" + tail(log));
      }
    } finally {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
    }
    if (process.exitValue() != 0) {
      fail("mvn " + String.join(" ", args) + " failed (exit " + process.exitValue() + "):\n" + tail(log));
    }
    return log;
  }

  private static String tail(Path log) throws IOException {
    List<String> lines = Files.readAllLines(log);
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
  }

  private static String property(String name) {
    String value = System.getProperty(name);
    if (value == null || value.isBlank()) {
      throw new IllegalStateException("system property " + name + " is unset: run this test through Maven (mvn install)");
    }
    return value;
  }
}
