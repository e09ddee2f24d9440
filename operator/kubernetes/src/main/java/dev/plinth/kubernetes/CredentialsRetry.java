package dev.plinth.kubernetes;

import dev.plinth.core.NodeRecord;
import dev.plinth.driver.FailureKind;

/**
 * When a node's credentials Secret makes its backoff moot, so that its failed operation is tried at once, not after
 * the error backoff (in Metal3 a corrected password is ignored until the host is re-created). Pure.
 */
final class CredentialsRetry {
    private CredentialsRetry() {}

    /**
     * @param rec the node's record; null for a new node
     * @param present whether the Secret named by the node exists now
     * @param seenVersion the Secret's resourceVersion the node's status was last written with ("" for none); null
     *     when the status has none yet
     * @param version the Secret's resourceVersion now ("" when there is none)
     */
    static boolean retryNow(NodeRecord rec, boolean present, String seenVersion, String version) {
        if (rec == null || rec.operation().notBefore() == null) {
            return false;
        }
        // the last failure was the Secret's absence and it exists now, whatever version the status remembers: the
        // status may have been written from a cache that could not see it (a stopping leader's, say)
        if (present && rec.operation().step() == null && rec.error().kind() == FailureKind.MISSING_CREDENTIALS) {
            return true;
        }
        // new credentials: what failed with the old ones may work with these
        return seenVersion != null && !seenVersion.equals(version);
    }
}
