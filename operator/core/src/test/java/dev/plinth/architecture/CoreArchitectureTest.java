package dev.plinth.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The core module holds pure decisions and ports both hosts share. Its Maven dependencies are enforced by the
 * enforcer plugin (api and the JDK only); these rules catch what a dependency list cannot: the JDK's own I/O
 * frameworks (JDBC, HTTP), and cycles between core's packages.
 */
class CoreArchitectureTest {
    private static final JavaClasses CORE = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.plinth");

    @Test
    void coreImportsNoFrameworkAndNoJdkIoFramework() {
        noClasses().should().dependOnClassesThat().resideInAnyPackage(
                        "java.sql..", "javax.sql..", "java.net.http..", "com.sun.net.httpserver..",
                        "io.vertx..", "org.eclipse.jgit..", "io.fabric8..", "io.javaoperatorsdk..", "picocli..",
                        "com.fasterxml.jackson..", "org.yaml..", "org.slf4j..", "ch.qos.logback..")
                .because("core is pure decisions and ports: frameworks belong in machines, standalone or a host")
                .check(CORE);
    }

    @Test
    void coreHasNoPackageCycles() {
        slices().matching("dev.plinth.(**)").should().beFreeOfCycles().check(CORE);
    }

    @Test
    void theModelDependsOnNothingOfPlinth() {
        noClasses().that().resideInAPackage("dev.plinth.api..")
                .should().dependOnClassesThat().resideOutsideOfPackages("dev.plinth.api..", "java..")
                .check(CORE);
    }
}
