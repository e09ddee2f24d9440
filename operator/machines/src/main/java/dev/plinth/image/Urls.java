package dev.plinth.image;

import java.net.URI;

/** Image URLs as logs and status messages may show them. */
final class Urls {
    private Urls() {}

    /** A URL fit for logs and status: no user info, no query string. */
    static String redact(String url) {
        try {
            URI u = URI.create(url);
            if (u.getRawUserInfo() == null && u.getRawQuery() == null) {
                return url;
            }
            return new URI(u.getScheme(), null, u.getHost(), u.getPort(), u.getPath(), null, null).toString();
        } catch (Exception e) {
            return url;
        }
    }
}
