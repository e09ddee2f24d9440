package dev.plinth.driver.redfish;

import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import javax.net.ssl.SSLException;

/**
 * Names the certificate problem behind a TLS failure in words an operator can act on. The JDK reports them as
 * nested exceptions whose messages ("PKIX path building failed...") say little; pure, so it is tested alone.
 */
final class TlsProblems {
    static final String OPT_OUT = "spec.bmc.disableCertificateVerification";

    private TlsProblems() {}

    /** Whether this failure came from TLS (the handshake, the certificate), anywhere in the cause chain. */
    static boolean isTls(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof SSLException) {
                return true;
            }
        }
        return false;
    }

    /** What was wrong with the BMC's certificate or handshake, and what can be done. */
    static String describe(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof CertificateExpiredException) {
                return "its certificate has expired (" + c.getMessage() + ")";
            }
            if (c instanceof CertificateNotYetValidException) {
                return "its certificate is not valid yet (" + c.getMessage() + ")";
            }
        }
        for (Throwable c = t; c != null; c = c.getCause()) {
            String m = String.valueOf(c.getMessage());
            if (m.contains("No subject alternative") || m.contains("No name matching")) {
                return "its certificate does not name this host (" + m + ")";
            }
            if (c instanceof CertPathBuilderException || c instanceof CertPathValidatorException
                    || m.contains("PKIX path")) {
                return "its certificate is not trusted: self-signed, or signed by a CA this controller does not"
                        + " trust (add the CA with --bmc-ca-file, or set " + OPT_OUT + ": true)";
            }
            if (m.contains("Unsupported or unrecognized SSL message")) {
                return "it did not answer in TLS (is it plain http? then write redfish+http://)";
            }
        }
        Throwable root = t;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return "TLS handshake failed: " + root.getMessage();
    }
}
