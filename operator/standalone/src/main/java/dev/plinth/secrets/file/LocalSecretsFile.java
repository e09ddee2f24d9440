package dev.plinth.secrets.file;

import dev.plinth.secrets.SecretStore;

import dev.plinth.driver.BmcCredentials;
import dev.plinth.files.PrivateFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Standalone secrets: a YAML file outside Git, {@code <credentialsName>: {username: ..., password: ...}}, re-read
 * when it changes so a fixed password needs no restart. Values are never logged. The file must be its owner's only
 * (mode 0600): a looser one is refused at start, and stops being used if it becomes loose while running.
 */
public final class LocalSecretsFile implements SecretStore {
    private static final Logger LOG = LoggerFactory.getLogger(LocalSecretsFile.class);

    private final Path file;
    private FileTime loadedAt;
    private static final String SECRETS = "secrets file";
    private static final String ADVICE = "change the BMC passwords in it if others may have read it";
    private String lastRefusal;
    private Map<String, BmcCredentials> entries = Map.of();

    /** Refuses at once a file that group or others can access (see {@link #refusal()}). */
    public LocalSecretsFile(Path file) {
        this.file = file;
        String refused = refusal();
        if (refused != null) {
            throw new IllegalStateException(refused);
        }
    }

    @Override
    public synchronized Optional<BmcCredentials> bmcCredentials(String credentialsName) {
        reloadIfChanged();
        return Optional.ofNullable(entries.get(credentialsName));
    }

    private void reloadIfChanged() {
        try {
            // one stat per use: permissions checked every time (chmod leaves the modification time alone)
            PosixFileAttributes attrs;
            try {
                attrs = Files.readAttributes(file, PosixFileAttributes.class);
            } catch (NoSuchFileException e) {
                entries = Map.of();
                return;
            }
            String refused = PrivateFiles.looseness(file, attrs.permissions(), SECRETS, ADVICE);
            if (refused != null) {
                if (!refused.equals(lastRefusal)) {
                    LOG.error("{}; its credentials are not used until then", refused);
                }
                lastRefusal = refused;
                entries = Map.of(); // fail closed
                loadedAt = null;
                return;
            }
            lastRefusal = null;
            FileTime modified = attrs.lastModifiedTime();
            if (modified.equals(loadedAt)) {
                return;
            }
            entries = parse(Files.readString(file));
            loadedAt = modified;
        } catch (IOException | RuntimeException e) {
            // keep the previous entries: a half-written file must not take every BMC offline
            LOG.warn("cannot read secrets file {}: {}", file, e.getClass().getSimpleName());
        }
    }

    /**
     * Why the file is refused, or null: a secrets file that group or others can access may already have been read,
     * and ssh refuses such a private key for the same reason.
     */
    private String refusal() {
        if (!Files.exists(file)) {
            return null;
        }
        try {
            PrivateFiles.requireOwnerOnly(file, SECRETS, ADVICE);
            return null;
        } catch (IllegalStateException e) {
            return e.getMessage();
        } catch (IOException e) {
            return "cannot read the permissions of secrets file " + file + ": " + e.getMessage();
        }
    }

    static Map<String, BmcCredentials> parse(String yaml) {
        Object root = new Yaml(new SafeConstructor(new LoaderOptions())).load(yaml);
        Map<String, BmcCredentials> out = new HashMap<>();
        if (!(root instanceof Map<?, ?> map)) {
            return out;
        }
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (e.getValue() instanceof Map<?, ?> v && v.get("username") != null && v.get("password") != null) {
                out.put(String.valueOf(e.getKey()),
                        new BmcCredentials(String.valueOf(v.get("username")), String.valueOf(v.get("password"))));
            }
        }
        return out;
    }

    /** Writes a secrets file readable only by its owner. */
    public static void write(Path file, Map<String, BmcCredentials> entries) throws IOException {
        StringBuilder sb = new StringBuilder("# BMC credentials by credentialsName. Keep out of Git; chmod 600.\n");
        entries.forEach((name, c) -> sb.append(name).append(":\n  username: \"").append(c.username())
                .append("\"\n  password: \"").append(c.password()).append("\"\n"));
        Path dir = file.toAbsolutePath().getParent();
        if (!Files.isDirectory(dir)) {
            PrivateFiles.directory(dir); // a new one (the demo's state directory) is made 0700 from the start
        }
        Files.deleteIfExists(file); // a new file, 0600 before a byte is written
        Files.writeString(PrivateFiles.file(file), sb.toString());
    }
}
