package dev.plinth.runtime.http;

import dev.plinth.http.Bearer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;

/**
 * The bearer token of the operator API, read from a file so that it never appears on a command line, in the
 * environment of {@code ps}, or in a log line. {@code toString} does not show it.
 */
public final class ApiToken {
    /** Short tokens can be guessed; 16 characters of a random string is the floor. */
    static final int MIN_LENGTH = 16;

    private final byte[] token;

    private ApiToken(String token) {
        this.token = token.getBytes(StandardCharsets.UTF_8);
    }

    /** The first line of {@code file}, trimmed; a one-line error naming the file (never its content) otherwise. */
    public static ApiToken fromFile(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the API token file " + file + ": "
                    + e.getClass().getSimpleName());
        }
        String first = text.lines().findFirst().orElse("").trim();
        if (first.length() < MIN_LENGTH) {
            throw new IllegalArgumentException("the API token file " + file + " must hold a token of at least "
                    + MIN_LENGTH + " characters on its first line (e.g. `openssl rand -hex 32 > " + file + "`)");
        }
        return new ApiToken(first);
    }

    /** The {@code Authorization} header a client sends with this token. */
    public String authorizationHeader() {
        return "Bearer " + new String(token, StandardCharsets.UTF_8);
    }

    /** The value of an {@code Authorization} header: {@code Bearer <token>}, compared in constant time. */
    public boolean admits(String authorization) {
        String presented = Bearer.token(authorization);
        return presented != null && MessageDigest.isEqual(token, presented.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return "ApiToken[redacted]";
    }
}
