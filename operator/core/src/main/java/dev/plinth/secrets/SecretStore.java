package dev.plinth.secrets;

import dev.plinth.driver.BmcCredentials;
import java.util.Optional;

/** Resolves a {@code credentialsName} to BMC credentials: a local file (standalone) or a Secret (operator). */
public interface SecretStore {
    Optional<BmcCredentials> bmcCredentials(String credentialsName);
}
