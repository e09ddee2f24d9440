package dev.plinth.secrets.file;

import dev.plinth.secrets.SecretStore;

import dev.plinth.driver.BmcCredentials;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Standalone secrets: a YAML file outside Git, {@code <credentialsName>: {username: ..., password: ...}}, re-read
 * when it changes so a fixed password needs no restart. Values are never logged.
 */
public final class LocalSecretsFile implements SecretStore {
    private static final Logger LOG = LoggerFactory.getLogger(LocalSecretsFile.class);

    private final Path file;
    private FileTime loadedAt;
    private Map<String, BmcCredentials> entries = Map.of();

    public LocalSecretsFile(Path file) {
        this.file = file;
    }

    @Override
    public synchronized Optional<BmcCredentials> bmcCredentials(String credentialsName) {
        reloadIfChanged();
        return Optional.ofNullable(entries.get(credentialsName));
    }

    private void reloadIfChanged() {
        try {
            if (!Files.exists(file)) {
                entries = Map.of();
                return;
            }
            FileTime modified = Files.getLastModifiedTime(file);
            if (modified.equals(loadedAt)) {
                return;
            }
            warnIfReadableByOthers();
            entries = parse(Files.readString(file));
            loadedAt = modified;
        } catch (IOException | RuntimeException e) {
            // keep the previous entries: a half-written file must not take every BMC offline
            LOG.warn("cannot read secrets file {}: {}", file, e.getClass().getSimpleName());
        }
    }

    private void warnIfReadableByOthers() throws IOException {
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
            if (perms.contains(PosixFilePermission.OTHERS_READ) || perms.contains(PosixFilePermission.GROUP_READ)) {
                LOG.warn("secrets file {} is readable by group or others: chmod 600 it", file);
            }
        } catch (UnsupportedOperationException ignored) {
            // not a POSIX file system
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
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.deleteIfExists(file);
        Files.createFile(file, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, sb.toString());
    }
}
