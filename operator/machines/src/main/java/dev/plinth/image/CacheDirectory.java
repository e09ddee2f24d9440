package dev.plinth.image;

import dev.plinth.api.Compression;
import dev.plinth.api.DiskImageSpec;
import dev.plinth.api.ImageFormat;
import dev.plinth.image.ImageCache.Served;
import dev.plinth.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cache on disk: a verified file is named {@code <sha256>.<ext>} after the spec's checksum and has a JSON
 * sidecar ({@code <file>.json}); both are renamed into place, so a file with a sidecar is complete. Also knows
 * which file names are verified and may be served.
 */
final class CacheDirectory {
    // logged as the facade, as before the split
    private static final Logger LOG = LoggerFactory.getLogger(ImageCache.class);

    /** The sidecar of a verified file. */
    record Meta(String specSha256, String url, String format, String compression, long length, String sha256,
            long rawLength) {}

    private final Path dir;
    /** File names (in {@link #dir}) that were verified and may be served. */
    private final Set<String> servable = ConcurrentHashMap.newKeySet();

    CacheDirectory(Path cacheDir) {
        this.dir = cacheDir.toAbsolutePath().normalize();
        try {
            // the controller's own (0700); its files are made by createTempFile, 0600, and keep that mode
            dev.plinth.files.PrivateFiles.directory(dir);
        } catch (IOException e) {
            throw new IllegalStateException("cannot create the image cache directory " + dir + ": " + e.getMessage(), e);
        }
    }

    Path path() {
        return dir;
    }

    /** A temporary file in the cache directory, so that the final rename stays on one file system. */
    Path tempFile(String prefix) throws IOException {
        return Files.createTempFile(dir, prefix, ".tmp");
    }

    static String fileName(DiskImageSpec spec) {
        String sha = spec.sha256();
        if (spec.format() == ImageFormat.QCOW2) {
            return sha + ".qcow2.raw";
        }
        return switch (spec.compression()) {
            case NONE, ZST -> sha + ".raw";
            case GZ -> sha + ".raw.gz";
            case XZ -> sha + ".raw.xz";
        };
    }

    /** Renames a verified file into place and writes its sidecar; the file is not servable yet ({@link #admit}). */
    Served store(Path verified, DiskImageSpec spec, Compression compression, String sha256, long rawLength)
            throws IOException {
        String file = fileName(spec);
        long length = Files.size(verified);
        Meta meta = new Meta(spec.sha256(), Urls.redact(spec.url()), spec.format().yaml(), compression.yaml(), length,
                sha256, rawLength);
        Files.move(verified, dir.resolve(file), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Path metaTmp = tempFile(".meta-");
        Files.writeString(metaTmp, Json.write(meta));
        Files.move(metaTmp, dir.resolve(file + ".json"), StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
        return new Served(ImageCache.PREFIX + file, file, length, compression, sha256, rawLength);
    }

    /** Lets this file be served. */
    void admit(String file) {
        servable.add(file);
    }

    boolean servable(String file) {
        return servable.contains(file);
    }

    /** A verified file of an earlier run: its sidecar must agree and its size must match. */
    Served loadVerified(DiskImageSpec spec) {
        String file = fileName(spec);
        Path data = dir.resolve(file);
        Path metaFile = dir.resolve(file + ".json");
        try {
            if (!Files.isRegularFile(data) || !Files.isRegularFile(metaFile)) {
                return null;
            }
            Meta meta = Json.read(Files.readString(metaFile), Meta.class);
            if (!spec.sha256().equals(meta.specSha256()) || Files.size(data) != meta.length()) {
                LOG.warn("cached image {} does not match its sidecar; downloading again", file);
                return null;
            }
            servable.add(file);
            return new Served(ImageCache.PREFIX + file, file, meta.length(), compressionOf(meta.compression()),
                    meta.sha256(), meta.rawLength());
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot read cached image {}: {}; downloading again", file, e.getMessage());
            return null;
        }
    }

    private static Compression compressionOf(String yaml) {
        for (Compression c : Compression.values()) {
            if (c.yaml().equals(yaml)) {
                return c;
            }
        }
        throw new IllegalArgumentException("unknown compression " + yaml);
    }
}
