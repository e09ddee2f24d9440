package dev.plinth.testkit;

import dev.plinth.store.StateStore;

class InMemoryStateStoreTest extends StateStoreContract {
    private final InMemoryStateStore store = new InMemoryStateStore();

    @Override
    protected StateStore store() {
        return store;
    }
}
