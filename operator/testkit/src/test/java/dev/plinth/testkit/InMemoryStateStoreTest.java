package dev.plinth.testkit;

import dev.plinth.store.StateStore;

class InMemoryStateStoreTest implements StoreContracts {
    private final InMemoryStateStore data = new InMemoryStateStore();

    @Override
    public StateStore openStore() {
        return data.reopen();
    }
}
