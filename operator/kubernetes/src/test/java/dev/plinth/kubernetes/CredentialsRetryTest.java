package dev.plinth.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plinth.api.BmcSpec;
import dev.plinth.core.NodeRecord;
import dev.plinth.core.ProvisioningState;
import dev.plinth.driver.FailureKind;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class CredentialsRetryTest {
    private static final Instant NOW = Instant.parse("2026-12-02T07:00:00Z");

    private static NodeRecord failed(FailureKind kind) {
        return NodeRecord.registering("ns/n", BmcSpec.of("ipmi://10.0.0.1:623", "bmc-n", false),
                        "52:54:00:00:00:01", "f", NOW).toBuilder()
                .state(ProvisioningState.ERROR).step(null).failedOperation(ProvisioningState.PROVISIONING)
                .errorKind(kind).errorCount(1).errorMessage("x").notBefore(NOW.plusSeconds(600)).build();
    }

    @Test
    void aMissingSecretThatNowExistsIsRetriedEvenWhenTheStatusAlreadyNamesItsVersion() {
        // a stopping leader's pass, reading its cleared cache, wrote MissingCredentials with the Secret's version
        assertThat(CredentialsRetry.retryNow(failed(FailureKind.MISSING_CREDENTIALS), true, "41", "41")).isTrue();
        // the status not seen yet by the informer (its first add of the Secret)
        assertThat(CredentialsRetry.retryNow(failed(FailureKind.MISSING_CREDENTIALS), true, null, "41")).isTrue();
        assertThat(CredentialsRetry.retryNow(failed(FailureKind.MISSING_CREDENTIALS), false, "", "")).isFalse();
    }

    @Test
    void aChangedSecretRetriesOtherFailuresButAnUnchangedOneWaitsOutTheBackoff() {
        assertThat(CredentialsRetry.retryNow(failed(FailureKind.AUTHENTICATION), true, "41", "42")).isTrue();
        assertThat(CredentialsRetry.retryNow(failed(FailureKind.AUTHENTICATION), true, "41", "41")).isFalse();
        assertThat(CredentialsRetry.retryNow(failed(FailureKind.AUTHENTICATION), true, null, "41")).isFalse();
    }

    @Test
    void nothingToRetryWithoutABackoff() {
        assertThat(CredentialsRetry.retryNow(null, true, null, "1")).isFalse();
        NodeRecord waiting = failed(FailureKind.MISSING_CREDENTIALS).toBuilder().notBefore(null).build();
        assertThat(CredentialsRetry.retryNow(waiting, true, "1", "2")).isFalse();
        // a step retry (the node at work) keeps its step backoff even if an old error names missing credentials
        NodeRecord stepping = failed(FailureKind.MISSING_CREDENTIALS).toBuilder()
                .state(ProvisioningState.PROVISIONING).step(dev.plinth.core.Step.WRITE_IMAGE).build();
        assertThat(CredentialsRetry.retryNow(stepping, true, "1", "1")).isFalse();
    }
}
