package dev.plinth.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The rules between modules, checked on every Plinth class of the standalone distribution (api, core, machines,
 * standalone): the layers of docs/architecture.md, no package cycles anywhere, and the standalone host free of
 * Kubernetes. Maven already refuses a module dependency that points the wrong way; these catch what it cannot.
 */
class ModuleArchitectureTest {
    private static final JavaClasses PLINTH = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            // the test kit is test code of every module, not part of the distribution
            .withImportOption(location -> !location.contains("plinth-testkit") && !location.contains("/testkit/"))
            .importPackages("dev.plinth");
    private static final String[] CORE = {"dev.plinth.api..", "dev.plinth.core..", "dev.plinth.driver",
            "dev.plinth.store", "dev.plinth.diff..", "dev.plinth.secrets", "dev.plinth.reconcile.."};
    private static final String[] MACHINES = {"dev.plinth.driver.ipmi..", "dev.plinth.driver.fake..",
            "dev.plinth.driver.probe..",
            "dev.plinth.agent..", "dev.plinth.image..", "dev.plinth.json..", "dev.plinth.http..", "dev.plinth.files.."};
    private static final String[] STANDALONE = {"dev.plinth.load..", "dev.plinth.source..", "dev.plinth.revision..",
            "dev.plinth.engine..", "dev.plinth.store.sqlite..", "dev.plinth.secrets.file..", "dev.plinth.runtime.."};

    @Test
    void thereAreNoPackageCycles() {
        slices().matching("dev.plinth.(**)").should().beFreeOfCycles().check(PLINTH);
    }

    @Test
    void coreKnowsNeitherMachinesNorHosts() {
        noClasses().that().resideInAnyPackage(CORE).should().dependOnClassesThat().resideInAnyPackage(
                concat(MACHINES, STANDALONE)).check(PLINTH);
    }

    @Test
    void machinesKnowNoHost() {
        noClasses().that().resideInAnyPackage(MACHINES).should().dependOnClassesThat().resideInAnyPackage(STANDALONE)
                .because("both hosts share the machines module").check(PLINTH);
    }

    @Test
    void theStandaloneHostCarriesNoKubernetes() {
        noClasses().should().dependOnClassesThat().resideInAnyPackage("io.fabric8..", "io.javaoperatorsdk..")
                .check(PLINTH);
    }

    @Test
    void onlyTheStandaloneStoreSpeaksJdbc() {
        noClasses().that().resideOutsideOfPackage("dev.plinth.store.sqlite..")
                .should().dependOnClassesThat().resideInAnyPackage("java.sql..", "javax.sql..").check(PLINTH);
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
