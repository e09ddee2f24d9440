package dev.plinth.image;

import dev.plinth.api.Compression;
import dev.plinth.api.DiskImageSpec;
import dev.plinth.api.ImageFormat;
import dev.plinth.image.ImageCache.Served;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Brings one image into the cache: download and verify, convert a qcow2 to raw, store. A raw image compressed
 * with gz or xz is kept as downloaded (the ramdisk decompresses it on the fly); zst (which the ramdisk cannot
 * decompress) and qcow2 are stored decompressed.
 */
final class ImageFetcher {
    private final CacheDirectory cache;
    private final Download download;

    ImageFetcher(CacheDirectory cache, Download download) {
        this.cache = cache;
        this.download = download;
    }

    /** Downloads, verifies and stores one image; returns what is served. */
    Served fetch(ImageEntry entry) throws Exception {
        DiskImageSpec spec = entry.spec;
        boolean qcow2 = spec.format() == ImageFormat.QCOW2;
        if (qcow2) {
            Qcow2Converter.requireQemuImg(spec);
        }
        boolean keepCompressed = !qcow2 && spec.compression() != Compression.ZST;
        Compression servedCompression = keepCompressed ? spec.compression() : Compression.NONE;
        Path tmp = cache.tempFile(".download-");
        Path converted = null;
        try {
            long rawLength = download.into(entry, tmp, keepCompressed);
            Path stored = tmp;
            String servedSha = spec.sha256();
            if (qcow2) {
                entry.state = ImageEntry.State.CONVERTING;
                entry.message = "converting qcow2 to raw";
                converted = cache.tempFile(".convert-");
                Qcow2Converter.Raw raw = Qcow2Converter.convert(tmp, converted, spec);
                servedSha = raw.sha256();
                rawLength = raw.length();
                stored = converted;
            }
            return cache.store(stored, spec, servedCompression, servedSha, rawLength);
        } finally {
            Files.deleteIfExists(tmp);
            if (converted != null) {
                Files.deleteIfExists(converted);
            }
        }
    }
}
