package dev.plinth.driver.ipmi;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * RMCP framing with an IPMI v1.5 (pre-session only) or IPMI v2.0 / RMCP+ session header (IPMI v2.0 section 13.6,
 * 13.8). Encoding and decoding only; no I/O.
 */
final class RmcpPacket {
    static final int AUTH_NONE = 0x00;
    static final int AUTH_RMCPP = 0x06;

    static final int PT_IPMI = 0x00;
    static final int PT_OPEN_SESSION_REQUEST = 0x10;
    static final int PT_OPEN_SESSION_RESPONSE = 0x11;
    static final int PT_RAKP1 = 0x12;
    static final int PT_RAKP2 = 0x13;
    static final int PT_RAKP3 = 0x14;
    static final int PT_RAKP4 = 0x15;

    private static final int RMCP_HEADER_LEN = 4;
    private static final int V20_HEADER_LEN = 12; // auth type, payload type, session id, sequence, length
    private static final byte NEXT_HEADER = 0x07;

    private RmcpPacket() {}

    /** A decoded datagram: the session header fields and the (decrypted) payload. */
    record Decoded(boolean v20, int payloadType, boolean authenticated, boolean encrypted, int sessionId,
                   int sequence, byte[] payload) {}

    private static void rmcpHeader(ByteArrayOutputStream out) {
        out.write(0x06); // RMCP version 1.0
        out.write(0x00); // reserved
        out.write(0xff); // sequence: no RMCP ACK
        out.write(0x07); // class: IPMI
    }

    /** An IPMI message outside any session (authentication type none, session id 0). */
    static byte[] encodeV15(byte[] ipmiMessage) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(14 + ipmiMessage.length);
        rmcpHeader(out);
        out.write(AUTH_NONE);
        out.writeBytes(new byte[8]); // session sequence, session id
        out.write(ipmiMessage.length);
        out.writeBytes(ipmiMessage);
        return out.toByteArray();
    }

    /**
     * An RMCP+ packet. With {@code k1} the packet is authenticated (HMAC-SHA1-96); with {@code k2} its payload is
     * encrypted (AES-CBC-128) using {@code iv}.
     */
    static byte[] encodeV20(int payloadType, int sessionId, int sequence, byte[] payload, byte[] k1, byte[] k2,
                            byte[] iv) {
        byte[] body = k2 == null ? payload : IpmiCrypto.encrypt(k2, iv, payload);
        int typeByte = payloadType & 0x3f;
        if (k2 != null) {
            typeByte |= 0x80;
        }
        if (k1 != null) {
            typeByte |= 0x40;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 + body.length);
        rmcpHeader(out);
        ByteBuffer h = ByteBuffer.allocate(V20_HEADER_LEN).order(ByteOrder.LITTLE_ENDIAN);
        h.put((byte) AUTH_RMCPP).put((byte) typeByte).putInt(sessionId).putInt(sequence).putShort((short) body.length);
        out.writeBytes(h.array());
        out.writeBytes(body);
        if (k1 != null) {
            int pad = integrityPadLength(body.length);
            for (int i = 0; i < pad; i++) {
                out.write(0xff);
            }
            out.write(pad);
            out.write(NEXT_HEADER);
            byte[] sofar = out.toByteArray();
            out.writeBytes(IpmiCrypto.hmacSha196(k1, sofar, RMCP_HEADER_LEN, sofar.length - RMCP_HEADER_LEN));
        }
        return out.toByteArray();
    }

    /** Bytes of 0xFF so that session header + payload + pad + pad length + next header is a multiple of 4. */
    static int integrityPadLength(int payloadLength) {
        int unpadded = V20_HEADER_LEN + payloadLength + 2;
        return (4 - unpadded % 4) % 4;
    }

    /**
     * Decodes one datagram. Integrity is verified with {@code k1} and the payload decrypted with {@code k2} when the
     * packet says so; a packet claiming protection that cannot be checked is rejected.
     *
     * @throws IllegalArgumentException for anything malformed, unverifiable or not IPMI
     */
    static Decoded decode(byte[] buf, int len, byte[] k1, byte[] k2) {
        if (len < RMCP_HEADER_LEN + 1 || buf[0] != 0x06 || (buf[3] & 0x1f) != 0x07) {
            throw new IllegalArgumentException("not an RMCP/IPMI datagram");
        }
        ByteBuffer b = ByteBuffer.wrap(buf, 0, len).order(ByteOrder.LITTLE_ENDIAN);
        b.position(RMCP_HEADER_LEN);
        int authType = b.get() & 0x0f;
        if (authType == AUTH_RMCPP) {
            return decodeV20(buf, len, b, k1, k2);
        }
        if (authType != AUTH_NONE) {
            throw new IllegalArgumentException("unsupported IPMI v1.5 authentication type " + authType);
        }
        need(b, 9);
        int seq = b.getInt();
        int sid = b.getInt();
        int msgLen = b.get() & 0xff;
        need(b, msgLen);
        byte[] msg = new byte[msgLen];
        b.get(msg);
        return new Decoded(false, PT_IPMI, false, false, sid, seq, msg);
    }

    private static Decoded decodeV20(byte[] buf, int len, ByteBuffer b, byte[] k1, byte[] k2) {
        need(b, 11);
        int typeByte = b.get() & 0xff;
        boolean encrypted = (typeByte & 0x80) != 0;
        boolean authenticated = (typeByte & 0x40) != 0;
        int payloadType = typeByte & 0x3f;
        if (payloadType == 0x02) {
            throw new IllegalArgumentException("OEM payloads are not supported");
        }
        int sid = b.getInt();
        int seq = b.getInt();
        int payloadLen = b.getShort() & 0xffff;
        need(b, payloadLen);
        int payloadOff = b.position();
        if (authenticated) {
            if (k1 == null) {
                throw new IllegalArgumentException("authenticated packet outside an established session");
            }
            int trailerEnd = len - IpmiCrypto.ICV_LEN; // just after the next-header byte
            int pad = integrityPadLength(payloadLen);
            if (trailerEnd != payloadOff + payloadLen + pad + 2 || (buf[trailerEnd - 2] & 0xff) != pad
                    || buf[trailerEnd - 1] != NEXT_HEADER) {
                throw new IllegalArgumentException("malformed integrity trailer");
            }
            byte[] expected = IpmiCrypto.hmacSha196(k1, buf, RMCP_HEADER_LEN, trailerEnd - RMCP_HEADER_LEN);
            byte[] actual = Arrays.copyOfRange(buf, trailerEnd, len);
            if (!IpmiCrypto.constantTimeEquals(expected, actual)) {
                throw new IllegalArgumentException("integrity check failed");
            }
        }
        byte[] payload = Arrays.copyOfRange(buf, payloadOff, payloadOff + payloadLen);
        if (encrypted) {
            if (k2 == null) {
                throw new IllegalArgumentException("encrypted packet outside an established session");
            }
            payload = IpmiCrypto.decrypt(k2, payload);
        }
        return new Decoded(true, payloadType, authenticated, encrypted, sid, seq, payload);
    }

    private static void need(ByteBuffer b, int n) {
        if (b.remaining() < n) {
            throw new IllegalArgumentException("truncated datagram");
        }
    }
}
