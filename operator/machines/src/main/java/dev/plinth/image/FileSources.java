package dev.plinth.image;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;

/**
 * Which local files a {@code file://} DiskImage may name. Anyone who can commit to the fleet's repository can write
 * a DiskImage, and a cached file is served and its checksum reported: without this, a commit could read the BMC
 * secrets file or the agent's token key. So files come only from directories the operator names
 * ({@code --image-root}; none by default), never from the controller's state directory even when a root contains
 * it, and symbolic links are followed before the check. A refusal says nothing about whether the file exists.
 */
final class FileSources {
    static final FileSources NONE = new FileSources(List.of(), null);

    private final List<Path> roots;
    private final Path never;

    /** @param never a directory files are never read from, even under a root (the state directory); may be null */
    FileSources(Collection<Path> roots, Path never) {
        this.roots = roots.stream().map(FileSources::real).toList();
        this.never = never == null ? null : real(never);
    }

    /** The file a {@code file://} URL names, once it is allowed; throws with the reason otherwise. */
    Path resolve(String url) throws ImageException {
        if (roots.isEmpty()) {
            throw new ImageException("cannot fetch " + url + ": file:// images are read only from directories the"
                    + " controller names with --image-root, and it names none");
        }
        Path asWritten;
        try {
            asWritten = Path.of(URI.create(url)).normalize();
        } catch (IllegalArgumentException e) {
            throw new ImageException("cannot fetch " + url + ": not a local file path");
        }
        if (!allowed(asWritten)) {
            throw refused(url);
        }
        Path real;
        try {
            real = asWritten.toRealPath();
        } catch (IOException e) {
            throw new ImageException("cannot fetch " + url + ": no such file");
        }
        if (!allowed(real) || !Files.isRegularFile(real)) {
            // a link out of the roots, or into the state directory, or a directory
            throw refused(url);
        }
        return real;
    }

    private boolean allowed(Path p) {
        return roots.stream().anyMatch(p::startsWith) && (never == null || !p.startsWith(never));
    }

    private ImageException refused(String url) {
        return new ImageException("cannot fetch " + url + ": not a regular file under the directories given with"
                + " --image-root " + roots + " (and never the controller's state directory)");
    }

    private static Path real(Path p) {
        Path abs = p.toAbsolutePath().normalize();
        try {
            return abs.toRealPath();
        } catch (IOException e) {
            return abs; // not there (yet): compare as written
        }
    }
}
