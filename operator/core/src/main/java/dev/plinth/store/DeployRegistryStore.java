package dev.plinth.store;

import java.util.Optional;

/**
 * The deploy agent service's registry (open deploys, per-MAC network boot). Its one owner, the agent service in the
 * machines module, defines the document and serialises it; the store keeps it whole and durable.
 */
public interface DeployRegistryStore {
    Optional<String> loadDeployRegistry();

    void saveDeployRegistry(String document);
}
