package dev.stratus.pipelines;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The "who may import whom" table of docs/ARCHITECTURE.md, over the main classes of every module (this module depends
 * on all of them): a change that breaks a row fails the build, naming the class and the dependency.
 */
class ArchitectureTest {
  private static final String STORE = "dev.stratus.store..";
  private static final String PS = "dev.stratus.ps..";
  private static final String SPI = "dev.stratus.spi..";
  private static final String KERNELS = "dev.stratus.kernels..";
  private static final String JOBS = "dev.stratus.jobs..";
  private static final String LAMBDA_LOCAL = "dev.stratus.lambda.local..";
  private static final String DSL = "dev.stratus.dsl..";
  private static final String RUNNER = "dev.stratus.runner..";
  private static final String PIPELINES = "dev.stratus.pipelines..";
  private static final String BEAM = "org.apache.beam..";

  static JavaClasses classes;

  @BeforeAll
  static void importMainClasses() {
    classes =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.stratus");
  }

  @Test
  void theStoreDependsOnNoOtherModule() {
    noClasses().that().resideInAPackage(STORE)
        .should().dependOnClassesThat().resideInAnyPackage(PS, SPI, KERNELS, JOBS, DSL, RUNNER, PIPELINES, BEAM)
        .check(classes);
  }

  @Test
  void theParameterServerKnowsNothingOfBeamNorOfWhatUsesIt() {
    noClasses().that().resideInAPackage(PS)
        .should().dependOnClassesThat().resideInAnyPackage(SPI, KERNELS, JOBS, DSL, RUNNER, PIPELINES, BEAM)
        .check(classes);
  }

  @Test
  void theSpiKnowsOnlyTheStoreAndBeam() {
    noClasses().that().resideInAPackage(SPI)
        .should().dependOnClassesThat().resideInAnyPackage(PS, KERNELS, JOBS, DSL, RUNNER, PIPELINES)
        .check(classes);
  }

  @Test
  void kernelsAndJobsKnowNoTransformRunnerOrSpi() {
    noClasses().that().resideInAnyPackage(KERNELS, JOBS)
        .should().dependOnClassesThat().resideInAnyPackage(SPI, DSL, RUNNER, PIPELINES)
        .check(classes);
  }

  @Test
  void theDslReachesRunnersOnlyThroughTheSpi() {
    noClasses().that().resideInAPackage(DSL)
        .should().dependOnClassesThat().resideInAnyPackage(RUNNER, PIPELINES)
        .check(classes);
  }

  @Test
  void theRunnerKnowsNoMl() {
    noClasses().that().resideInAPackage(RUNNER)
        .should().dependOnClassesThat().resideInAnyPackage(PS, KERNELS, JOBS, DSL, PIPELINES)
        .check(classes);
  }
}
