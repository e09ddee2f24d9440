package dev.plinth.image;

/**
 * A failure of one image. Its message is what status shows (the URL redacted), and tells nothing a Git committer
 * could use to probe the controller's network or files; {@link #detail()} is the full story, for the log only.
 */
final class ImageException extends Exception {
    private final String detail;

    ImageException(String message) {
        this(message, message);
    }

    ImageException(String message, String detail) {
        super(message);
        this.detail = detail;
    }

    String detail() {
        return detail;
    }
}
