package dev.plinth.http;

/** Reads the token of an {@code Authorization: Bearer <token>} header, the one way every route does. */
public final class Bearer {
    private static final String SCHEME = "Bearer ";

    private Bearer() {}

    /** The token, or null when the header is missing or is not a bearer one (the scheme in any case). */
    public static String token(String authorizationHeader) {
        String h = authorizationHeader;
        if (h == null || h.length() < SCHEME.length() || !h.regionMatches(true, 0, SCHEME, 0, SCHEME.length())) {
            return null;
        }
        return h.substring(SCHEME.length()).trim();
    }
}
