package dev.plinth.http;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Checks that a push webhook comes from the Git server: GitHub/Gitea style HMAC-SHA256 of the body
 * ({@code X-Hub-Signature-256: sha256=<hex>} or {@code X-Gitea-Signature: <hex>}), or GitLab's shared token
 * ({@code X-Gitlab-Token}). With no secret configured every call is accepted (a trigger only causes a fetch).
 */
public final class WebhookVerifier {
    private final byte[] secret;

    public WebhookVerifier(String secret) {
        this.secret = secret == null || secret.isEmpty() ? null : secret.getBytes(StandardCharsets.UTF_8);
    }

    public boolean enabled() {
        return secret != null;
    }

    public boolean accepts(byte[] body, String hubSignature256, String giteaSignature, String gitlabToken) {
        if (secret == null) {
            return true;
        }
        if (gitlabToken != null) {
            return MessageDigest.isEqual(secret, gitlabToken.getBytes(StandardCharsets.UTF_8));
        }
        String expected = hmacHex(body);
        if (hubSignature256 != null) {
            return constantTimeEquals("sha256=" + expected, hubSignature256);
        }
        return giteaSignature != null && constantTimeEquals(expected, giteaSignature);
    }

    /** The hex HMAC-SHA256 of {@code body} under the secret (what a Git server sends; tests sign with it). */
    public String hmacHex(byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return java.util.HexFormat.of().formatHex(mac.doFinal(body));
        } catch (Exception e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    private static boolean constantTimeEquals(String a, String b) {
        return MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }
}
