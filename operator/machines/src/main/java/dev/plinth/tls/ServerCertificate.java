package dev.plinth.tls;

/**
 * A TLS server certificate and its key, PEM, as a listener loads them.
 *
 * @param certificatePem the server certificate
 * @param keyPem its private key (never logged, never written to disk: made again at every start)
 * @param caPem the CA that signed it, which clients trust
 */
public record ServerCertificate(String certificatePem, String keyPem, String caPem) {
    @Override
    public String toString() {
        return "ServerCertificate[key hidden]";
    }
}
