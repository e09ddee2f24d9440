package dev.plinth.runtime.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class DiffCommandTest {
    /** Surefire runs in the module directory. */
    private static final Path EXAMPLES = Path.of("../../examples");

    @Test
    void aRoleImageChangeShowsItsPlannedBatches(@TempDir Path dir) throws Exception {
        Path proposed = dir.resolve("proposed");
        copy(EXAMPLES, proposed);
        Path cloud = proposed.resolve("overcloud/cloud.yaml");
        String text = Files.readString(cloud);
        // the controller role (3 nodes, maxUnavailable 1) moves to the other image of the examples
        Files.writeString(cloud, text.replaceFirst("image: \\{name: centos-stream-9\\}", "image: {name: rocky-9}"));
        String other = "rocky-9";

        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream old = System.out;
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        int exit;
        try {
            exit = new CommandLine(new DiffCommand()).execute("--against", EXAMPLES.toString(), proposed.toString());
        } finally {
            System.setOut(old);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        assertThat(exit).as(out).isZero();
        assertThat(out).contains("Rollout overcloud/").contains("-> " + other + " in 3 batch(es), maxUnavailable 1")
                .contains("batch 1 (canary): ").contains("batch 3: ");
    }

    private static void copy(Path from, Path to) throws java.io.IOException {
        try (var files = Files.walk(from)) {
            for (Path p : files.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }
}
