package dev.plinth.driver.ipmi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.plinth.api.BmcAddress;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * The pure parts: key derivation, padding, encryption, packet framing. Expected values were computed independently
 * with Python's hmac/hashlib and openssl (see the comments), not with this code.
 */
class IpmiCodecTest {
    private static final HexFormat HEX = HexFormat.of();
    private static final byte[] KUID = "secret".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] USER = "admin".getBytes(StandardCharsets.US_ASCII);
    private static final int SIDM = 0x11223344;
    private static final int SIDC = 0xA0B0C0D0;
    private static final byte ROLE = 0x14;

    private static byte[] range(int from, int to) {
        byte[] b = new byte[to - from];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (from + i);
        }
        return b;
    }

    private static final byte[] RM = range(0, 16);
    private static final byte[] RC = range(16, 32);
    private static final byte[] GUID = range(32, 48);

    // python3: hmac.new(b"secret", pack('<I',sidm)+pack('<I',sidc)+rm+rc+guid+bytes([0x14,5])+b"admin", sha1)
    @Test
    void rakp2AuthCodeMatchesIndependentVector() {
        assertThat(HEX.formatHex(IpmiCrypto.rakp2AuthCode(KUID, SIDM, SIDC, RM, RC, GUID, ROLE, USER)))
                .isEqualTo("2ed0d6b77042b9b79577c34f5e46f51678c70c97");
    }

    @Test
    void rakp3AuthCodeMatchesIndependentVector() {
        assertThat(HEX.formatHex(IpmiCrypto.rakp3AuthCode(KUID, RC, SIDM, ROLE, USER)))
                .isEqualTo("2e873fbfcd9caa8c56a77cc6897b3b5b724abfd1");
    }

    @Test
    void sessionKeysMatchIndependentVectors() {
        byte[] sik = IpmiCrypto.sik(KUID, RM, RC, ROLE, USER);
        assertThat(HEX.formatHex(sik)).isEqualTo("a39ae2b160a1e5efe017ffd6ec1a4ff8eeac6f54");
        assertThat(HEX.formatHex(IpmiCrypto.additionalKey(sik, 1)))
                .isEqualTo("58dbc1afa00eb3f9487c9eaef0dc7892cc43e496");
        assertThat(HEX.formatHex(IpmiCrypto.additionalKey(sik, 2)))
                .isEqualTo("8bd9b8ce0674b5d745ced91e728ac1a51464fcaf");
        assertThat(HEX.formatHex(IpmiCrypto.rakp4Icv(sik, RM, SIDC, GUID))).isEqualTo("bf02a157f161fb5872e1f53b");
    }

    @Test
    void confidentialityPadIsOneTwoThreeThenLength() {
        assertThat(HEX.formatHex(IpmiCrypto.aesPad(HEX.parseHex("2018c881040162"))))
                .isEqualTo("2018c881040162010203040506070808");
        assertThat(IpmiCrypto.aesPad(new byte[15])).hasSize(16).endsWith((byte) 0);
        assertThat(IpmiCrypto.aesPad(new byte[16])).hasSize(32).endsWith((byte) 15);
        for (int n = 0; n < 40; n++) {
            byte[] plain = range(100, 100 + n);
            assertThat(IpmiCrypto.aesUnpad(IpmiCrypto.aesPad(plain))).isEqualTo(plain);
        }
        assertThatThrownBy(() -> IpmiCrypto.aesUnpad(HEX.parseHex("2018c881040162010203040506070908")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    // openssl enc -aes-128-cbc -nopad -K 8bd9b8ce0674b5d745ced91e728ac1a5 -iv 000102...0f (padded plaintext above)
    @Test
    void aesCbcMatchesOpenssl() {
        byte[] k2 = HEX.parseHex("8bd9b8ce0674b5d745ced91e728ac1a51464fcaf");
        byte[] enc = IpmiCrypto.encrypt(k2, range(0, 16), HEX.parseHex("2018c881040162"));
        assertThat(HEX.formatHex(enc)).isEqualTo("000102030405060708090a0b0c0d0e0f456172fdd0c855bd247a4cd62336ab57");
        assertThat(HEX.formatHex(IpmiCrypto.decrypt(k2, enc))).isEqualTo("2018c881040162");
    }

    // python3: the same packet built by hand, HMAC-SHA1 with K1 over auth type .. next header, first 12 bytes
    @Test
    void authenticatedEncryptedPacketMatchesIndependentEncoding() {
        byte[] k1 = HEX.parseHex("58dbc1afa00eb3f9487c9eaef0dc7892cc43e496");
        byte[] k2 = HEX.parseHex("8bd9b8ce0674b5d745ced91e728ac1a51464fcaf");
        byte[] pkt = RmcpPacket.encodeV20(RmcpPacket.PT_IPMI, SIDC, 1, HEX.parseHex("2018c881040162"), k1, k2,
                range(0, 16));
        assertThat(HEX.formatHex(pkt)).isEqualTo("0600ff0706c0d0c0b0a0010000002000"
                + "000102030405060708090a0b0c0d0e0f456172fdd0c855bd247a4cd62336ab57"
                + "ffff02070653e76fff178eadee923966");

        RmcpPacket.Decoded d = RmcpPacket.decode(pkt, pkt.length, k1, k2);
        assertThat(d.v20()).isTrue();
        assertThat(d.authenticated()).isTrue();
        assertThat(d.encrypted()).isTrue();
        assertThat(d.sessionId()).isEqualTo(SIDC);
        assertThat(d.sequence()).isEqualTo(1);
        assertThat(HEX.formatHex(d.payload())).isEqualTo("2018c881040162");
    }

    @Test
    void tamperedOrUnverifiablePacketsAreRejected() {
        byte[] k1 = range(1, 21);
        byte[] k2 = range(2, 22);
        byte[] pkt = RmcpPacket.encodeV20(RmcpPacket.PT_IPMI, 7, 9, range(0, 9), k1, k2, range(0, 16));
        byte[] bad = pkt.clone();
        bad[20] ^= 1;
        assertThatThrownBy(() -> RmcpPacket.decode(bad, bad.length, k1, k2)).hasMessageContaining("integrity");
        assertThatThrownBy(() -> RmcpPacket.decode(pkt, pkt.length, range(3, 23), k2))
                .hasMessageContaining("integrity");
        assertThatThrownBy(() -> RmcpPacket.decode(pkt, pkt.length, null, null))
                .hasMessageContaining("outside an established session");
        assertThatThrownBy(() -> RmcpPacket.decode(pkt, 10, k1, k2)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RmcpPacket.decode(new byte[] {1, 2, 3, 4, 5}, 5, k1, k2))
                .hasMessageContaining("not an RMCP");
    }

    @Test
    void integrityPadMakesTheProtectedPartAMultipleOfFour() {
        for (int len = 0; len < 64; len++) {
            assertThat((12 + len + RmcpPacket.integrityPadLength(len) + 2) % 4).isZero();
            assertThat(RmcpPacket.integrityPadLength(len)).isBetween(0, 3);
        }
    }

    @Test
    void unauthenticatedPacketsRoundTrip() {
        byte[] v15 = RmcpPacket.encodeV15(range(0, 7));
        assertThat(HEX.formatHex(v15)).isEqualTo("0600ff0700000000000000000007000102030405 06".replace(" ", ""));
        RmcpPacket.Decoded d = RmcpPacket.decode(v15, v15.length, null, null);
        assertThat(d.v20()).isFalse();
        assertThat(d.payload()).isEqualTo(range(0, 7));

        byte[] v20 = RmcpPacket.encodeV20(RmcpPacket.PT_RAKP1, 0, 0, range(0, 5), null, null, null);
        assertThat(HEX.formatHex(v20)).isEqualTo("0600ff070612000000000000000005000001020304");
        RmcpPacket.Decoded e = RmcpPacket.decode(v20, v20.length, null, null);
        assertThat(e.payloadType()).isEqualTo(RmcpPacket.PT_RAKP1);
        assertThat(e.authenticated()).isFalse();
    }

    // Get Chassis Status, rqSeq 1: checksums computed by hand (0x100 - sum).
    @Test
    void ipmiMessageChecksums() {
        assertThat(HEX.formatHex(IpmiMessage.encodeRequest(0x00, 0x01, 1, new byte[0]))).isEqualTo("2000e08104017a");
        byte[] resp = HEX.parseHex("8104" + "7b" + "2004" + "01" + "00" + "010000" + "da");
        IpmiMessage.Response r = IpmiMessage.decodeResponse(resp);
        assertThat(r.netFn()).isEqualTo(0x01);
        assertThat(r.rqSeq()).isEqualTo(1);
        assertThat(r.cmd()).isEqualTo(1);
        assertThat(r.completionCode()).isZero();
        assertThat(r.data()).containsExactly(1, 0, 0);
        resp[7] = 0;
        assertThatThrownBy(() -> IpmiMessage.decodeResponse(resp)).hasMessageContaining("checksum");
    }

    @Test
    void bootFlagsEncoding() {
        assertThat(BootFlags.of(BootFlags.Selector.PXE, false, false).encode()).containsExactly(0x80, 0x04, 0, 0, 0);
        assertThat(BootFlags.of(BootFlags.Selector.DISK, true, false).encode()).containsExactly(0xc0, 0x08, 0, 0, 0);
        assertThat(BootFlags.of(BootFlags.Selector.PXE, true, true).encode()).containsExactly(0xe0, 0x04, 0, 0, 0);
        BootFlags f = BootFlags.decode(new byte[] {1, 5, (byte) 0xa0, 0x14, 0, 0, 0}, 2);
        assertThat(f).isEqualTo(new BootFlags(BootFlags.Selector.CDROM, true, false, true));
        assertThat(ChassisStatus.decode(new byte[] {1, 0, 0}).powerOn()).isTrue();
        assertThat(ChassisStatus.decode(new byte[] {0, 0, 0, 0}).powerOn()).isFalse();
    }

    @Test
    void endpointFromTheParsedAddress() {
        assertThat(IpmiEndpoint.of(BmcAddress.parse("ipmi://10.0.0.5"))).isEqualTo(new IpmiEndpoint("10.0.0.5", 623, null));
        assertThat(IpmiEndpoint.of(BmcAddress.parse("IPMI://BMC1.lab:9001")))
                .isEqualTo(new IpmiEndpoint("bmc1.lab", 9001, null));
        assertThat(IpmiEndpoint.of(BmcAddress.parse("ipmi://[::1]:700?bootMode=uefi")))
                .isEqualTo(new IpmiEndpoint("::1", 700, true));
        assertThat(IpmiEndpoint.of(BmcAddress.parse("ipmi://h?bootMode=Legacy")).efi()).isFalse();
        assertThat(IpmiEndpoint.of(BmcAddress.parse("ipmi://[::1]:700")).authority()).isEqualTo("[::1]:700");
        assertThatThrownBy(() -> IpmiEndpoint.of(BmcAddress.parse("redfish://h"))).hasMessageContaining("ipmi://");
        assertThatThrownBy(() -> BmcAddress.parse("ipmi://u:hunter2@h")).hasMessageNotContaining("hunter2");
        assertThatThrownBy(() -> BmcAddress.parse("http://u:hunter2@h")).hasMessageNotContaining("hunter2");
        assertThatThrownBy(() -> IpmiEndpoint.of(BmcAddress.parse("ipmi://h?bootMode=x")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void addressRulesNameEachProblemAndWhatIsExpected() {
        IpmiAddressRules rules = new IpmiAddressRules();
        assertThat(rules.schemes()).containsExactly("ipmi");
        assertThat(rules.problems(BmcAddress.parse("ipmi://h:624?bootMode=UEFI"))).isEmpty();
        assertThat(rules.problems(BmcAddress.parse("ipmi://h/redfish?bootMode=pxe&password=s3cret")))
                .containsExactly(
                        "BMC address has a path (/redfish), but IPMI takes none: expected"
                                + " ipmi://host[:port][?bootMode=uefi|legacy]",
                        "unsupported bootMode \"pxe\": expected uefi or legacy",
                        "unknown IPMI address option \"password\": expected only bootMode"
                                + " (ipmi://host[:port][?bootMode=uefi|legacy])");
    }
}
