package dev.plinth.driver.redfish;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.plinth.driver.DriverException;
import dev.plinth.driver.NodeTarget;
import dev.plinth.testkit.SushyFixture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Virtual media driver calls against sushy-emulator's fake system driver, which downloads the image from the URL it
 * is given, as a BMC does: insert, the same insert again (nothing sent), another image (ejected first), boot once
 * from CD, eject; cross-checked with the sushy client. Not a boot: the fake system runs nothing.
 */
class RedfishVirtualMediaIntegrationTest {
    private static SushyFixture bmc;
    private static HttpServer images;
    private static final AtomicInteger DOWNLOADS = new AtomicInteger();

    @BeforeAll
    static void start() throws Exception {
        bmc = SushyFixture.start(SushyFixture.Options.plain());
        images = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        images.createContext("/", ex -> {
            DOWNLOADS.incrementAndGet();
            byte[] iso = new byte[64 * 1024]; // the emulator stores what it fetched; the bytes do not matter to it
            ex.sendResponseHeaders(200, iso.length);
            ex.getResponseBody().write(iso);
            ex.close();
        });
        images.start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (images != null) {
            images.stop(0);
        }
        if (bmc != null) {
            bmc.close();
        }
    }

    private static String url(String name) {
        return "http://127.0.0.1:" + images.getAddress().getPort() + "/" + name;
    }

    private String sushyMedia() throws Exception {
        return bmc.sushy("m = conn.get_system('/redfish/v1/Systems/" + SushyFixture.SYSTEM_1
                + "').virtual_media.get_member('/redfish/v1/Systems/" + SushyFixture.SYSTEM_1 + "/VirtualMedia/Cd')\n"
                + "print(m.image or '-', m.inserted)");
    }

    @Test
    void insertBootOnceAndEjectAsSushySeesThem() throws Exception {
        try (RedfishPowerDriver driver = new RedfishPowerDriver(
                RedfishClientConfig.defaults().withMinInterval(Duration.ZERO), Tls.jdkDefault())) {
            NodeTarget n = RedfishSushyIntegrationTest.node(bmc.address(SushyFixture.SYSTEM_1), bmc.password());
            RedfishPowerDriver.Media empty = driver.media(n);
            assertThat(empty.path()).isEqualTo("/redfish/v1/Systems/" + SushyFixture.SYSTEM_1 + "/VirtualMedia/Cd");
            assertThat(empty.inserted()).isFalse();

            driver.insertMedia(n, url("deploy-a.iso"));
            assertThat(sushyMedia()).isEqualTo(url("deploy-a.iso") + " True");
            assertThat(driver.media(n)).isEqualTo(new RedfishPowerDriver.Media(empty.path(), url("deploy-a.iso"), true));
            int downloads = DOWNLOADS.get();
            driver.insertMedia(n, url("deploy-a.iso")); // already in: nothing sent
            assertThat(DOWNLOADS.get()).isEqualTo(downloads);

            driver.bootOnceFromMedia(n, url("deploy-b.iso")); // another image: the first is ejected
            assertThat(sushyMedia()).isEqualTo(url("deploy-b.iso") + " True");
            assertThat(bmc.sushyBoot(SushyFixture.SYSTEM_1)).startsWith("Cd ");
            assertThat(bmc.log()).contains("ejected from device Cd");

            driver.ejectMedia(n);
            assertThat(sushyMedia()).isEqualTo("- False");
            driver.ejectMedia(n); // already empty: fine
        }
    }

    @Test
    void anImageTheBmcCannotFetchIsAFailureNamingTheBmcMessage() throws Exception {
        try (RedfishPowerDriver driver = new RedfishPowerDriver(
                RedfishClientConfig.defaults().withMinInterval(Duration.ZERO), Tls.jdkDefault())) {
            NodeTarget n = RedfishSushyIntegrationTest.node(bmc.address(SushyFixture.SYSTEM_2), bmc.password());
            String gone = "http://127.0.0.1:" + SushyFixture.freeTcpPort() + "/missing.iso";
            DriverException e = org.assertj.core.api.Assertions.catchThrowableOfType(DriverException.class,
                    () -> driver.insertMedia(n, gone));
            assertThat(e.getMessage()).contains("VirtualMedia.InsertMedia").contains("answered HTTP 500")
                    .contains("Failed fetching image");
        }
    }
}
