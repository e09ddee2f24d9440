package dev.plinth.json;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plinth.api.BmcAddress;
import dev.plinth.api.BmcSpec;
import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void aBmcAddressIsStoredAsTheTextItWasParsedFrom() {
        BmcSpec spec = BmcSpec.of("IPMI://10.0.0.1:623?bootMode=uefi", "bmc-a", true);
        String json = Json.write(spec);
        // the same shape as when the address was a string, so state written before still reads
        assertThat(json).isEqualTo("{\"address\":\"IPMI://10.0.0.1:623?bootMode=uefi\",\"credentialsName\":\"bmc-a\","
                + "\"disableCertificateVerification\":true}");
        BmcSpec back = Json.read(json, BmcSpec.class);
        assertThat(back).isEqualTo(spec);
        assertThat(back.address().scheme()).isEqualTo("ipmi");
        assertThat(back.address().options()).containsEntry("bootMode", "uefi");
        assertThat(Json.read("{\"address\":null,\"credentialsName\":\"x\"}", BmcSpec.class).address()).isNull();
        assertThat(Json.read("\"ipmi://h\"", BmcAddress.class).port()).isEqualTo(623);
    }

    @Test
    void aVirtualMediaBmcKeepsItsBootMethodAndDeployNetwork() {
        BmcSpec spec = BmcSpec.of("redfish+https://10.0.0.1/redfish/v1/Systems/1", "bmc-a", false)
                .withVirtualMedia(new dev.plinth.api.DeployNetwork("192.0.2.10/24", null));
        String json = Json.write(spec);
        assertThat(json).contains("\"bootMethod\":\"VIRTUAL_MEDIA\"", "\"address\":\"192.0.2.10/24\"");
        assertThat(Json.read(json, BmcSpec.class)).isEqualTo(spec);
        // written before virtual media: network boot
        assertThat(Json.read("{\"address\":\"ipmi://h\",\"credentialsName\":\"x\"}", BmcSpec.class).bootMethod())
                .isEqualTo(dev.plinth.api.BootMethod.PXE);
    }
}
