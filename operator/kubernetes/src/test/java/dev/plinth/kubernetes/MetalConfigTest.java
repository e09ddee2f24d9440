package dev.plinth.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetalConfigTest {
    @TempDir
    Path tmp;

    private Map<String, String> env() throws Exception {
        Map<String, String> env = new HashMap<>();
        env.put("PLINTH_ADVERTISED_URL", "http://10.0.0.2:8081");
        env.put("PLINTH_RAMDISK_KERNEL", Files.writeString(tmp.resolve("vmlinuz"), "k").toString());
        env.put("PLINTH_RAMDISK_INITRD", Files.writeString(tmp.resolve("initrd"), "i").toString());
        env.put("POD_NAMESPACE", "plinth");
        return env;
    }

    @Test
    void defaultsAsTheChartDocumentsThem() throws Exception {
        Map<String, String> env = env();
        env.put("PLINTH_IMAGE_ROOTS", "/srv/a: /srv/b");
        MetalConfig c = MetalConfig.fromEnv(env);
        assertThat(c.listenHost()).isEqualTo("0.0.0.0");
        assertThat(c.listenPort()).isEqualTo(8081);
        assertThat(c.tlsPort()).isEqualTo(8443);
        assertThat(c.stateDir()).isEqualTo(Path.of("/var/lib/plinth"));
        assertThat(c.imageRoots()).containsExactly(Path.of("/srv/a"), Path.of("/srv/b"));
        assertThat(c.registryNamespace()).isEqualTo("plinth");
        assertThat(c.registrySecret()).isEqualTo("plinth-agent-registry");
        assertThat(c.keysSecret()).isEqualTo("plinth-provisioning-keys");
        env.put("PLINTH_PROVISIONING_SECRET", "keys");
        assertThat(MetalConfig.fromEnv(env).keysSecret()).isEqualTo("keys");
    }

    @Test
    void badInputIsAnErrorNamingTheVariable() throws Exception {
        for (var bad : List.of(Map.entry("PLINTH_ADVERTISED_URL", "https://10.0.0.2"),
                Map.entry("PLINTH_PROVISIONING_LISTEN", "8081"),
                Map.entry("PLINTH_PROVISIONING_LISTEN", "0.0.0.0:http"),
                Map.entry("PLINTH_PROVISIONING_TLS_PORT", "0"),
                Map.entry("PLINTH_RAMDISK_INITRD", tmp.resolve("missing").toString()),
                Map.entry("POD_NAMESPACE", " "))) {
            Map<String, String> env = env();
            env.put(bad.getKey(), bad.getValue());
            assertThatThrownBy(() -> MetalConfig.fromEnv(env)).as(bad.toString())
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(bad.getKey());
        }
        assertThat(OperatorMain.metal(Map.of())).as("the FAKE driver by default").isNull();
        assertThat(OperatorMain.metal(env())).as("fake unless asked").isNull();
        Map<String, String> ipmi = env();
        ipmi.put("PLINTH_DRIVER", "ipmi");
        assertThat(OperatorMain.metal(ipmi).advertisedUrl()).isEqualTo("http://10.0.0.2:8081");
        assertThatThrownBy(() -> OperatorMain.metal(Map.of("PLINTH_DRIVER", "redfish")))
                .hasMessageContaining("PLINTH_DRIVER=redfish: expected ipmi");
        Map<String, String> env = env();
        env.remove("PLINTH_RAMDISK_KERNEL");
        assertThatThrownBy(() -> MetalConfig.fromEnv(env)).hasMessageContaining("PLINTH_RAMDISK_KERNEL");
    }

    @Test
    void shutdownTimeoutFromTheEnvironment() {
        assertThat(OperatorMain.lifecycle(Map.of()).shutdownTimeout()).as("standalone's default")
                .isEqualTo(dev.plinth.core.LifecycleConfig.DEFAULT.shutdownTimeout());
        assertThat(OperatorMain.lifecycle(Map.of("PLINTH_SHUTDOWN_TIMEOUT_SECONDS", " 300 ")).shutdownTimeout())
                .isEqualTo(java.time.Duration.ofMinutes(5));
        for (String bad : new String[] {"5m", "-1", ""}) {
            assertThatThrownBy(() -> OperatorMain.lifecycle(Map.of("PLINTH_SHUTDOWN_TIMEOUT_SECONDS", bad)))
                    .as(bad).hasMessageContaining("PLINTH_SHUTDOWN_TIMEOUT_SECONDS=" + bad + ": expected a whole number");
        }
    }
}
