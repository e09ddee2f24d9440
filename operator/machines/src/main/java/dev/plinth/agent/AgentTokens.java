package dev.plinth.agent;

import dev.plinth.files.PrivateFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Derives a deploy's tokens from one secret key, so that tokens are never stored and survive a restart:
 * {@code deployToken = hex(HMAC-SHA256(key, "deploy:" + deployId + ":" + boot))},
 * {@code checkinToken = hex(HMAC-SHA256(key, "checkin:" + deployId + ":" + boot))}, where {@code boot} is the
 * deploy's boot serial (one per boot window, persisted in the registry): the tokens of an earlier boot of the same
 * deploy are different, so they stop working when the machine is booted again. {@link #toString()} shows no key.
 */
final class AgentTokens {
    private static final Logger LOG = LoggerFactory.getLogger(AgentTokens.class);
    private static final int KEY_BYTES = 32;

    private final SecretKeySpec key;

    private AgentTokens(byte[] key) {
        this.key = new SecretKeySpec(key, "HmacSHA256");
    }

    /**
     * Reads the key file, or creates it (32 random bytes, mode 0600) when it is missing. A key file that group or
     * others can access is refused, with the {@code chmod} that fixes it.
     */
    static AgentTokens fromKeyFile(Path file) {
        try {
            if (!Files.exists(file)) {
                create(file);
            }
            // as ssh refuses a private key others can read: they may have, and tokens come from it
            PrivateFiles.requireOwnerOnly(file, "agent key file", "anyone who read it can compute deploy tokens, so"
                    + " delete it instead if that may have happened (open deploys then fail and are retried)");
            byte[] key = Files.readAllBytes(file);
            if (key.length < KEY_BYTES) {
                throw new IllegalStateException("agent key file " + file + " holds " + key.length + " bytes; at least "
                        + KEY_BYTES + " are needed (delete it to have a new one made; open deploys then fail)");
            }
            return new AgentTokens(key);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the agent key file " + file + ": " + e.getMessage(), e);
        }
    }

    private static void create(Path file) throws IOException {
        byte[] key = new byte[KEY_BYTES];
        new SecureRandom().nextBytes(key);
        if (file.toAbsolutePath().getParent() != null) {
            Files.createDirectories(file.toAbsolutePath().getParent());
        }
        try {
            try {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (UnsupportedOperationException e) {
                Files.createFile(file);
            }
            Files.write(file, key);
            LOG.info("created agent key file {}", file);
        } catch (FileAlreadyExistsException raced) {
            // another process made it first: use theirs
        }
    }

    String deployToken(String deployId, int boot) {
        return hmac("deploy:" + deployId + ":" + boot);
    }

    String checkinToken(String deployId, int boot) {
        return hmac("checkin:" + deployId + ":" + boot);
    }

    /** Constant-time comparison. */
    static boolean same(String expected, String presented) {
        if (presented == null) {
            return false;
        }
        return MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8),
                presented.getBytes(StandardCharsets.UTF_8));
    }

    private String hmac(String message) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return HexFormat.of().formatHex(mac.doFinal(message.getBytes(StandardCharsets.UTF_8)));
        } catch (Exception e) {
            throw new IllegalStateException("HMAC-SHA256 unavailable", e);
        }
    }

    @Override
    public String toString() {
        return "AgentTokens[key=***]";
    }
}
