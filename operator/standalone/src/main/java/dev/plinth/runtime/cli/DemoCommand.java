package dev.plinth.runtime.cli;

import dev.plinth.api.BareMetalNode;
import dev.plinth.api.DesiredState;
import dev.plinth.diff.Plan;
import dev.plinth.driver.BmcCredentials;
import dev.plinth.load.LoadResult;
import dev.plinth.revision.RevisionTracker;
import dev.plinth.core.RevisionStatus;
import dev.plinth.runtime.LocalGitRepo;
import dev.plinth.runtime.status.NodeView;
import dev.plinth.runtime.ProgressPrinter;
import dev.plinth.runtime.Standalone;
import dev.plinth.runtime.StandaloneOptions;
import dev.plinth.runtime.http.ListenAddress;
import dev.plinth.secrets.file.LocalSecretsFile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.function.BooleanSupplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Provision the examples/ fleet from a local Git repository, on simulated machines (FAKE driver) or"
                + " with --lab on the virtual lab's QEMU machines: converge, reject a broken commit, then roll a new"
                + " image out to the compute role. ./plinth demo sets up the lab and runs this with --lab.")
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--dir", defaultValue = ".plinth/demo", description = "Work directory, recreated on each run (default: ${DEFAULT-VALUE}).")
    Path dir;

    @Option(names = "--examples", defaultValue = "examples", description = "The fleet to commit (default: ${DEFAULT-VALUE}).")
    Path examples;

    @Option(names = "--timeout", defaultValue = "300s", description = "Give up converging after this long (default: ${DEFAULT-VALUE}).")
    String timeout;

    @Option(names = "--keep-running", description = "Keep the controller and its API running at the end.")
    boolean keepRunning;

    @Option(names = "--lab", paramLabel = "LAB_DIR", description = "Provision the virtual lab's machines (QEMU + ipmi_sim,"
            + " e2e/lab) instead of simulated ones; run inside the lab's network namespace (./plinth demo does).")
    Path lab;

    @Option(names = "--fake", description = "Simulated machines (the default unless --lab).")
    boolean fake;

    @Mixin
    ControllerOptions options;

    private String firstImage = "centos-stream-9";
    private String secondImage = "rocky-9";

    @Override
    public Integer call() throws Exception {
        if (lab != null) {
            examples = dir.resolve("fleet-source");
            LocalGitRepo.deleteTree(dir);
            LabFleet.write(lab, examples);
            firstImage = LabFleet.FIRST_IMAGE;
            secondImage = LabFleet.SECOND_IMAGE;
        }
        if (!Files.isDirectory(examples)) {
            System.err.println("plinth demo: no " + examples + " directory (run from the repository root or pass --examples)");
            return 2;
        }
        String driver = lab != null ? "ipmi" : "fake";
        LoadResult fleet = ValidateCommand.load(examples, driver);
        if (!fleet.isOk()) {
            fleet.problems().forEach(System.err::println);
            return 1;
        }
        // the progress lines below say what the per-node log lines would
        ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("dev.plinth"))
                .setLevel(ch.qos.logback.classic.Level.WARN);
        if (lab == null) {
            LocalGitRepo.deleteTree(dir);
        }
        options.stateDir = dir.resolve("state");
        // the demo's own credentials, beside its state rather than in it (nor in /etc/plinth)
        options.secrets = dir.resolve("secrets.yaml");
        if (lab != null) {
            // inside the lab's namespace the guests reach 127.0.0.1:8080 as 10.0.2.2:8080: the provisioning
            // listener; the operator API beside it on 8081 (loopback: no token needed)
            options.driver = "ipmi";
            options.provisioningListen = ListenAddress.parse("127.0.0.1:8080");
            options.apiListen = isDefaultApi() ? ListenAddress.parse("127.0.0.1:8081") : options.apiListen;
            options.advertiseUrl = "http://10.0.2.2:8080";
            options.ramdiskKernel = lab.resolve("ramdisk/vmlinuz");
            options.ramdiskInitrd = lab.resolve("ramdisk/initramfs.cpio.gz");
            options.imageRoots = List.of(lab.resolve("images"));
            Map<String, BmcCredentials> secrets = new TreeMap<>();
            for (BareMetalNode n : fleet.state().nodes().values()) {
                secrets.put(n.spec().bmc().credentialsName(),
                        new BmcCredentials("admin", LabFleet.password(lab, n.name())));
            }
            LocalSecretsFile.write(options.secrets, secrets);
        } else {
            options.driver = "fake";
            options.apiListen = isDefaultApi() ? ListenAddress.loopback(0) : options.apiListen;
            writeSecrets(fleet.state(), options.secrets);
        }
        String machines = lab != null ? "the lab's QEMU machines (IPMI, iPXE, deploy ramdisk)"
                : "the FAKE driver (simulated machines)";
        Duration limit = Durations.parse(timeout);
        try (LocalGitRepo repo = LocalGitRepo.init(dir.resolve("repo"))) {
            repo.copyTree(examples);
            repo.commitAll("Fleet from " + (lab != null ? "the lab variant of examples/" : "examples/"));
            StandaloneOptions o = options.toStandalone(repo.url(), "main", "", Duration.ofSeconds(30));
            say("1/3  Committed " + examples + " (" + fleet.state().nodes().size() + " nodes, "
                    + fleet.state().images().size() + " images) to " + repo.dir() + "; provisioning it on " + machines);
            Standalone plinth = new Standalone(o, new ProgressPrinter(System.out));
            try {
                String api = "http://127.0.0.1:" + plinth.apiPort();
                System.out.println("     API: " + api + "/api/v1/status   (./plinth status --server " + api
                        + (options.apiTokenFile == null ? "" : " --token-file " + options.apiTokenFile) + ")");
                boolean ok = waitFor(plinth.status()::converged, limit);
                printNodes(plinth, ok ? "converged" : "NOT converged within " + timeout);

                say("2/3  Committing a broken revision: a node with a malformed MAC and an unknown image");
                repo.write("overcloud/compute-3.yaml", BROKEN_NODE);
                repo.commitAll("Add compute-3");
                webhook(api);
                waitFor(() -> plinth.revisions().status().rejected().size() > 0, Duration.ofSeconds(60));
                RevisionStatus rs = plinth.revisions().status();
                rs.rejected().get(0).problems().forEach(p -> System.out.println("     rejected: " + p));
                System.out.println("     still in force: " + RevisionTracker.shortId(rs.inForce().revision()) + " \""
                        + rs.inForce().description() + "\"");

                say("3/3  Fixing it, and moving the compute role to image " + secondImage);
                repo.delete("overcloud/compute-3.yaml");
                Path cloud = repo.dir().resolve("overcloud/cloud.yaml");
                String text = Files.readString(cloud);
                int compute = text.indexOf("- name: compute");
                Files.writeString(cloud, text.substring(0, compute)
                        + text.substring(compute).replace(firstImage, secondImage));
                LoadResult next = ValidateCommand.load(repo.dir(), driver);
                DiffCommand.print(Plan.between(plinth.controller().desired(), next.state()), "the revision in force",
                        System.out);
                String commit = repo.commitAll("Compute role: " + secondImage);
                webhook(api);
                waitFor(() -> plinth.controller().desired().revision().equals(commit), Duration.ofSeconds(60));
                ok &= waitFor(plinth.status()::converged, limit);
                printNodes(plinth, ok ? "converged on " + RevisionTracker.shortId(commit)
                        : "NOT converged within " + timeout);
                if (keepRunning) {
                    System.out.println("Controller still running (Ctrl-C to stop). API: " + api);
                    Thread.currentThread().join();
                }
                return ok ? 0 : 1;
            } finally {
                plinth.close();
            }
        }
    }

    private static final String BROKEN_NODE = """
            apiVersion: plinth.dev/v1alpha1
            kind: BareMetalNode
            metadata:
              name: compute-3
              labels: {role: compute}
            spec:
              bmc:
                address: ipmi://10.0.0.24:623?bootMode=uefi
                credentialsName: bmc-compute-3
              bootMACAddress: "52:54:00:6c:12:zz"
              image: {name: rocky-10}
            """;

    private static void writeSecrets(DesiredState state, Path file) throws java.io.IOException {
        SecureRandom random = new SecureRandom();
        Map<String, BmcCredentials> secrets = new TreeMap<>();
        for (BareMetalNode n : state.nodes().values()) {
            byte[] pw = new byte[12];
            random.nextBytes(pw);
            secrets.put(n.spec().bmc().credentialsName(), new BmcCredentials("admin", HexFormat.of().formatHex(pw)));
        }
        LocalSecretsFile.write(file, secrets);
    }

    /** Tells the controller about the push the way a Git server would. */
    private boolean isDefaultApi() {
        return options.apiListen.equals(ListenAddress.parse("127.0.0.1:8080"));
    }

    /** Unsigned on loopback; with the API token when the demo's API has one (off loopback). */
    private void webhook(String api) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(api + "/api/v1/webhook/git"))
                .POST(HttpRequest.BodyPublishers.ofString("{}"));
        if (options.apiTokenFile != null) {
            request.header("Authorization",
                    dev.plinth.runtime.http.ApiToken.fromFile(options.apiTokenFile).authorizationHeader());
        }
        HttpResponse<String> r = HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
        System.out.println("     webhook: " + r.statusCode() + " " + r.body().trim());
    }

    static boolean waitFor(BooleanSupplier condition, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(100);
        }
        return true;
    }

    private static void printNodes(Standalone plinth, String verdict) {
        System.out.println();
        Table t = new Table("NODE", "STATE", "POWER", "IMAGE", "PROVISIONED IN", "SLOWEST STEP", "IN THE RAMDISK");
        for (NodeView v : plinth.status().nodes()) {
            var n = v.status();
            String slowest = n.stepMillis().entrySet().stream().max(Map.Entry.comparingByValue())
                    .map(e -> e.getKey() + " " + StatusCommand.seconds(e.getValue())).orElse("-");
            StringBuilder ramdisk = new StringBuilder();
            n.deployPhaseMillis().forEach((phase, ms) -> ramdisk.append(ramdisk.length() == 0 ? "" : ", ")
                    .append(phase).append(' ').append(StatusCommand.seconds(ms)));
            t.row(v.name(), n.state(), n.power(), n.image(), StatusCommand.seconds(n.lastOperationMillis()), slowest,
                    ramdisk.length() == 0 ? "-" : ramdisk);
        }
        t.print(System.out);
        System.out.println("=> " + verdict + "\n");
    }

    private static void say(String line) {
        System.out.println("\n" + line);
    }
}
