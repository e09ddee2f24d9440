package dev.plinth.kubernetes.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/** spec of a DiskImage. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class DiskImageSpec {
    @Required
    @Pattern(Crds.IMAGE_URL)
    @Size(max = 4096)
    @JsonPropertyDescription("http(s)://host/... or file:///path")
    public String url;

    @Required
    @Pattern(Crds.SHA256)
    @JsonPropertyDescription("sha256:<64 hex> of the image as served, after decompression")
    public String checksum;

    @Default("raw")
    public Format format;

    @Default("none")
    public Compression compression;

    public enum Format {
        @JsonProperty("raw") RAW,
        @JsonProperty("qcow2") QCOW2
    }

    public enum Compression {
        @JsonProperty("none") NONE,
        @JsonProperty("gz") GZ,
        @JsonProperty("xz") XZ,
        @JsonProperty("zst") ZST
    }
}
