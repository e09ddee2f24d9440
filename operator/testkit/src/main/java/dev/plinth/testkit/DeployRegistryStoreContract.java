package dev.plinth.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plinth.store.StateStore;
import org.junit.jupiter.api.Test;

/** What every {@link dev.plinth.store.DeployRegistryStore} must do. */
public interface DeployRegistryStoreContract extends StoreUnderTest {

    @Test
    default void theRegistryIsKeptWholeAndTheLastSaveWins() {
        try (StateStore s = openStore()) {
            assertThat(s.loadDeployRegistry()).isEmpty();
            s.saveDeployRegistry("{\"deploys\":{\"a\":1}}");
            s.saveDeployRegistry("{\"deploys\":{\"a\":2}}");
        }
        try (StateStore s = openStore()) {
            assertThat(s.loadDeployRegistry()).contains("{\"deploys\":{\"a\":2}}");
        }
    }
}
