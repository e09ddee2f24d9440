package dev.plinth.store;

/**
 * A stored value and the version it was read at. Writes name the version they expect to replace, as Kubernetes
 * does with {@code resourceVersion}: a write based on a stale read is refused instead of silently undoing another.
 *
 * @param version positive; {@link #ABSENT} means "no record yet" when writing
 */
public record Versioned<T>(T value, long version) {
    public static final long ABSENT = 0;
}
