package dev.plinth.driver.redfish;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

/** The two TLS setups of the Redfish driver: verifying (the JDK's CAs plus optional extra ones) and not verifying. */
public final class Tls {
    private Tls() {}

    /** The JDK's default trust (its cacerts), with hostname checking by the HTTP client. */
    public static SSLContext jdkDefault() {
        try {
            return SSLContext.getDefault();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no default TLS context in this JDK", e);
        }
    }

    /**
     * Trusts the JDK's CAs and every certificate in a PEM file (a BMC vendor's CA, or a BMC's self-signed
     * certificate), so such BMCs are verified instead of exempted.
     *
     * @throws IOException when the file cannot be read or holds no certificate
     */
    public static SSLContext trusting(Path pemFile) throws IOException {
        try (InputStream in = Files.newInputStream(pemFile)) {
            var certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
            if (certs.isEmpty()) {
                throw new IOException(pemFile + " holds no PEM certificate");
            }
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null, null);
            int i = 0;
            for (Certificate c : certs) {
                ks.setCertificateEntry("bmc-ca-" + i++, c);
            }
            TrustManagerFactory jdk = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            jdk.init((KeyStore) null);
            TrustManagerFactory extra = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            extra.init(ks);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, new TrustManager[] {either(first(jdk), first(extra))}, null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot read certificates from " + pemFile + ": " + e.getMessage(), e);
        }
    }

    /**
     * Accepts any certificate for any host: only for BMCs whose spec says disableCertificateVerification. An
     * extended trust manager, so the JDK leaves the hostname check to it, and it makes none.
     */
    public static SSLContext insecure() {
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, new TrustManager[] {new AcceptAll()}, null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static X509ExtendedTrustManager first(TrustManagerFactory f) {
        for (TrustManager tm : f.getTrustManagers()) {
            if (tm instanceof X509ExtendedTrustManager x) {
                return x;
            }
        }
        throw new IllegalStateException("no X.509 trust manager");
    }

    /** Trusted when either manager trusts the chain (each checks the hostname itself). */
    private static X509ExtendedTrustManager either(X509ExtendedTrustManager a, X509ExtendedTrustManager b) {
        return new X509ExtendedTrustManager() {
            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                    throws java.security.cert.CertificateException {
                try {
                    a.checkServerTrusted(chain, authType, engine);
                } catch (java.security.cert.CertificateException first) {
                    b.checkServerTrusted(chain, authType, engine);
                }
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
                    throws java.security.cert.CertificateException {
                try {
                    a.checkServerTrusted(chain, authType, socket);
                } catch (java.security.cert.CertificateException first) {
                    b.checkServerTrusted(chain, authType, socket);
                }
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType)
                    throws java.security.cert.CertificateException {
                try {
                    a.checkServerTrusted(chain, authType);
                } catch (java.security.cert.CertificateException first) {
                    b.checkServerTrusted(chain, authType);
                }
            }

            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
                throw new UnsupportedOperationException("server side");
            }

            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {
                throw new UnsupportedOperationException("server side");
            }

            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
                throw new UnsupportedOperationException("server side");
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                X509Certificate[] x = a.getAcceptedIssuers();
                X509Certificate[] y = b.getAcceptedIssuers();
                X509Certificate[] all = java.util.Arrays.copyOf(x, x.length + y.length);
                System.arraycopy(y, 0, all, x.length, y.length);
                return all;
            }
        };
    }

    private static final class AcceptAll extends X509ExtendedTrustManager implements X509TrustManager {
        @Override public void checkClientTrusted(X509Certificate[] c, String a, Socket s) { }
        @Override public void checkServerTrusted(X509Certificate[] c, String a, Socket s) { }
        @Override public void checkClientTrusted(X509Certificate[] c, String a, SSLEngine e) { }
        @Override public void checkServerTrusted(X509Certificate[] c, String a, SSLEngine e) { }
        @Override public void checkClientTrusted(X509Certificate[] c, String a) { }
        @Override public void checkServerTrusted(X509Certificate[] c, String a) { }
        @Override public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
    }
}
