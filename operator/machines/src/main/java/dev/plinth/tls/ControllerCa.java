package dev.plinth.tls;

import dev.plinth.files.PrivateFiles;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The controller's own certificate authority for the provisioning network: the deploy ramdisk trusts it (it gets
 * the CA certificate with its boot) and nothing else, so the agent and image routes can be HTTPS without a public
 * CA or a certificate the operator has to provide. Kept in a directory of the state directory, the key 0600;
 * created on first use. The server certificate it {@linkplain #issue issues} is made afresh at every start, for the
 * names the machines are told to use.
 */
public final class ControllerCa {
    static final String CA_CERT = "ca.pem";
    static final String CA_KEY = "ca.key";
    private static final Duration CA_VALIDITY = Duration.ofDays(3650);
    private static final Duration SERVER_VALIDITY = Duration.ofDays(365);
    /** Clocks of freshly booted machines lag: a certificate valid from "now" would be refused by some. */
    private static final Duration BACKDATE = Duration.ofDays(1);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final X509Certificate cert;
    private final PrivateKey key;
    private final Clock clock;

    private ControllerCa(X509Certificate cert, PrivateKey key, Clock clock) {
        this.cert = cert;
        this.key = key;
        this.clock = clock;
    }

    /** The CA kept in {@code dir}, created (directory 0700, key 0600) when it is not there yet. */
    public static ControllerCa loadOrCreate(Path dir, Clock clock) throws IOException {
        PrivateFiles.directory(dir);
        Path certFile = dir.resolve(CA_CERT);
        Path keyFile = dir.resolve(CA_KEY);
        if (Files.exists(certFile) && Files.exists(keyFile)) {
            PrivateFiles.requireOwnerOnly(keyFile, "the controller CA key", "it signs the provisioning certificate");
            return new ControllerCa(parseCertificate(Files.readString(certFile)),
                    parseKey(Files.readString(keyFile)), clock);
        }
        KeyPair pair = newKeyPair();
        Instant now = clock.instant();
        X500Name name = new X500Name("CN=Plinth controller CA " + Long.toHexString(RANDOM.nextLong()));
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, serial(),
                    Date.from(now.minus(BACKDATE)), Date.from(now.plus(CA_VALIDITY)), name, pair.getPublic());
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
            X509Certificate ca = sign(b, pair.getPrivate());
            // key first: a certificate without its key would be loaded as a CA that cannot sign
            Files.writeString(PrivateFiles.file(keyFile), pem(pair.getPrivate()));
            Files.writeString(certFile, pem(ca));
            return new ControllerCa(ca, pair.getPrivate(), clock);
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot create the controller CA: " + e.getMessage(), e);
        }
    }

    /** The CA certificate, PEM: what the machines are given to trust. */
    public String certificatePem() {
        return pem(cert);
    }

    public X509Certificate certificate() {
        return cert;
    }

    /**
     * A server certificate for the provisioning TLS listener.
     *
     * @param dnsName the name the machines use in URLs (busybox wget checks it: it cannot check an IP address)
     * @param ipAddresses addresses to name too (for clients that connect by address); may be empty
     */
    public ServerCertificate issue(String dnsName, List<String> ipAddresses) {
        KeyPair pair = newKeyPair();
        Instant now = clock.instant();
        try {
            List<GeneralName> names = new ArrayList<>();
            names.add(new GeneralName(GeneralName.dNSName, dnsName));
            for (String ip : ipAddresses) {
                names.add(new GeneralName(GeneralName.iPAddress, ip));
            }
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(cert, serial(),
                    Date.from(now.minus(BACKDATE)), Date.from(now.plus(SERVER_VALIDITY)),
                    new X500Name("CN=" + dnsName), pair.getPublic());
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
            b.addExtension(Extension.subjectAlternativeName, false,
                    new GeneralNames(names.toArray(GeneralName[]::new)));
            b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(cert));
            X509Certificate server = sign(b, key);
            return new ServerCertificate(pem(server), pem(pair.getPrivate()), certificatePem());
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot issue the provisioning certificate: " + e.getMessage(), e);
        }
    }

    private static KeyPair newKeyPair() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no EC P-256 in this JDK: " + e.getMessage(), e);
        }
    }

    private static BigInteger serial() {
        return new BigInteger(127, RANDOM).add(BigInteger.ONE);
    }

    private static X509Certificate sign(JcaX509v3CertificateBuilder b, PrivateKey signer)
            throws GeneralSecurityException {
        try {
            ContentSigner s = new JcaContentSignerBuilder("SHA256withECDSA").build(signer);
            return new JcaX509CertificateConverter().getCertificate(b.build(s));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e.getMessage(), e);
        }
    }

    static String pem(Object o) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            // keys as PKCS#8 ("PRIVATE KEY"): what Vert.x and openssl both read; BC's default is SEC1 for EC keys
            w.writeObject(o instanceof PrivateKey k ? new JcaPKCS8Generator(k, null) : o);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toString();
    }

    private static X509Certificate parseCertificate(String pem) throws IOException {
        try (PEMParser p = new PEMParser(new StringReader(pem))) {
            Object o = p.readObject();
            if (!(o instanceof X509CertificateHolder h)) {
                throw new IOException("the controller CA certificate is not a PEM certificate");
            }
            return new JcaX509CertificateConverter().getCertificate(h);
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot read the controller CA certificate: " + e.getMessage(), e);
        }
    }

    private static PrivateKey parseKey(String pem) throws IOException {
        try (PEMParser p = new PEMParser(new StringReader(pem))) {
            Object o = p.readObject();
            JcaPEMKeyConverter c = new JcaPEMKeyConverter();
            if (o instanceof PEMKeyPair kp) {
                return c.getPrivateKey(kp.getPrivateKeyInfo());
            }
            if (o instanceof PrivateKeyInfo info) {
                return c.getPrivateKey(info);
            }
            throw new IOException("the controller CA key is not a PEM private key");
        }
    }
}
