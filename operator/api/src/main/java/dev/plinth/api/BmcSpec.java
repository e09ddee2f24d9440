package dev.plinth.api;

/**
 * How to reach a node's baseboard management controller. Credentials are never inline: {@code credentialsName}
 * names a Kubernetes Secret (operator mode) or an entry of the local secrets file (standalone).
 *
 * @param address parsed where the document was read; null only in a rejected revision
 */
public record BmcSpec(BmcAddress address, String credentialsName, boolean disableCertificateVerification) {

    /** From the address as written, for fixtures and tests; a bad address throws {@link BmcAddress.Invalid}. */
    public static BmcSpec of(String address, String credentialsName, boolean disableCertificateVerification) {
        return new BmcSpec(BmcAddress.parse(address), credentialsName, disableCertificateVerification);
    }
}
