package dev.plinth.store.sqlite;

import dev.plinth.store.StateStore;
import dev.plinth.testkit.StateStoreContract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.plinth.core.ProvisioningState;
import java.nio.file.Path;
import java.sql.DriverManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteStateStoreTest extends StateStoreContract {
    @TempDir
    Path dir;
    private SqliteStateStore store;

    @Override
    protected StateStore store() {
        if (store == null) {
            store = new SqliteStateStore(dir.resolve("plinth.db"), false);
        }
        return store;
    }

    @AfterEach
    void close() {
        if (store != null) {
            store.close();
        }
    }

    @Test
    void everythingSurvivesReopening() {
        store().saveNode(record("n1", ProvisioningState.PROVISIONED), null);
        store().putDocument("desired", "{}");
        store.close();
        store = null;
        assertThat(store().loadNodes()).containsKey("n1");
        assertThat(store().getDocument("desired")).contains("{}");
    }

    @Test
    void aDatabaseFromANewerPlinthIsRefusedWithAClearMessage() throws Exception {
        Path file = dir.resolve("newer.db");
        try (var c = DriverManager.getConnection("jdbc:sqlite:" + file); var s = c.createStatement()) {
            s.execute("PRAGMA user_version = 99");
        }
        assertThatThrownBy(() -> new SqliteStateStore(file, false)).hasMessageContaining("newer than this Plinth");
    }
}
