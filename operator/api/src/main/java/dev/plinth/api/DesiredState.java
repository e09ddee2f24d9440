package dev.plinth.api;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One validated revision of desired state: every resource it declares, by name. Immutable; a revision either
 * loads whole into one of these or not at all.
 *
 * @param revision the source's revision: a Git commit id, a label such as {@code dir:/path} for a working directory
 */
public record DesiredState(
        String revision,
        Map<String, DiskImage> images,
        Map<String, BareMetalNode> nodes,
        Map<String, Cloud> clouds) {

    public DesiredState {
        images = Collections.unmodifiableMap(new LinkedHashMap<>(images));
        nodes = Collections.unmodifiableMap(new LinkedHashMap<>(nodes));
        clouds = Collections.unmodifiableMap(new LinkedHashMap<>(clouds));
    }

    public static DesiredState empty(String revision) {
        return new DesiredState(revision, Map.of(), Map.of(), Map.of());
    }

    public static DesiredState of(String revision, List<? extends Resource> resources) {
        Map<String, DiskImage> images = new LinkedHashMap<>();
        Map<String, BareMetalNode> nodes = new LinkedHashMap<>();
        Map<String, Cloud> clouds = new LinkedHashMap<>();
        for (Resource r : resources) {
            if (r instanceof DiskImage i) images.put(i.name(), i);
            else if (r instanceof BareMetalNode n) nodes.put(n.name(), n);
            else if (r instanceof Cloud c) clouds.put(c.name(), c);
        }
        return new DesiredState(revision, images, nodes, clouds);
    }

}
