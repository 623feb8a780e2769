package dev.stratus.ps;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.belongToAnyOf;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The module's layers, over its main classes: the API's entry points on top, the client and the server below them
 * and apart, the wire format under both; the API's values (specs, metrics, errors) are what all of them share.
 */
class LayersTest {
  private static final String WIRE = "dev.stratus.ps.wire..";
  private static final String CLIENT = "dev.stratus.ps.client..";
  private static final String SERVER = "dev.stratus.ps.server..";

  private static final JavaClasses CLASSES =
      new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("dev.stratus.ps");

  @Test
  void theWireFormatKnowsNeitherSide() {
    noClasses().that().resideInAPackage(WIRE).should().dependOnClassesThat().resideInAnyPackage(CLIENT, SERVER)
        .check(CLASSES);
  }

  @Test
  void clientAndServerKnowEachOtherOnlyThroughTheWire() {
    noClasses().that().resideInAPackage(CLIENT).should().dependOnClassesThat().resideInAPackage(SERVER)
        .check(CLASSES);
    noClasses().that().resideInAPackage(SERVER).should().dependOnClassesThat().resideInAPackage(CLIENT)
        .check(CLASSES);
  }

  @Test
  void nothingBelowTheApiUsesItsEntryPoints() {
    noClasses().that().resideInAnyPackage(WIRE, CLIENT, SERVER)
        .should().dependOnClassesThat(belongToAnyOf(PsClient.class, PsModel.class, PsProcesses.class))
        .check(CLASSES);
  }
}
