package dev.plinth.driver;

import dev.plinth.api.BmcAddress;
import java.util.List;
import java.util.Set;

/**
 * What one power driver family accepts as a BMC address: its schemes, and the problems of an address for it (path,
 * options, port). The loader asks it when a revision is read, so an address the driver could not use is a problem
 * with file:line, never a failure at run time.
 */
public interface BmcAddressRules {

    /** Lower-case schemes this family drives, e.g. {@code ipmi}. */
    Set<String> schemes();

    /** How its addresses are written, for messages, e.g. {@code ipmi://host[:port][?bootMode=uefi|legacy]}. */
    List<String> forms();

    /**
     * What is wrong with {@code address} (whose scheme is one of {@link #schemes()}) for this family, each in
     * words with what is expected; empty when the family can drive it.
     */
    List<String> problems(BmcAddress address);

    /** Whether this family can boot a machine from virtual media (an ISO the BMC attaches as a CD). */
    default boolean virtualMedia() {
        return false;
    }
}
