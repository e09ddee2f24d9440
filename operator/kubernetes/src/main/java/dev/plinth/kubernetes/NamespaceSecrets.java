package dev.plinth.kubernetes;

import dev.plinth.driver.BmcCredentials;
import dev.plinth.secrets.SecretStore;
import io.fabric8.kubernetes.api.model.Secret;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * BMC credentials from the Secret named by {@code credentialsName} in the node's namespace (the operator's
 * {@code SecretStore}): keys {@code username} and {@code password}, in {@code data} or {@code stringData}.
 * Secrets are read from the informer's cache, never logged.
 */
public final class NamespaceSecrets implements SecretStore {
    public static final String USERNAME = "username";
    public static final String PASSWORD = "password";

    private final Function<String, Secret> lookup;

    /** @param lookup a Secret of the namespace by name; null when there is none */
    public NamespaceSecrets(Function<String, Secret> lookup) {
        this.lookup = lookup;
    }

    @Override
    public Optional<BmcCredentials> bmcCredentials(String credentialsName) {
        Secret s = lookup.apply(credentialsName);
        if (s == null) {
            return Optional.empty();
        }
        String user = value(s, USERNAME);
        String password = value(s, PASSWORD);
        return user == null || password == null ? Optional.empty() : Optional.of(new BmcCredentials(user, password));
    }

    private static String value(Secret s, String key) {
        Map<String, String> data = s.getData();
        if (data != null && data.get(key) != null) {
            return new String(Base64.getDecoder().decode(data.get(key)), StandardCharsets.UTF_8);
        }
        Map<String, String> plain = s.getStringData();
        return plain == null ? null : plain.get(key);
    }
}
