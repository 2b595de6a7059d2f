package dev.kora.bench.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The boundaries of the modules and packages (docs/architecture.md), checked on the compiled classes
 * of every module with ArchUnit so that a change that crosses one fails the build: no package cycles,
 * {@code impl} packages used only inside their module, the transports on the narrow node core only,
 * and the lower modules unaware of the upper ones. It lives in kora-bench because that module depends
 * on all the others. The one allowed exception: the JMH microbenchmarks ({@code dev.kora.bench.jmh})
 * measure the node's internal subscription index and fan-out directly.
 */
class ArchitectureTest {

  private static JavaClasses classes;

  @BeforeAll
  static void importClasses() {
    classes = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        // the modules' published test helpers (test-jars) are tests too
        .withImportOption(location -> !location.contains("-tests.jar"))
        .importPackages("dev.kora");
  }

  @Test
  void noPackageCycles() {
    slices().matching("dev.kora.(**)").should().beFreeOfCycles().check(classes);
  }

  @Test
  void theNodesImplPackagesAreUsedOnlyInsideTheNode() {
    noClasses().that().resideOutsideOfPackages("dev.kora.node..", "dev.kora.bench.jmh..")
        .should().dependOnClassesThat().resideInAPackage("dev.kora.node.impl..")
        .check(classes);
  }

  @Test
  void theNodesContractsDoNotDependOnItsImplementation() {
    noClasses().that().resideInAnyPackage("dev.kora.node.core..", "dev.kora.node.spi..",
            "dev.kora.node.eventbus..")
        .should().dependOnClassesThat().resideInAPackage("dev.kora.node.impl..")
        .check(classes);
  }

  @Test
  void transportsSpeakToTheNodeCoreOnly() {
    noClasses().that().resideInAnyPackage("dev.kora.node.impl.socket..",
            "dev.kora.node.impl.rest..", "dev.kora.node.impl.eventbus..",
            "dev.kora.node.impl.http..", "dev.kora.node.impl.console..")
        .should().dependOnClassesThat().resideInAnyPackage("dev.kora.node",
            "dev.kora.node.impl", "dev.kora.node.impl.write..", "dev.kora.node.impl.read..",
            "dev.kora.node.impl.subscription..", "dev.kora.node.impl.effects..",
            "dev.kora.node.impl.actions..", "dev.kora.storage..")
        .check(classes);
  }

  @Test
  void lowerModulesDoNotKnowTheUpperOnes() {
    noClasses().that().resideInAPackage("dev.kora.tree..")
        .should().dependOnClassesThat().resideInAnyPackage("dev.kora.protocol..",
            "dev.kora.interceptors..", "dev.kora.auth..", "dev.kora.rules..", "dev.kora.storage..",
            "dev.kora.node..", "dev.kora.cli..")
        .check(classes);
    noClasses().that().resideInAnyPackage("dev.kora.protocol..", "dev.kora.interceptors..",
            "dev.kora.storage..", "dev.kora.auth..", "dev.kora.rules..")
        .should().dependOnClassesThat().resideInAnyPackage("dev.kora.node..", "dev.kora.cli..")
        .check(classes);
    // authentication knows the interceptor SPI it implements, not the stores or the protocol
    noClasses().that().resideInAPackage("dev.kora.auth..")
        .should().dependOnClassesThat().resideInAnyPackage("dev.kora.storage..",
            "dev.kora.protocol..", "dev.kora.client..", "dev.kora.rules..")
        .check(classes);
    // rules know the interceptor SPI they are enforced through; they read data through a function
    // the node gives them, never a store
    noClasses().that().resideInAPackage("dev.kora.rules..")
        .should().dependOnClassesThat().resideInAnyPackage("dev.kora.storage..",
            "dev.kora.protocol..", "dev.kora.client..", "dev.kora.auth..")
        .check(classes);
    noClasses().that().resideInAPackage("dev.kora.node..")
        .should().dependOnClassesThat().resideInAnyPackage("dev.kora.cli..",
            "dev.kora.storage.sqlite..", "dev.kora.storage.postgres..", "dev.kora.storage.mysql..",
            "dev.kora.storage.cassandra..", "dev.kora.storage.jdbc..")
        .check(classes);
  }
}
