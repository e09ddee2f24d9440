package dev.plinth.load;

import dev.plinth.api.Compression;
import dev.plinth.api.DiskImageSpec;
import dev.plinth.api.ImageFormat;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/** {@code spec} of a DiskImage. */
final class DiskImageReader {
    private DiskImageReader() {}

    static final List<String> FIELDS = List.of("url", "checksum", "format", "compression");

    static DiskImageSpec read(Fields spec) {
        String url = spec.string("url", true, Formats.IMAGE_URL_EXPECTED, Formats::imageUrl);
        String checksum = spec.string("checksum", true, Formats.CHECKSUM_EXPECTED, Formats::checksum);
        ImageFormat format = choice(spec, "format", ImageFormat.values(), ImageFormat::yaml, ImageFormat.RAW);
        Compression compression =
                choice(spec, "compression", Compression.values(), Compression::yaml, Compression.NONE);
        return new DiskImageSpec(url, Formats.normalizeChecksum(checksum), format, compression);
    }

    /** An optional enum field spelt as in {@code yaml}; {@code dflt} when missing or bad (bad is reported). */
    static <E extends Enum<E>> E choice(Fields spec, String name, E[] values, Function<E, String> yaml, E dflt) {
        List<String> names = Arrays.stream(values).map(yaml).toList();
        String expected = "one of " + String.join(", ", names);
        String v = spec.string(name, false, expected, t -> names.contains(t) ? null
                : "unsupported " + name + " " + Fields.quote(t) + ": expected " + expected);
        return v == null ? dflt : values[names.indexOf(v)];
    }
}
