package dev.plinth.runtime.status;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plinth.core.NodeRecord;
import dev.plinth.core.ProvisioningState;
import dev.plinth.core.Step;
import dev.plinth.driver.FailureKind;
import dev.plinth.json.Json;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The status API's node JSON stays flat: the CLI and scripts read {@code state}, {@code error.kind}... at the top. */
class NodeViewJsonTest {
    @Test
    void thePublicStatusFieldsSitBesideTheViewsOwn() throws Exception {
        NodeRecord r = new NodeRecord.Builder("n1").state(ProvisioningState.ERROR).step(null)
                .errorKind(FailureKind.AUTHENTICATION).errorMessage("rejected the credentials").errorCount(1)
                .timing(Step.CHECK_BMC, 5).updatedAt(Instant.parse("2026-11-25T10:00:00Z")).build();
        JsonNode json = Json.MAPPER.readTree(Json.write(NodeView.of(r, true, true, "centos", false, List.of())));
        assertThat(json.path("name").asText()).isEqualTo("n1");
        assertThat(json.path("state").asText()).isEqualTo("ERROR");
        assertThat(json.path("error").path("kind").asText()).isEqualTo("AUTHENTICATION");
        assertThat(json.path("stepMillis").path("CHECK_BMC").asLong()).isEqualTo(5);
        assertThat(json.path("desiredImage").asText()).isEqualTo("centos");
        assertThat(json.has("status")).isFalse();
    }
}
