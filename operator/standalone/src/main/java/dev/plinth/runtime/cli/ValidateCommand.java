package dev.plinth.runtime.cli;

import dev.plinth.api.DesiredState;
import dev.plinth.load.DesiredStateLoader;
import dev.plinth.load.LoadResult;
import dev.plinth.core.Problem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import dev.plinth.runtime.Standalone;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "validate", mixinStandardHelpOptions = true,
        description = "Check a directory of desired-state documents; exit 1 and list every problem if any.")
final class ValidateCommand implements Callable<Integer> {
    @Parameters(paramLabel = "DIR", description = "Directory with the YAML documents (any layout).")
    Path dir;

    @Option(names = "--driver", defaultValue = "ipmi",
            description = "Check BMC addresses against this machine driver: ipmi (real machines: ipmi:// and"
                    + " redfish+http(s)://) or fake (simulated machines, by the same rules). Default: ${DEFAULT-VALUE},"
                    + " as for run.")
    String driver;

    @Override
    public Integer call() throws Exception {
        if (!Files.isDirectory(dir)) {
            System.err.println("plinth validate: " + dir + " is not a directory");
            return 2;
        }
        if (!driver.equals("ipmi") && !driver.equals("fake")) {
            System.err.println("plinth validate: unknown driver \"" + driver + "\": expected ipmi or fake");
            return 2;
        }
        LoadResult result = load(dir, driver);
        if (!result.isOk()) {
            for (Problem p : result.problems()) {
                System.out.println(p);
            }
            System.out.println(result.problems().size() + " problem(s) in " + dir + ": nothing of it would be applied");
            return 1;
        }
        DesiredState s = result.state();
        System.out.printf("%s is valid: %d nodes, %d images, %d clouds%n", dir, s.nodes().size(), s.images().size(),
                s.clouds().size());
        return 0;
    }

    static LoadResult load(Path dir, String driver) throws java.io.IOException {
        return new DesiredStateLoader(Standalone.bmcSupport(driver)).load("dir:" + dir.toAbsolutePath().normalize(),
                DesiredStateLoader.readDirectory(dir));
    }
}
