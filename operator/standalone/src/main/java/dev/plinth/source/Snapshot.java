package dev.plinth.source;

import dev.plinth.core.Printable;
import dev.plinth.load.SourceFile;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * The desired-state files of one commit.
 *
 * @param commitId   full hex id of the commit
 * @param commitTime committer time
 * @param author     author as {@code Name <email>}
 * @param message    first line of the commit message, control characters escaped ({@link Printable})
 * @param files      every {@code *.yaml}/{@code *.yml} regular file under the configured path, with paths
 *                   relative to it ('/' separated), sorted by path; hidden entries (a name starting with
 *                   '.') and everything below hidden directories are left out
 */
public record Snapshot(String commitId, Instant commitTime, String author, String message, List<SourceFile> files) {

    public Snapshot {
        Objects.requireNonNull(commitId, "commitId");
        Objects.requireNonNull(commitTime, "commitTime");
        // written by whoever can push: logged, stored and shown, so kept on one line
        author = author == null ? "" : Printable.of(author);
        message = message == null ? "" : Printable.of(message);
        files = List.copyOf(files);
    }

    /** The first 12 hex digits of the commit id, for logs and status. */
    public String shortId() {
        return commitId.length() > 12 ? commitId.substring(0, 12) : commitId;
    }

    @Override
    public String toString() {
        return "Snapshot[" + shortId() + " " + commitTime + " " + author + " \"" + message + "\", "
                + files.size() + " files]";
    }
}
