package dev.plinth.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class DeployIdsTest {
    /** What the deploy agent service accepts (AgentService.DEPLOY_ID). */
    private static final Pattern AGENT = Pattern.compile("[A-Za-z0-9._-]{1,128}");
    private static final Instant NOW = Instant.parse("2026-12-02T05:00:00Z");

    @Test
    void aStandaloneNameStaysReadable() {
        assertThat(DeployIds.of("compute-0", 3, NOW)).isEqualTo("compute-0-3-" + Long.toString(NOW.toEpochMilli(), 36));
    }

    @Test
    void anOperatorNodeKeyBecomesUsableInTheAgentProtocol() {
        String id = DeployIds.of("rack-a/compute-0", 1, NOW);
        assertThat(id).startsWith("rack-a_2fcompute-0-1-").matches(AGENT);
    }

    @Test
    void namesThatWouldMeetUnderANaiveReplacementStayDistinct() {
        // '/' -> '_' or '/' -> '-' would give one id for some of these
        List<String> names = List.of("a/b", "a_b", "a-b", "a_2fb", "a/b_", "a_/b", "a__b", "a/-b", "a-/b", "é/b",
                "x/" + "n".repeat(253), "y/" + "n".repeat(253), "x/" + "n".repeat(252) + "m");
        Set<String> ids = new HashSet<>();
        for (String n : names) {
            String id = DeployIds.of(n, 7, NOW);
            assertThat(id).as(n).matches(AGENT);
            ids.add(id);
        }
        assertThat(ids).hasSameSizeAs(names);
    }

    @Test
    void aLongNameIsShortenedWithAHashOfTheWholeName() {
        String ns = "n".repeat(63);
        String name = "m".repeat(253);
        String safe = DeployIds.safeName(ns + "/" + name);
        assertThat(safe).hasSize(DeployIds.MAX_NAME + 1).contains("_z");
        // the longest name kept whole is one character shorter: the two forms cannot be equal
        assertThat(DeployIds.safeName("k".repeat(DeployIds.MAX_NAME))).hasSize(DeployIds.MAX_NAME);
        assertThat(DeployIds.of(ns + "/" + name, Long.MAX_VALUE, NOW)).matches(AGENT);
    }
}
