package dev.plinth.driver;

/** A snapshot of one deploy. {@code message} explains FAILED; bytes are 0 when unknown. */
public record DeployProgress(DeployPhase phase, long bytesWritten, long bytesTotal, String message) {
    public static DeployProgress of(DeployPhase phase) {
        return new DeployProgress(phase, 0, 0, "");
    }
}
