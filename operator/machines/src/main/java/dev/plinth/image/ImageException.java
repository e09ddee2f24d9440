package dev.plinth.image;

/** A failure whose message is fit for the image's status as it is (the URL already redacted). */
final class ImageException extends Exception {
    ImageException(String message) { super(message); }
}
