package dev.plinth.runtime.cli;

import dev.plinth.core.Printable;
import dev.plinth.api.DesiredState;
import dev.plinth.diff.Change;
import dev.plinth.core.fleet.RolloutPreview;
import dev.plinth.diff.Plan;
import dev.plinth.load.LoadResult;
import dev.plinth.revision.RevisionTracker;
import java.io.PrintStream;
import java.util.List;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "diff", mixinStandardHelpOptions = true,
        description = "Show what a directory of documents would change against the revision in force"
                + " (or against another directory), and what each change does to the machines.")
final class DiffCommand implements Callable<Integer> {
    @Parameters(paramLabel = "DIR", description = "The proposed desired state (e.g. your working copy).")
    Path dir;

    @Option(names = "--server", defaultValue = "http://127.0.0.1:8080",
            description = "Compare with the revision in force on this controller (default: ${DEFAULT-VALUE}).")
    String server;

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "The controller's API token (its --api-token-file), for an API that is not on loopback.")
    java.nio.file.Path tokenFile;

    @Option(names = "--against", paramLabel = "DIR", description = "Compare with this directory instead of a controller.")
    Path against;

    @Option(names = "--driver", defaultValue = "ipmi",
            description = "Check BMC addresses against this machine driver: ipmi or fake (default: ${DEFAULT-VALUE}).")
    String driver;

    @Option(names = "--exit-code", description = "Exit 2 when there are changes (for scripts).")
    boolean exitCode;

    @Override
    public Integer call() throws Exception {
        if (!driver.equals("ipmi") && !driver.equals("fake")) {
            System.err.println("plinth diff: unknown driver \"" + driver + "\": expected ipmi or fake");
            return 2;
        }
        LoadResult proposed = ValidateCommand.load(dir, driver);
        if (!proposed.isOk()) {
            proposed.problems().forEach(System.out::println);
            System.out.println(proposed.problems().size() + " problem(s): this revision would be rejected whole");
            return 1;
        }
        DesiredState current;
        String currentLabel;
        if (against != null) {
            LoadResult base = ValidateCommand.load(against, driver);
            if (!base.isOk()) {
                System.out.println(against + " is not valid itself: " + base.problems().get(0));
                return 1;
            }
            current = base.state();
            currentLabel = against.toString();
        } else {
            current = new ApiClient(server, tokenFile).get("/api/v1/desired", DesiredState.class);
            currentLabel = "revision " + RevisionTracker.shortId(current.revision()) + " in force at " + server;
        }
        Plan plan = Plan.between(current, proposed.state());
        print(plan, currentLabel, System.out);
        printRollouts(RolloutPreview.between(current, proposed.state()), System.out);
        return exitCode && !plan.isEmpty() ? 2 : 0;
    }

    /**
     * The batches each role whose image changes would roll in, canary first, as the planner would admit them were
     * every member healthy (the status API shows the live plan, with real health).
     */
    static void printRollouts(List<RolloutPreview.RoleRollout> rollouts, PrintStream out) {
        for (RolloutPreview.RoleRollout r : rollouts) {
            out.printf("Rollout %s: %s -> %s in %d batch(es), maxUnavailable %s, each behind its health gate:%n",
                    Printable.of(r.role()), r.from() == null ? "nothing" : Printable.of(r.from()),
                    Printable.of(String.valueOf(r.to())), r.batches().size(), Printable.of(r.maxUnavailable()));
            for (int i = 0; i < r.batches().size(); i++) {
                out.printf("    batch %d%s: %s%n", i + 1, i == 0 ? " (canary)" : "",
                        Printable.of(String.join(", ", r.batches().get(i))));
            }
        }
    }

    static void print(Plan plan, String againstLabel, PrintStream out) {
        out.println("Comparing with " + againstLabel + ":");
        if (plan.isEmpty()) {
            out.println("No changes.");
            return;
        }
        for (Change c : plan.changes()) {
            out.printf("%s %s %s%s%n", c.symbol(), c.resourceKind(), Printable.of(c.name()),
                    c.consequence().isEmpty() ? "" : "  => " + Printable.of(c.consequence()));
            c.fields().forEach(f -> out.println("    " + Printable.of(String.valueOf(f))));
        }
        out.printf("Plan: %d to add, %d to change, %d to remove; %d node(s) reprovisioned.%n",
                plan.count(Change.Kind.ADD), plan.count(Change.Kind.CHANGE), plan.count(Change.Kind.REMOVE),
                plan.reprovisions());
    }
}
