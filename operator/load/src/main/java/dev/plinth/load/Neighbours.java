package dev.plinth.load;

import dev.plinth.api.BmcAddress;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What a revision will live beside without declaring it. Standalone has none: a revision is the whole fleet. The
 * operator has the other objects of the GitSource's namespace (applied by kubectl or another GitSource): a revision
 * may use their DiskImages, and may not take their boot MAC or BMC.
 *
 * @param where   where they live, for messages, e.g. {@code namespace "lab"}
 * @param images  their DiskImage names
 * @param macs    boot MAC (lower case) to the name of the node that has it
 * @param bmcs    {@link BmcAddress#key()} to the name of the node that has it
 */
public record Neighbours(String where, Set<String> images, Map<String, String> macs, Map<String, String> bmcs) {
    public static final Neighbours NONE = new Neighbours("", Set.of(), Map.of(), Map.of());

    public Neighbours {
        images = Set.copyOf(images);
        macs = Map.copyOf(macs);
        bmcs = Map.copyOf(bmcs);
    }

    public static Builder in(String where) {
        return new Builder(where);
    }

    /** Collects neighbours; a value this loader cannot read (a malformed BMC address) is left out, not fatal. */
    public static final class Builder {
        private final String where;
        private final Set<String> images = new HashSet<>();
        private final Map<String, String> macs = new HashMap<>();
        private final Map<String, String> bmcs = new HashMap<>();

        private Builder(String where) {
            this.where = where;
        }

        public Builder image(String name) {
            images.add(name);
            return this;
        }

        /** @param mac and {@code bmcAddress}: as the node's spec has them, either null */
        public Builder node(String name, String mac, String bmcAddress) {
            if (mac != null) {
                macs.putIfAbsent(mac.toLowerCase(Locale.ROOT), name);
            }
            if (bmcAddress != null) {
                try {
                    bmcs.putIfAbsent(BmcAddress.parse(bmcAddress).key(), name);
                } catch (BmcAddress.Invalid e) {
                    // that node is Stalled for its own address; it cannot collide with a valid one
                }
            }
            return this;
        }

        public Neighbours build() {
            return new Neighbours(where, images, macs, bmcs);
        }
    }
}
