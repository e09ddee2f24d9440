package dev.plinth.source;

import dev.plinth.core.Printable;

/**
 * A Git source operation that failed. The message is fit for status and logs: it names the
 * repository (without credentials), the branch or commit, and the cause in plain words, and
 * never contains a password, token or key material.
 */
public class SourceException extends Exception {

    /** What went wrong, so callers can react (e.g. back off on {@link #UNREACHABLE}). */
    public enum Kind {
        /** The remote could not be contacted (refused, DNS, timeout, no repository at that path). */
        UNREACHABLE,
        /** The remote answered but has no such branch. */
        UNKNOWN_BRANCH,
        /** Authentication was required and failed, or the credentials are not available. */
        AUTHENTICATION,
        /** The server's SSH host key is unknown or does not match known_hosts. */
        HOST_KEY,
        /** The configured path does not exist (as a directory) in the commit. */
        PATH_NOT_FOUND,
        /** The commit is not in the local mirror (or the id is malformed). */
        UNKNOWN_COMMIT,
        /** The local mirror could not be created, opened or read. */
        LOCAL_MIRROR,
        /** Any other failure talking to the remote. */
        TRANSPORT
    }

    private final Kind kind;

    public SourceException(Kind kind, String message) {
        super(Printable.of(message)); // may quote the remote's own words (JGit passes on "remote: ..." lines)
        this.kind = kind;
    }

    public SourceException(Kind kind, String message, Throwable cause) {
        super(Printable.of(message), cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
