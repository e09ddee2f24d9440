package dev.plinth.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plinth.kubernetes.testing.KubeApi;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ClientRateLimitTest {

    @Test
    void aBurstPassesThenRequestsComeAtTheRate() {
        ClientRateLimit limit = new ClientRateLimit(10, 3);
        assertThat(limit.reserve()).isZero();
        assertThat(limit.reserve()).isZero();
        assertThat(limit.reserve()).isZero();
        long wait = limit.reserve();
        assertThat(wait).isBetween(TimeUnit.MILLISECONDS.toNanos(80), TimeUnit.MILLISECONDS.toNanos(100));
        assertThat(limit.reserve()).isGreaterThan(wait); // queued behind the previous one
    }

    @Test
    void theClientToARealApiServerIsPaced() {
        KubeApi api = KubeApi.get();
        try (KubernetesClient client = ClientRateLimit.client(Config.fromKubeconfig(api.kubeconfigYaml()), 10, 1)) {
            client.namespaces().withName("default").get(); // connection set up, first token
            long start = System.nanoTime();
            for (int i = 0; i < 10; i++) {
                client.namespaces().withName("default").get();
            }
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertThat(millis).as("10 requests at 10 per second").isGreaterThanOrEqualTo(850);
        }
    }
}
