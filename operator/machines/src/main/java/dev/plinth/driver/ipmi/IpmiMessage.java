package dev.plinth.driver.ipmi;

import java.util.Arrays;

/**
 * An IPMI request/response message as carried over LAN (IPMI v2.0 section 13.8): responder address, netFn/LUN,
 * checksum, requester address, sequence/LUN, command, data, checksum.
 */
final class IpmiMessage {
    static final int BMC_ADDR = 0x20;
    static final int CONSOLE_SWID = 0x81;

    static final int NETFN_CHASSIS = 0x00;
    static final int NETFN_APP = 0x06;

    private IpmiMessage() {}

    /** A decoded response; {@code data} excludes the completion code. */
    record Response(int netFn, int rqSeq, int cmd, int completionCode, byte[] data) {}

    /** Two's-complement checksum: the bytes and the checksum sum to zero (mod 256). */
    static int checksum(byte[] b, int off, int len) {
        int sum = 0;
        for (int i = off; i < off + len; i++) {
            sum += b[i] & 0xff;
        }
        return (-sum) & 0xff;
    }

    static byte[] encodeRequest(int netFn, int cmd, int rqSeq, byte[] data) {
        byte[] m = new byte[7 + data.length];
        m[0] = (byte) BMC_ADDR;
        m[1] = (byte) (netFn << 2);
        m[2] = (byte) checksum(m, 0, 2);
        m[3] = (byte) CONSOLE_SWID;
        m[4] = (byte) ((rqSeq & 0x3f) << 2);
        m[5] = (byte) cmd;
        System.arraycopy(data, 0, m, 6, data.length);
        m[m.length - 1] = (byte) checksum(m, 3, m.length - 4);
        return m;
    }

    /** @throws IllegalArgumentException when the message is too short or a checksum is wrong */
    static Response decodeResponse(byte[] m) {
        if (m.length < 8) {
            throw new IllegalArgumentException("IPMI response of " + m.length + " bytes");
        }
        if (checksum(m, 0, 2) != (m[2] & 0xff) || checksum(m, 3, m.length - 4) != (m[m.length - 1] & 0xff)) {
            throw new IllegalArgumentException("IPMI response checksum mismatch");
        }
        int netFn = (m[1] & 0xff) >> 2;
        int rqSeq = (m[4] & 0xff) >> 2;
        int cmd = m[5] & 0xff;
        int cc = m[6] & 0xff;
        return new Response(netFn, rqSeq, cmd, cc, Arrays.copyOfRange(m, 7, m.length - 1));
    }
}
