package dev.stratus.pipelines;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import dev.stratus.ps.server.PsProcesses;
import dev.stratus.ps.server.PsServer;
import dev.stratus.ps.server.ShardConfig;
import dev.stratus.runner.lambda.LambdaRunnerOptions;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The rules of docs/ARCHITECTURE.md that the compiler does not already enforce, over the main classes of every module
 * (this module depends on all of them). Which module may use which is each pom's dependencies, which the compiler
 * holds; these rules hold what a dependency lets through: cycles between packages, the layers inside a module, and
 * the parts of a module reached through another's dependency.
 */
class ArchitectureTest {
  private static final String RUNNER = "dev.stratus.runner.lambda";
  private static final String WORKER = RUNNER + ".worker..";
  private static final String MESSAGE = RUNNER + ".message..";
  private static final String[] DRIVER_SIDE = {
      RUNNER, RUNNER + ".translate..", RUNNER + ".graph..", RUNNER + ".scheduler..", RUNNER + ".deploy.."};

  static JavaClasses classes;

  @BeforeAll
  static void importMainClasses() {
    classes =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.stratus");
  }

  @Test
  void noPackageDependsOnItselfThroughAnother() {
    slices().matching("dev.stratus.(**)").should().beFreeOfCycles().check(classes);
  }

  @Test
  void theRunnersDriverAndWorkerSidesMeetOnlyInTheMessageContract() {
    noClasses().that().resideInAnyPackage(DRIVER_SIDE)
        .should().dependOnClassesThat().resideInAPackage(WORKER)
        .check(classes);
    noClasses().that().resideInAPackage(WORKER)
        .should().dependOnClassesThat().resideInAnyPackage(DRIVER_SIDE)
        .check(classes);
    noClasses().that().resideInAPackage(MESSAGE)
        .should().dependOnClassesThat().resideInAnyPackage(concat(DRIVER_SIDE, WORKER))
        .check(classes);
  }

  @Test
  void onlyTheRunnersRootReadsItsOptionsAndStartsTheLocalService() {
    noClasses().that().resideOutsideOfPackage(RUNNER)
        .should().dependOnClassesThat().belongToAnyOf(LambdaRunnerOptions.class)
        .because("the root hands translate and scheduler the values they need")
        .check(classes);
    noClasses().that().resideInAPackage(RUNNER + "..").and().resideOutsideOfPackage(RUNNER)
        .should().dependOnClassesThat().resideInAPackage("dev.stratus.lambda.local..")
        .check(classes);
  }

  @Test
  void theParameterServersLayers() {
    noClasses().that().resideInAPackage("dev.stratus.ps")
        .should().dependOnClassesThat().resideInAPackage("dev.stratus.ps.*..")
        .because("the model's vocabulary is the bottom layer")
        .check(classes);
    noClasses().that().resideInAPackage("dev.stratus.ps.wire..")
        .should().dependOnClassesThat().resideInAnyPackage("dev.stratus.ps.client..", "dev.stratus.ps.server..")
        .check(classes);
    noClasses().that().resideInAPackage("dev.stratus.ps.tls..")
        .should().dependOnClassesThat()
        .resideInAnyPackage("dev.stratus.ps.wire..", "dev.stratus.ps.client..", "dev.stratus.ps.server..")
        .because("client and server share TLS from below, as they share the wire")
        .check(classes);
    noClasses().that().resideInAPackage("dev.stratus.ps.client..")
        .should().dependOnClassesThat().resideInAPackage("dev.stratus.ps.server..")
        .check(classes);
    noClasses().that().resideInAPackage("dev.stratus.ps.server..")
        .should().dependOnClassesThat().resideInAPackage("dev.stratus.ps.client..")
        .check(classes);
  }

  @Test
  void kernelsJobsAndTheDslUseTheParameterServerOnlyThroughItsEntryPoints() {
    noClasses().that().resideInAPackage("dev.stratus.kernels..")
        .should().dependOnClassesThat().resideInAPackage("dev.stratus.ps.*..")
        .because("a kernel needs only what a model is, never a connection")
        .check(classes);
    noClasses().that().resideInAnyPackage("dev.stratus.jobs..", "dev.stratus.dsl..")
        .should().dependOnClassesThat(serverPartsOrWire())
        .check(classes);
  }

  @Test
  void jobsKnowNothingOfBeam() {
    noClasses().that().resideInAPackage("dev.stratus.jobs..")
        .should().dependOnClassesThat().resideInAPackage("org.apache.beam..")
        .because("training and search drivers run under any runner, or none (Beam reaches jobs through kernels)")
        .check(classes);
  }

  /** The wire, and the shard's classes other than those that start one. */
  private static DescribedPredicate<JavaClass> serverPartsOrWire() {
    return resideInAPackage("dev.stratus.ps.wire..")
        .or(resideInAnyPackage("dev.stratus.ps.server..")
            .and(DescribedPredicate.not(
                JavaClass.Predicates.belongToAnyOf(PsServer.class, ShardConfig.class, PsProcesses.class))))
        .as("the wire or a shard's parts");
  }

  private static String[] concat(String[] packages, String more) {
    String[] all = Arrays.copyOf(packages, packages.length + 1);
    all[packages.length] = more;
    return all;
  }
}
