package dev.plinth.driver.ipmi;

import dev.plinth.driver.FailureKind;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.function.Function;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One IPMI v2.0 RMCP+ session with cipher suite 3 (RAKP-HMAC-SHA1, HMAC-SHA1-96, AES-CBC-128) over UDP.
 * Not thread-safe: {@link IpmiClient} serialises access. The password is kept only as bytes, never printed.
 */
public final class IpmiSession implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(IpmiSession.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    static final int CMD_GET_CHANNEL_AUTH_CAPABILITIES = 0x38;
    static final int CMD_SET_SESSION_PRIVILEGE = 0x3b;
    static final int CMD_CLOSE_SESSION = 0x3c;
    static final int PRIV_ADMINISTRATOR = 0x04;
    /** Requested role in RAKP 1: ADMINISTRATOR, name-only lookup. */
    private static final byte RAKP_ROLE = (byte) (0x10 | PRIV_ADMINISTRATOR);

    private final InetSocketAddress bmc;
    private final String endpoint;
    private final byte[] username;
    private final byte[] password;
    private final Duration responseTimeout;
    private final int retransmits;

    private DatagramSocket socket;
    private final byte[] receiveBuffer = new byte[2048];
    private boolean heardFromBmc;
    private boolean established;
    private boolean broken;
    private int consoleSid;
    private int bmcSid;
    private byte[] k1;
    private byte[] k2;
    private int outboundSeq;
    private int highestInboundSeq;
    private int rqSeq = RANDOM.nextInt(64);
    private int messageTag = RANDOM.nextInt(256);
    private long lastUsedNanos;

    IpmiSession(InetSocketAddress bmc, String username, byte[] password, Duration responseTimeout, int retransmits) {
        this.bmc = bmc;
        this.endpoint = bmc.getHostString() + ":" + bmc.getPort();
        this.username = username.getBytes(StandardCharsets.UTF_8);
        this.password = password;
        this.responseTimeout = responseTimeout;
        this.retransmits = retransmits;
    }

    /** Opens the session: channel capabilities, Open Session, RAKP 1-4, then privilege ADMINISTRATOR. */
    void open(long deadlineNanos) throws IpmiException {
        if (username.length > 16) {
            throw new IpmiException(FailureKind.AUTHENTICATION,
                    "BMC " + endpoint + ": user name longer than 16 bytes cannot be used with IPMI", false);
        }
        if (password.length > 20) {
            throw new IpmiException(FailureKind.AUTHENTICATION,
                    "BMC " + endpoint + ": password longer than 20 bytes cannot be used with IPMI v2.0", false);
        }
        if (bmc.isUnresolved()) {
            throw new IpmiException(FailureKind.UNREACHABLE, "BMC " + endpoint + ": cannot resolve host name", false);
        }
        try {
            socket = new DatagramSocket();
            socket.connect(bmc);
        } catch (IOException e) {
            throw new IpmiException(FailureKind.UNREACHABLE, "BMC " + endpoint + ": cannot open UDP socket: "
                    + e.getMessage(), false, -1, e);
        }
        try {
            getChannelAuthCapabilities(deadlineNanos);
            openSessionAndRakp(deadlineNanos);
            established = true;
            outboundSeq = 0;
            IpmiMessage.Response r = command(IpmiMessage.NETFN_APP, CMD_SET_SESSION_PRIVILEGE,
                    new byte[] {PRIV_ADMINISTRATOR}, deadlineNanos);
            if (r.completionCode() == 0x80 || r.completionCode() == 0x81 || r.completionCode() == 0xd4) {
                throw new IpmiException(FailureKind.AUTHENTICATION, "BMC " + endpoint + ": user "
                        + new String(username, StandardCharsets.UTF_8) + " may not use ADMINISTRATOR privilege"
                        + " (Set Session Privilege Level: " + CompletionCodes.hex(r.completionCode()) + ")", false);
            }
            if (r.completionCode() != 0) {
                throw completionFailure("Set Session Privilege Level", r.completionCode());
            }
            LOG.debug("IPMI session {} open to {}", Integer.toHexString(bmcSid), endpoint);
        } catch (IpmiException | RuntimeException e) {
            close(); // sends Close Session when RAKP completed and the session still works, so no slot leaks
            throw e;
        }
    }

    private void getChannelAuthCapabilities(long deadlineNanos) throws IpmiException {
        int seq = nextRqSeq();
        // 0x8E: ask for IPMI v2.0 extended data, channel "this one"; ADMINISTRATOR privilege.
        byte[] req = RmcpPacket.encodeV15(IpmiMessage.encodeRequest(IpmiMessage.NETFN_APP,
                CMD_GET_CHANNEL_AUTH_CAPABILITIES, seq, new byte[] {(byte) 0x8e, PRIV_ADMINISTRATOR}));
        IpmiMessage.Response r = exchange("Get Channel Authentication Capabilities", n -> req, d -> {
            if (d.v20() || d.payloadType() != RmcpPacket.PT_IPMI) {
                return null;
            }
            IpmiMessage.Response resp = IpmiMessage.decodeResponse(d.payload());
            return matches(resp, IpmiMessage.NETFN_APP, CMD_GET_CHANNEL_AUTH_CAPABILITIES, seq) ? resp : null;
        }, deadlineNanos);
        if (r.completionCode() != 0) {
            throw completionFailure("Get Channel Authentication Capabilities", r.completionCode());
        }
        byte[] d = r.data();
        if (d.length < 4 || (d[1] & 0x80) == 0 || (d[3] & 0x02) == 0) {
            throw new IpmiException(FailureKind.PROTOCOL,
                    "BMC " + endpoint + " does not offer IPMI v2.0 (RMCP+) on this channel", false);
        }
    }

    private void openSessionAndRakp(long deadlineNanos) throws IpmiException {
        consoleSid = RANDOM.nextInt() | 1; // never zero
        int tag = nextTag();
        ByteBuffer open = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
        open.put((byte) tag).put((byte) PRIV_ADMINISTRATOR).putShort((short) 0).putInt(consoleSid);
        open.put(new byte[] {0x00, 0, 0, 0x08, 0x01, 0, 0, 0});  // authentication: RAKP-HMAC-SHA1
        open.put(new byte[] {0x01, 0, 0, 0x08, 0x01, 0, 0, 0});  // integrity: HMAC-SHA1-96
        open.put(new byte[] {0x02, 0, 0, 0x08, 0x01, 0, 0, 0});  // confidentiality: AES-CBC-128
        byte[] openPacket = RmcpPacket.encodeV20(RmcpPacket.PT_OPEN_SESSION_REQUEST, 0, 0, open.array(),
                null, null, null);
        byte[] openResp = exchange("Open Session", n -> openPacket,
                d -> preSession(d, RmcpPacket.PT_OPEN_SESSION_RESPONSE, tag), deadlineNanos);
        checkStatus("Open Session", openResp[1] & 0xff);
        if (openResp.length < 36) {
            throw protocol("Open Session response of " + openResp.length + " bytes");
        }
        ByteBuffer ob = ByteBuffer.wrap(openResp).order(ByteOrder.LITTLE_ENDIAN);
        if (ob.getInt(4) != consoleSid) {
            throw protocol("Open Session response for another console session");
        }
        bmcSid = ob.getInt(8);
        if (openResp[16] != 0x01 || openResp[24] != 0x01 || openResp[32] != 0x01) {
            throw protocol("BMC did not accept cipher suite 3 (RAKP-HMAC-SHA1, HMAC-SHA1-96, AES-CBC-128)");
        }

        // RAKP 1 / 2
        byte[] consoleRandom = new byte[16];
        RANDOM.nextBytes(consoleRandom);
        int tag1 = nextTag();
        ByteBuffer r1 = ByteBuffer.allocate(28 + username.length).order(ByteOrder.LITTLE_ENDIAN);
        r1.put((byte) tag1).put(new byte[3]).putInt(bmcSid).put(consoleRandom).put(RAKP_ROLE).putShort((short) 0)
                .put((byte) username.length).put(username);
        byte[] rakp1 = RmcpPacket.encodeV20(RmcpPacket.PT_RAKP1, 0, 0, r1.array(), null, null, null);
        byte[] rakp2 = exchange("RAKP 1", n -> rakp1, d -> preSession(d, RmcpPacket.PT_RAKP2, tag1), deadlineNanos);
        checkStatus("RAKP 2", rakp2[1] & 0xff);
        if (rakp2.length < 60) {
            throw protocol("RAKP 2 message of " + rakp2.length + " bytes (expected 60 for RAKP-HMAC-SHA1)");
        }
        ByteBuffer b2 = ByteBuffer.wrap(rakp2).order(ByteOrder.LITTLE_ENDIAN);
        if (b2.getInt(4) != consoleSid) {
            throw protocol("RAKP 2 for another console session");
        }
        byte[] bmcRandom = Arrays.copyOfRange(rakp2, 8, 24);
        byte[] bmcGuid = Arrays.copyOfRange(rakp2, 24, 40);
        byte[] expected = IpmiCrypto.rakp2AuthCode(password, consoleSid, bmcSid, consoleRandom, bmcRandom, bmcGuid,
                RAKP_ROLE, username);
        if (!IpmiCrypto.constantTimeEquals(expected, Arrays.copyOfRange(rakp2, 40, 60))) {
            // Tell the BMC, so that it frees the half-open session at once; no answer is awaited.
            sendQuietly(rakp3(nextTag(), 0x0f, new byte[0]));
            throw new IpmiException(FailureKind.AUTHENTICATION, "BMC " + endpoint + " rejected the credentials"
                    + " (RAKP 2 key exchange code does not match: wrong password for user "
                    + new String(username, StandardCharsets.UTF_8) + ")", false);
        }

        // RAKP 3 / 4
        byte[] sik = IpmiCrypto.sik(password, consoleRandom, bmcRandom, RAKP_ROLE, username);
        int tag3 = nextTag();
        byte[] rakp3 = rakp3(tag3, 0, IpmiCrypto.rakp3AuthCode(password, bmcRandom, consoleSid, RAKP_ROLE, username));
        byte[] rakp4 = exchange("RAKP 3", n -> rakp3, d -> preSession(d, RmcpPacket.PT_RAKP4, tag3), deadlineNanos);
        checkStatus("RAKP 4", rakp4[1] & 0xff);
        if (rakp4.length < 8 + IpmiCrypto.ICV_LEN) {
            throw protocol("RAKP 4 message of " + rakp4.length + " bytes");
        }
        byte[] icv = IpmiCrypto.rakp4Icv(sik, consoleRandom, bmcSid, bmcGuid);
        if (!IpmiCrypto.constantTimeEquals(icv, Arrays.copyOfRange(rakp4, 8, 8 + IpmiCrypto.ICV_LEN))) {
            throw new IpmiException(FailureKind.AUTHENTICATION, "BMC " + endpoint + " rejected the credentials"
                    + " (RAKP 4 integrity check value does not match: is a BMC key (Kg) set?)", false);
        }
        k1 = IpmiCrypto.additionalKey(sik, 1);
        k2 = IpmiCrypto.additionalKey(sik, 2);
    }

    private byte[] rakp3(int tag, int status, byte[] authCode) {
        ByteBuffer b = ByteBuffer.allocate(8 + authCode.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) tag).put((byte) status).putShort((short) 0).putInt(bmcSid).put(authCode);
        return RmcpPacket.encodeV20(RmcpPacket.PT_RAKP3, 0, 0, b.array(), null, null, null);
    }

    /** Matches an unauthenticated session-setup reply of the given payload type and message tag. */
    private static byte[] preSession(RmcpPacket.Decoded d, int payloadType, int tag) {
        if (!d.v20() || d.payloadType() != payloadType || d.sessionId() != 0 || d.payload().length < 8
                || (d.payload()[0] & 0xff) != tag) {
            return null;
        }
        return d.payload();
    }

    private void checkStatus(String step, int status) throws IpmiException {
        if (status == 0) {
            return;
        }
        String what = step + " status " + CompletionCodes.hex(status) + ": " + CompletionCodes.describeRmcpStatus(status);
        if (CompletionCodes.authStatus(status)) {
            throw new IpmiException(FailureKind.AUTHENTICATION,
                    "BMC " + endpoint + " rejected the credentials (" + what + ")", false);
        }
        boolean busy = status == 0x01 || status == 0x0b;
        throw new IpmiException(FailureKind.PROTOCOL, "BMC " + endpoint + " refused the session (" + what + ")", busy);
    }

    /**
     * Sends one command inside the session and returns the matching response (whatever its completion code).
     * Retransmits on silence; never returns a response to another request.
     */
    IpmiMessage.Response command(int netFn, int cmd, byte[] data, long deadlineNanos) throws IpmiException {
        if (!established || broken) {
            throw new IpmiException(FailureKind.PROTOCOL, "BMC " + endpoint + ": session is not open", true);
        }
        int seq = nextRqSeq();
        byte[] msg = IpmiMessage.encodeRequest(netFn, cmd, seq, data);
        try {
            IpmiMessage.Response r = exchange(commandName(netFn, cmd), attempt -> {
                byte[] iv = new byte[IpmiCrypto.AES_BLOCK];
                RANDOM.nextBytes(iv);
                // Every transmission, retransmissions included, carries a fresh session sequence number.
                return RmcpPacket.encodeV20(RmcpPacket.PT_IPMI, bmcSid, nextOutboundSeq(), msg, k1, k2, iv);
            }, d -> {
                if (!d.v20() || d.payloadType() != RmcpPacket.PT_IPMI || !d.authenticated() || !d.encrypted()
                        || d.sessionId() != consoleSid || !freshInbound(d.sequence())) {
                    return null;
                }
                IpmiMessage.Response resp = IpmiMessage.decodeResponse(d.payload());
                return matches(resp, netFn, cmd, seq) ? resp : null;
            }, deadlineNanos);
            lastUsedNanos = System.nanoTime();
            return r;
        } catch (IpmiException e) {
            broken = true;
            throw e;
        }
    }

    /**
     * Replay protection for authenticated packets (13.28.2 asks for a sliding window): sequence 0 is never valid,
     * and a number 16 or more below the highest seen is rejected. Exact duplicates inside the window are caught by
     * the request/response matching.
     */
    private boolean freshInbound(int inboundSeq) {
        if (inboundSeq == 0) {
            return false;
        }
        if (highestInboundSeq != 0 && inboundSeq - highestInboundSeq <= -16) {
            return false;
        }
        if (highestInboundSeq == 0 || inboundSeq - highestInboundSeq > 0) {
            highestInboundSeq = inboundSeq;
        }
        return true;
    }

    private static boolean matches(IpmiMessage.Response r, int netFn, int cmd, int seq) {
        return r.netFn() == netFn + 1 && r.cmd() == cmd && r.rqSeq() == (seq & 0x3f);
    }

    /**
     * Sends what {@code encoder} produces and waits for a datagram that {@code matcher} accepts (non-null),
     * retransmitting after each silent response timeout. Malformed or unmatched datagrams are ignored.
     */
    private <T> T exchange(String step, IntFunction<byte[]> encoder, Function<RmcpPacket.Decoded, T> matcher,
                           long deadlineNanos) throws IpmiException {
        int sends = 0;
        long start = System.nanoTime();
        while (sends <= retransmits) {
            long now = System.nanoTime();
            if (now - deadlineNanos >= 0) {
                break;
            }
            byte[] out = encoder.apply(sends);
            sends++;
            try {
                socket.send(new DatagramPacket(out, out.length));
            } catch (PortUnreachableException e) {
                throw unreachable(step, e);
            } catch (IOException e) {
                throw new IpmiException(FailureKind.UNREACHABLE, "BMC " + endpoint + ": cannot send " + step + ": "
                        + e.getMessage(), false, -1, e);
            }
            long waitUntil = Math.min(System.nanoTime() + responseTimeout.toNanos(), deadlineNanos);
            T result = receiveUntil(step, matcher, waitUntil);
            if (result != null) {
                heardFromBmc = true;
                return result;
            }
        }
        long ms = Duration.ofNanos(System.nanoTime() - start).toMillis();
        if (!heardFromBmc) {
            throw new IpmiException(FailureKind.UNREACHABLE, "BMC " + endpoint + " did not answer " + step + " ("
                    + sends + " datagram(s) over " + ms + " ms)", false);
        }
        String hint = step.equals("Open Session") ? "; it may have no free session slot" : "";
        throw new IpmiException(FailureKind.TIMEOUT, "BMC " + endpoint + " did not answer " + step + " ("
                + sends + " datagram(s) over " + ms + " ms" + hint + ")", true);
    }

    private <T> T receiveUntil(String step, Function<RmcpPacket.Decoded, T> matcher, long untilNanos)
            throws IpmiException {
        DatagramPacket p = new DatagramPacket(receiveBuffer, receiveBuffer.length);
        while (true) {
            long remainingMs = Duration.ofNanos(untilNanos - System.nanoTime()).toMillis();
            if (remainingMs <= 0) {
                return null;
            }
            try {
                socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, remainingMs));
                p.setLength(receiveBuffer.length);
                socket.receive(p);
            } catch (SocketTimeoutException e) {
                return null;
            } catch (PortUnreachableException e) {
                throw unreachable(step, e);
            } catch (IOException e) {
                throw new IpmiException(FailureKind.UNREACHABLE, "BMC " + endpoint + ": receive failed during "
                        + step + ": " + e.getMessage(), false, -1, e);
            }
            try {
                RmcpPacket.Decoded d = RmcpPacket.decode(p.getData(), p.getLength(), k1, k2);
                T result = matcher.apply(d);
                if (result != null) {
                    return result;
                }
                LOG.trace("BMC {}: ignored an unmatched datagram during {}", endpoint, step);
            } catch (IllegalArgumentException e) {
                LOG.trace("BMC {}: ignored a datagram during {}: {}", endpoint, step, e.getMessage());
            }
        }
    }

    private IpmiException unreachable(String step, Exception e) {
        return new IpmiException(FailureKind.UNREACHABLE, "BMC " + endpoint + " is unreachable (" + step
                + ": ICMP port unreachable; nothing listens on that UDP port)", false, -1, e);
    }

    private IpmiException protocol(String what) {
        return new IpmiException(FailureKind.PROTOCOL, "BMC " + endpoint + ": " + what, false);
    }

    IpmiException completionFailure(String what, int cc) {
        return new IpmiException(FailureKind.PROTOCOL, "BMC " + endpoint + ": " + what + " failed with completion code "
                + CompletionCodes.hex(cc) + " (" + CompletionCodes.describe(cc) + ")",
                CompletionCodes.transientCode(cc), cc, null);
    }

    private static String commandName(int netFn, int cmd) {
        if (netFn == IpmiMessage.NETFN_CHASSIS) {
            switch (cmd) {
                case 0x01: return "Get Chassis Status";
                case 0x02: return "Chassis Control";
                case 0x08: return "Set System Boot Options";
                case 0x09: return "Get System Boot Options";
                default: break;
            }
        } else if (netFn == IpmiMessage.NETFN_APP) {
            if (cmd == CMD_SET_SESSION_PRIVILEGE) {
                return "Set Session Privilege Level";
            }
            if (cmd == CMD_CLOSE_SESSION) {
                return "Close Session";
            }
        }
        return "command netfn " + CompletionCodes.hex(netFn) + " cmd " + CompletionCodes.hex(cmd);
    }

    private int nextRqSeq() {
        rqSeq = (rqSeq + 1) & 0x3f;
        return rqSeq;
    }

    private int nextTag() {
        messageTag = (messageTag + 1) & 0xff;
        return messageTag;
    }

    private int nextOutboundSeq() {
        outboundSeq++;
        if (outboundSeq == 0) { // wrapped: the spec forbids reuse; force a new session afterwards
            broken = true;
            outboundSeq = 1;
        }
        return outboundSeq;
    }

    private void sendQuietly(byte[] packet) {
        try {
            socket.send(new DatagramPacket(packet, packet.length));
        } catch (IOException | RuntimeException e) {
            LOG.trace("BMC {}: could not send: {}", endpoint, e.getMessage());
        }
    }

    /** Whether commands can be sent (open, and no failure seen since). */
    boolean usable() {
        return established && !broken && socket != null && !socket.isClosed();
    }

    long lastUsedNanos() {
        return lastUsedNanos;
    }

    /** Closes the session politely when it is healthy (one Close Session, short wait), then the socket. */
    @Override
    public void close() {
        if (usable()) {
            try {
                long deadline = System.nanoTime() + Math.min(responseTimeout.toNanos(), Duration.ofMillis(500).toNanos());
                command(IpmiMessage.NETFN_APP, CMD_CLOSE_SESSION, IpmiCrypto.le32(bmcSid), deadline);
            } catch (IpmiException e) {
                LOG.debug("BMC {}: Close Session not confirmed: {}", endpoint, e.getMessage());
            }
        }
        abandon();
    }

    /** Drops the session without telling the BMC (it times the session out itself). */
    void abandon() {
        established = false;
        if (k1 != null) {
            Arrays.fill(k1, (byte) 0);
        }
        if (k2 != null) {
            Arrays.fill(k2, (byte) 0);
        }
        k1 = null;
        k2 = null;
        if (socket != null) {
            socket.close();
        }
    }

    @Override
    public String toString() {
        return "IpmiSession[" + new String(username, StandardCharsets.UTF_8) + "@" + endpoint
                + (usable() ? ", open" : ", closed") + "]";
    }
}
