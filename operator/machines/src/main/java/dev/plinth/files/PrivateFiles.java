package dev.plinth.files;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Files only their owner may touch: the state directory (0700), what the controller writes in it (0600), and the
 * secrets it reads, which are refused when group or others have any access, as ssh refuses such a private key.
 * On a file system without POSIX permissions nothing is checked or changed.
 */
public final class PrivateFiles {
    private static final Logger LOG = LoggerFactory.getLogger(PrivateFiles.class);
    public static final Set<PosixFilePermission> OWNER_DIR = PosixFilePermissions.fromString("rwx------");
    public static final Set<PosixFilePermission> OWNER_FILE = PosixFilePermissions.fromString("rw-------");

    private PrivateFiles() {}

    /**
     * Creates the directory (and its missing parents) as 0700, or tightens an existing one to 0700: everything the
     * controller keeps there (the database, the agent key, the Git mirror) is for its own user only.
     */
    public static Path directory(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            try {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(OWNER_DIR));
            } catch (UnsupportedOperationException e) {
                Files.createDirectories(dir);
            }
        }
        tighten(dir, OWNER_DIR);
        return dir;
    }

    /** Makes an existing file 0600 (a no-op when it is absent or already so). */
    public static void tighten(Path file) throws IOException {
        tighten(file, OWNER_FILE);
    }

    /** Creates an empty file 0600 if it is missing, else tightens it to 0600. */
    public static Path file(Path file) throws IOException {
        if (!Files.exists(file)) {
            try {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_FILE));
            } catch (UnsupportedOperationException e) {
                Files.createFile(file);
            } catch (java.nio.file.FileAlreadyExistsException raced) {
                // made meanwhile: tightened below
            }
        }
        tighten(file, OWNER_FILE);
        return file;
    }

    /**
     * Refuses a secret that group or others can access: it may already have been read, and using it would hide
     * that. The message gives the command that fixes it.
     *
     * @param what how to name the file in the message, e.g. "secrets file"
     * @param advice what else to consider, appended after the chmod (may be empty)
     */
    public static void requireOwnerOnly(Path file, String what, String advice) throws IOException {
        Set<PosixFilePermission> perms;
        try {
            perms = Files.getPosixFilePermissions(file);
        } catch (UnsupportedOperationException e) {
            return;
        }
        String problem = looseness(file, perms, what, advice);
        if (problem != null) {
            throw new IllegalStateException(problem);
        }
    }

    /** Why a file with {@code perms} is refused ({@link #requireOwnerOnly}), or null when only its owner has any. */
    public static String looseness(Path file, Set<PosixFilePermission> perms, String what, String advice) {
        if (!loose(perms)) {
            return null;
        }
        return what + " " + file + " is readable by others (" + PosixFilePermissions.toString(perms)
                + "): run `chmod 600 " + file + "`" + (advice.isEmpty() ? "" : "; " + advice);
    }

    private static boolean loose(Set<PosixFilePermission> perms) {
        return perms.stream().anyMatch(p -> p.name().startsWith("GROUP_") || p.name().startsWith("OTHERS_"));
    }

    private static void tighten(Path path, Set<PosixFilePermission> wanted) throws IOException {
        if (!Files.exists(path)) {
            return;
        }
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(path);
            if (loose(perms)) {
                Files.setPosixFilePermissions(path, wanted);
                LOG.warn("{} was {}, open to group or others: made it {}", path, PosixFilePermissions.toString(perms),
                        PosixFilePermissions.toString(wanted));
            }
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system
        }
    }
}
