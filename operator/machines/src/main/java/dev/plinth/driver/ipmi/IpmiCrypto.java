package dev.plinth.driver.ipmi;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The cryptography of RMCP+ cipher suite 3 (IPMI v2.0 section 13.28-13.31): RAKP-HMAC-SHA1 authentication,
 * HMAC-SHA1-96 integrity and AES-CBC-128 confidentiality. Pure functions, no state.
 */
final class IpmiCrypto {
    static final int SHA1_LEN = 20;
    static final int ICV_LEN = 12;
    static final int AES_BLOCK = 16;

    private IpmiCrypto() {}

    static byte[] hmacSha1(byte[] key, byte[]... parts) {
        try {
            Mac mac = Mac.getInstance("HmacSHA1");
            // HMAC zero-pads a short key to the block size, so the password needs no explicit padding to 20 bytes.
            mac.init(new SecretKeySpec(key.length == 0 ? new byte[1] : key, "HmacSHA1"));
            for (byte[] p : parts) {
                mac.update(p);
            }
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA1 unavailable", e);
        }
    }

    static byte[] le32(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }

    /** RAKP 2 key exchange authentication code, computed by the BMC with the user's key (13.31). */
    static byte[] rakp2AuthCode(byte[] kuid, int consoleSid, int bmcSid, byte[] consoleRandom, byte[] bmcRandom,
                                byte[] bmcGuid, byte role, byte[] username) {
        return hmacSha1(kuid, le32(consoleSid), le32(bmcSid), consoleRandom, bmcRandom, bmcGuid,
                new byte[] {role, (byte) username.length}, username);
    }

    /** RAKP 3 key exchange authentication code, computed by the console. */
    static byte[] rakp3AuthCode(byte[] kuid, byte[] bmcRandom, int consoleSid, byte role, byte[] username) {
        return hmacSha1(kuid, bmcRandom, le32(consoleSid), new byte[] {role, (byte) username.length}, username);
    }

    /** Session integrity key. KG is the BMC key; when none is configured, the user key is used. */
    static byte[] sik(byte[] kg, byte[] consoleRandom, byte[] bmcRandom, byte role, byte[] username) {
        return hmacSha1(kg, consoleRandom, bmcRandom, new byte[] {role, (byte) username.length}, username);
    }

    /** K1 (integrity) and K2 (confidentiality): HMAC-SIK over 20 bytes of 0x01 resp. 0x02. */
    static byte[] additionalKey(byte[] sik, int n) {
        byte[] constant = new byte[SHA1_LEN];
        Arrays.fill(constant, (byte) n);
        return hmacSha1(sik, constant);
    }

    /** RAKP 4 integrity check value: HMAC-SIK(Rm, SIDc, GUIDc), first 12 bytes. */
    static byte[] rakp4Icv(byte[] sik, byte[] consoleRandom, int bmcSid, byte[] bmcGuid) {
        return Arrays.copyOf(hmacSha1(sik, consoleRandom, le32(bmcSid), bmcGuid), ICV_LEN);
    }

    /** HMAC-SHA1-96 of a range: the authcode trailing an authenticated RMCP+ packet. */
    static byte[] hmacSha196(byte[] k1, byte[] buf, int off, int len) {
        return Arrays.copyOf(hmacSha1(k1, Arrays.copyOfRange(buf, off, off + len)), ICV_LEN);
    }

    static boolean constantTimeEquals(byte[] a, byte[] b) {
        return MessageDigest.isEqual(a, b);
    }

    /**
     * Confidentiality pad (13.29): the plaintext is followed by pad bytes 1, 2, ... n and the byte n, so that the
     * whole is a multiple of 16.
     */
    static byte[] aesPad(byte[] plain) {
        int n = (AES_BLOCK - (plain.length + 1) % AES_BLOCK) % AES_BLOCK;
        byte[] out = Arrays.copyOf(plain, plain.length + n + 1);
        for (int i = 0; i < n; i++) {
            out[plain.length + i] = (byte) (i + 1);
        }
        out[out.length - 1] = (byte) n;
        return out;
    }

    /** Removes and checks the confidentiality pad; throws IllegalArgumentException when it is malformed. */
    static byte[] aesUnpad(byte[] padded) {
        if (padded.length == 0 || padded.length % AES_BLOCK != 0) {
            throw new IllegalArgumentException("confidentiality trailer length " + padded.length);
        }
        int n = padded[padded.length - 1] & 0xff;
        if (n >= AES_BLOCK || n + 1 > padded.length) {
            throw new IllegalArgumentException("confidentiality pad length " + n);
        }
        int dataLen = padded.length - 1 - n;
        for (int i = 0; i < n; i++) {
            if ((padded[dataLen + i] & 0xff) != i + 1) {
                throw new IllegalArgumentException("confidentiality pad byte " + i);
            }
        }
        return Arrays.copyOf(padded, dataLen);
    }

    /** IV followed by AES-CBC-128(K2[0..16], pad(plain)). */
    static byte[] encrypt(byte[] k2, byte[] iv, byte[] plain) {
        try {
            Cipher c = Cipher.getInstance("AES/CBC/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(k2, 0, 16, "AES"), new IvParameterSpec(iv));
            byte[] enc = c.doFinal(aesPad(plain));
            byte[] out = new byte[AES_BLOCK + enc.length];
            System.arraycopy(iv, 0, out, 0, AES_BLOCK);
            System.arraycopy(enc, 0, out, AES_BLOCK, enc.length);
            return out;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES/CBC unavailable", e);
        }
    }

    /** Inverse of {@link #encrypt}; throws IllegalArgumentException on malformed input. */
    static byte[] decrypt(byte[] k2, byte[] payload) {
        if (payload.length < 2 * AES_BLOCK || payload.length % AES_BLOCK != 0) {
            throw new IllegalArgumentException("encrypted payload length " + payload.length);
        }
        try {
            Cipher c = Cipher.getInstance("AES/CBC/NoPadding");
            c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(k2, 0, 16, "AES"),
                    new IvParameterSpec(payload, 0, AES_BLOCK));
            return aesUnpad(c.doFinal(payload, AES_BLOCK, payload.length - AES_BLOCK));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES/CBC unavailable", e);
        }
    }
}
