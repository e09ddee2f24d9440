package dev.plinth.store;

/** The state store failed; the controller cannot safely act without it. */
public class StoreException extends RuntimeException {
    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
