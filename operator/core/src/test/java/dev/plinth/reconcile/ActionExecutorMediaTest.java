package dev.plinth.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plinth.api.BmcSpec;
import dev.plinth.core.Action;
import dev.plinth.core.Outcome;
import dev.plinth.driver.BootDevice;
import dev.plinth.driver.BootDriver;
import dev.plinth.driver.DeployRequest;
import dev.plinth.driver.DriverException;
import dev.plinth.driver.Drivers;
import dev.plinth.driver.FailureKind;
import dev.plinth.driver.NodeTarget;
import dev.plinth.driver.PowerDriver;
import dev.plinth.driver.PowerState;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The order of the driver calls of a virtual media boot, and that the ISO's URL (a credential) never reaches the
 * node's message. The calls against a real BMC and agent service are RedfishVirtualMediaDeployTest's (machines).
 */
class ActionExecutorMediaTest {
    private static final String URL = "http://10.0.0.1:8080/v1/media/" + "ab".repeat(32) + ".iso";
    private final List<String> calls = new ArrayList<>();
    private String insertFails;

    private final PowerDriver power = new PowerDriver() {
        public PowerState powerState(NodeTarget n) { return PowerState.OFF; }
        public void powerOn(NodeTarget n) { calls.add("powerOn"); }
        public void powerOff(NodeTarget n) { calls.add("powerOff"); }
        public void reboot(NodeTarget n) { calls.add("reboot"); }
        public void setBootDevice(NodeTarget n, BootDevice d, boolean persistent) {
            calls.add("boot " + d + (persistent ? " persistent" : " once"));
        }
        @Override
        public void insertMedia(NodeTarget n, String url) throws DriverException {
            if (insertFails != null) {
                throw new DriverException(FailureKind.PROTOCOL, insertFails);
            }
            calls.add("insert " + url);
        }
        @Override
        public void ejectMedia(NodeTarget n) { calls.add("eject"); }
    };

    private final BootDriver boot = new BootDriver() {
        public void prepareDeployBoot(NodeTarget n, DeployRequest d) { calls.add("prepare"); }
        @Override
        public void openDeployBootWindow(NodeTarget n) { calls.add("window"); }
        @Override
        public String publishDeployMedia(NodeTarget n) { calls.add("publish"); return URL; }
        public void prepareLocalBoot(NodeTarget n) { calls.add("local"); }
        public void cleanUp(NodeTarget n) { calls.add("cleanUp"); }
    };

    private final ActionExecutor executor = new ActionExecutor(new Drivers(power, boot, null));
    private final NodeTarget node = new NodeTarget("n", BmcSpec.of("redfish+http://10.0.0.9/redfish/v1/Systems/1",
            "bmc", false).withVirtualMedia(null), null, "52:54:00:00:00:01");

    @Test
    void aWindowThenTheIsoThenTheCdOnceAndTheEjectBeforeTheDisk() {
        assertThat(executor.execute(new Action.BootFromMedia(), node)).isEqualTo(Outcome.DONE);
        assertThat(calls).containsExactly("window", "publish", "insert " + URL, "boot CD once");
        calls.clear();
        assertThat(executor.execute(new Action.SwitchToLocalBoot(true), node)).isEqualTo(Outcome.DONE);
        assertThat(calls).containsExactly("eject", "local", "boot DISK persistent");
    }

    @Test
    void aBmcErrorQuotingTheIsoUrlIsRedacted() {
        insertFails = "VirtualMedia.InsertMedia answered HTTP 500: Failed fetching image from URL " + URL
                + ": timeout; also tried " + URL.substring(URL.lastIndexOf('/') + 1);
        Outcome o = executor.execute(new Action.BootFromMedia(), node);
        assertThat(o).isInstanceOf(Outcome.Failed.class);
        String message = ((Outcome.Failed) o).message();
        assertThat(message).doesNotContain("abab").contains("Failed fetching image from URL <the deploy ISO's URL>")
                .contains("also tried <the deploy ISO>");
        assertThat(calls).as("no boot override without the CD").doesNotContain("boot CD once");
    }
}
