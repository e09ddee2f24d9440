package dev.plinth.kubernetes;

/**
 * A read from an informer cache that is not serving: not yet synced, or already stopped (JOSDK clears the caches of
 * a stopping operator while passes are still in flight). An absence read there proves nothing, so the pass is
 * abandoned rather than decided on: a Secret the cache cannot see is not "no credentials", a DiskImage it cannot
 * see is not an "unknown image".
 */
final class CacheNotServing extends IllegalStateException {
    CacheNotServing(String what) {
        super("the " + what + " cache is not serving (the operator is starting or stopping): pass abandoned");
    }
}
