package dev.plinth.store;

/** A write named a version that is no longer the stored one: re-read, decide again, write again. */
public final class StoreConflictException extends StoreException {
    private final long expected;
    private final long actual;

    public StoreConflictException(String key, long expected, long actual) {
        super("conflict writing " + key + ": expected version " + expected + ", stored version " + actual, null);
        this.expected = expected;
        this.actual = actual;
    }

    public long expected() {
        return expected;
    }

    public long actual() {
        return actual;
    }
}
