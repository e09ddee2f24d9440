package dev.plinth.agent;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.plinth.tls.ServerCertificate;
import java.io.StringReader;
import java.net.InetSocketAddress;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/** A JDK HTTPS server on loopback with a certificate from the controller CA: the agent's peer in tests. */
final class TlsServers {
    private TlsServers() {}

    static HttpsServer https(ServerCertificate cert) throws Exception {
        X509Certificate x509;
        PrivateKey key;
        try (PEMParser p = new PEMParser(new StringReader(cert.certificatePem()))) {
            x509 = new JcaX509CertificateConverter().getCertificate((X509CertificateHolder) p.readObject());
        }
        try (PEMParser p = new PEMParser(new StringReader(cert.keyPem()))) {
            key = new JcaPEMKeyConverter().getPrivateKey((PrivateKeyInfo) p.readObject());
        }
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("server", key, new char[0], new X509Certificate[] {x509});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, new char[0]);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        HttpsServer server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(ctx));
        return server;
    }
}
