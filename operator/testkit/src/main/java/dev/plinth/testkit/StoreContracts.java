package dev.plinth.testkit;

/** Every store contract, for a {@link dev.plinth.store.StateStore} that implements every port. */
public interface StoreContracts
        extends NodeStatusStoreContract, NodeHistoryContract, RevisionStoreContract, DeployRegistryStoreContract,
        RolloutStoreContract {}
