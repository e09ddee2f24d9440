package dev.plinth.image;

/** Ends a download that was cancelled or whose cache was closed; no stack trace, it is no error. */
final class Cancelled extends RuntimeException {
    Cancelled() { super(null, null, false, false); }
}
