package dev.plinth.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** docs/node-lifecycle.md draws the lifecycle table and lists its steps: the doc cannot drift from the code. */
class LifecycleDiagramTest {
    // Maven runs tests in the module's directory
    private static final Path DOC = Path.of("../../docs/node-lifecycle.md");
    private static final Pattern MOVE = Pattern.compile(
            "\\s*(\\[\\*]|[A-Z_]+)\\s*-->\\s*(\\[\\*]|[A-Z_]+)\\s*:\\s*(\\S.*?)\\s*");
    private static final Pattern STEP = Pattern.compile("\\d+\\. `([A-Z_]+)`.*");

    @Test
    void theDiagramInTheDocIsTheTable() throws IOException {
        List<String> table = LifecycleTable.edges().stream().map(LifecycleDiagramTest::line).toList();
        assertThat(diagram(Files.readString(DOC))).containsExactlyInAnyOrderElementsOf(table);
    }

    @Test
    void theDocListsTheProvisioningStepsInTheirOrder() throws IOException {
        String doc = Files.readString(DOC);
        String section = doc.substring(doc.indexOf("## PROVISIONING steps"), doc.indexOf("## Failures"));
        List<String> steps = new ArrayList<>();
        section.lines().map(STEP::matcher).filter(Matcher::matches).forEach(m -> steps.add(m.group(1)));
        assertThat(steps).containsExactlyElementsOf(
                LifecycleTable.steps(ProvisioningState.PROVISIONING).stream().map(Step::name).toList());
    }

    private static final Pattern RETREAT = Pattern.compile("- `([A-Z_]+)` → `([A-Z_]+)` \\(([^)]+)\\):.*");

    @Test
    void theDocListsTheStepsAnOperationMayGoBackBy() throws IOException {
        String doc = Files.readString(DOC);
        String section = doc.substring(doc.indexOf("## PROVISIONING steps"), doc.indexOf("## After a restart"));
        List<String> retreats = new ArrayList<>();
        section.lines().map(RETREAT::matcher).filter(Matcher::matches)
                .forEach(m -> retreats.add(m.group(1) + " --" + m.group(3) + "--> " + m.group(2)));
        assertThat(retreats).containsExactlyInAnyOrderElementsOf(
                LifecycleTable.retreats().stream().map(LifecycleTable.StepRetreat::toString).toList());
    }

    @Test
    void aLineOfTheDiagramThatIsNotAMoveIsAnErrorNotSkipped() {
        String doc = "```mermaid\nstateDiagram-v2\n    AVAILABLE -> PROVISIONING : image ready\n```\n";
        assertThatThrownBy(() -> diagram(doc)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("AVAILABLE -> PROVISIONING");
        assertThat(diagram("```mermaid\nstateDiagram-v2\n  %% a comment\n\n  [*] --> REGISTERING : registered\n```"))
                .containsExactly("[*] --> REGISTERING : registered");
    }

    /** The moves of the doc's one state diagram, each as "FROM --> TO : event", in a canonical spacing. */
    static List<String> diagram(String markdown) {
        int start = markdown.indexOf("```mermaid\nstateDiagram-v2\n");
        if (start < 0 || markdown.indexOf("```mermaid\nstateDiagram-v2\n", start + 1) >= 0) {
            throw new IllegalArgumentException("expected exactly one ```mermaid stateDiagram-v2 block");
        }
        int body = markdown.indexOf('\n', markdown.indexOf('\n', start) + 1) + 1;
        List<String> moves = new ArrayList<>();
        for (String l : markdown.substring(body, markdown.indexOf("```", body)).split("\n")) {
            if (l.isBlank() || l.strip().startsWith("%%")) {
                continue;
            }
            Matcher m = MOVE.matcher(l);
            if (!m.matches()) {
                throw new IllegalArgumentException("not a move \"FROM --> TO : event\": " + l.strip());
            }
            moves.add(m.group(1) + " --> " + m.group(2) + " : " + m.group(3));
        }
        return moves;
    }

    private static String line(LifecycleTable.Edge e) {
        return (e.from() == null ? "[*]" : e.from().name()) + " --> " + (e.to() == null ? "[*]" : e.to().name())
                + " : " + e.event().label();
    }
}
