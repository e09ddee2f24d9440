package dev.plinth.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.Helm;
import dev.plinth.kubernetes.crd.CrdFiles;
import dev.plinth.kubernetes.testing.KubeApi;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The chart under helm/plinth: lint, what it renders, and an install into a real API server. */
class HelmChartTest {
    static final Path CHART = CrdFiles.repoRoot().resolve("helm/plinth");

    @Test
    void lintsCleanInStrictMode() {
        var result = new Helm(CHART).lint().strict().call();
        assertThat(result.isFailed()).as(String.join("\n", result.getMessages())).isFalse();
    }

    @Test
    void rendersALeaderElectedDeploymentWithLeastPrivilege() {
        List<HasMetadata> objects = render();
        Deployment d = only(objects, Deployment.class);
        assertThat(d.getSpec().getReplicas()).isEqualTo(2);
        var env = d.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv();
        assertThat(env).anyMatch(e -> e.getName().equals("PLINTH_LEADER_ELECTION") && e.getValue().equals("true"));
        assertThat(env).anyMatch(e -> e.getName().equals("POD_NAMESPACE") && e.getValueFrom() != null);

        ClusterRole role = only(objects, ClusterRole.class);
        for (PolicyRule rule : role.getRules()) {
            assertThat(rule.getVerbs()).as(rule.toString()).doesNotContain("*", "deletecollection");
            assertThat(rule.getResources()).doesNotContain("*");
            if (rule.getVerbs().contains("delete")) {
                // only what a GitSource prunes
                assertThat(rule.getApiGroups()).containsExactly("plinth.dev");
                assertThat(rule.getResources()).containsExactlyInAnyOrder("baremetalnodes", "diskimages", "clouds");
            }
        }
        // Secrets are only ever read
        assertThat(role.getRules()).filteredOn(r -> r.getResources().contains("secrets"))
                .allMatch(r -> r.getVerbs().equals(List.of("get", "list", "watch")));
        // no Service unless the machine-facing routes are asked for
        assertThat(objects).noneMatch(o -> o.getKind().equals("Service"));
        // pods are patched (the leader label) only with real machines
        assertThat(objects).filteredOn(o -> o instanceof io.fabric8.kubernetes.api.model.rbac.Role)
                .flatExtracting(o -> ((io.fabric8.kubernetes.api.model.rbac.Role) o).getRules())
                .noneMatch(r -> r.getResources().contains("pods"));
        // the webhook listens on every replica; it may annotate GitSources (a sync request), nothing more
        assertThat(env).anyMatch(e -> e.getName().equals("PLINTH_WEBHOOK_LISTEN")
                && e.getValue().equals("0.0.0.0:8082"));
        assertThat(role.getRules()).filteredOn(r -> r.getResources().contains("gitsources")
                        && !r.getVerbs().equals(List.of("get", "list", "watch")))
                .singleElement().satisfies(r -> {
                    assertThat(r.getResources()).containsExactly("gitsources");
                    assertThat(r.getVerbs()).containsExactly("patch");
                });
    }

    @Test
    void theWebhookServiceAndListenerAreValues() {
        List<HasMetadata> objects = parse(new Helm(CHART).template().withName("plinth").withNamespace("metal")
                .withKubeVersion(KubeApi.VERSION).set("webhook.service.enabled", "true").set("webhook.port", "9000")
                .call());
        var service = objects.stream().filter(io.fabric8.kubernetes.api.model.Service.class::isInstance)
                .map(io.fabric8.kubernetes.api.model.Service.class::cast).findFirst().orElseThrow();
        assertThat(service.getMetadata().getName()).isEqualTo("plinth-webhook");
        assertThat(service.getSpec().getPorts()).extracting(p -> p.getName() + ":" + p.getPort())
                .containsExactly("webhook:9000");
        var container = only(objects, Deployment.class).getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(container.getPorts()).anyMatch(p -> p.getName().equals("webhook") && p.getContainerPort() == 9000);
        assertThat(container.getEnv()).anyMatch(e -> e.getName().equals("PLINTH_WEBHOOK_LISTEN")
                && e.getValue().equals("0.0.0.0:9000"));

        var off = only(parse(new Helm(CHART).template().withName("plinth").withNamespace("metal")
                .withKubeVersion(KubeApi.VERSION).set("webhook.enabled", "false").set("webhook.service.enabled", "true")
                .call()), Deployment.class).getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(off.getEnv()).anyMatch(e -> e.getName().equals("PLINTH_WEBHOOK_LISTEN") && e.getValue().equals("off"));
        assertThat(off.getPorts()).noneMatch(p -> p.getName().equals("webhook"));
    }

    @Test
    void theProvisioningServiceAndHostNetworkAreValues() {
        String yaml = new Helm(CHART).template().withName("plinth").withNamespace("metal")
                .withKubeVersion(KubeApi.VERSION)
                .set("provisioning.service.enabled", "true").set("provisioning.hostNetwork", "true").call();
        List<HasMetadata> objects = parse(yaml);
        assertThat(objects).anyMatch(o -> o.getKind().equals("Service")
                && o.getMetadata().getName().equals("plinth-provisioning"));
        assertThat(only(objects, Deployment.class).getSpec().getTemplate().getSpec().getHostNetwork()).isTrue();
        assertThat(only(objects, Deployment.class).getSpec().getTemplate().getSpec().getDnsPolicy())
                .isEqualTo("ClusterFirstWithHostNet");
    }

    @Test
    void theIpmiDriverGetsItsListenersRamdiskAndStateVolume() {
        String yaml = new Helm(CHART).template().withName("plinth").withNamespace("metal")
                .withKubeVersion(KubeApi.VERSION)
                .set("operator.driver", "ipmi").set("provisioning.advertisedUrl", "http://10.0.0.2:8081")
                .set("provisioning.ramdisk.volume.hostPath.path", "/srv/plinth-ramdisk")
                .set("provisioning.state.existingClaim", "plinth-state")
                .set("provisioning.service.enabled", "true").call();
        List<HasMetadata> objects = parse(yaml);
        Deployment deployment = only(objects, Deployment.class);
        // two replicas, rolled as any Deployment: the leader alone serves machines, through the Service below
        assertThat(deployment.getSpec().getReplicas()).isEqualTo(2);
        assertThat(deployment.getSpec().getStrategy()).isNull();
        var pod = deployment.getSpec().getTemplate().getSpec();
        var env = pod.getContainers().get(0).getEnv();
        assertThat(env).anyMatch(e -> e.getName().equals("PLINTH_DRIVER") && e.getValue().equals("ipmi"));
        assertThat(env).anyMatch(e -> e.getName().equals("PLINTH_ADVERTISED_URL")
                && e.getValue().equals("http://10.0.0.2:8081"));
        assertThat(env).anyMatch(e -> e.getName().equals("PLINTH_PROVISIONING_TLS_PORT") && e.getValue().equals("8443"));
        assertThat(env).anyMatch(e -> e.getName().equals("PLINTH_RAMDISK_INITRD")
                && e.getValue().equals("/var/lib/plinth-ramdisk/initramfs.cpio.gz"));
        assertThat(pod.getVolumes()).anyMatch(v -> v.getName().equals("state")
                && v.getPersistentVolumeClaim().getClaimName().equals("plinth-state"));
        assertThat(pod.getVolumes()).anyMatch(v -> v.getName().equals("ramdisk")
                && v.getHostPath().getPath().equals("/srv/plinth-ramdisk"));
        var service = objects.stream().filter(io.fabric8.kubernetes.api.model.Service.class::isInstance)
                .map(io.fabric8.kubernetes.api.model.Service.class::cast).findFirst().orElseThrow();
        assertThat(service.getSpec().getPorts()).extracting(p -> p.getName() + ":" + p.getPort())
                .containsExactly("provisioning:8081", "provision-tls:8443");
        // machines reach the leader only: the pod it labels
        assertThat(service.getSpec().getSelector()).containsEntry("plinth.dev/leader", "true")
                .containsEntry("app.kubernetes.io/instance", "plinth");
        var roleRules = objects.stream().filter(io.fabric8.kubernetes.api.model.rbac.Role.class::isInstance)
                .flatMap(o -> ((io.fabric8.kubernetes.api.model.rbac.Role) o).getRules().stream()).toList();
        // the registry Secret is the only one it may write; the keys' it creates and then only reads
        assertThat(roleRules).filteredOn(r -> r.getResources().contains("secrets") && r.getVerbs().contains("patch"))
                .singleElement().satisfies(r -> assertThat(r.getResourceNames()).containsExactly("plinth-agent-registry"));
        assertThat(roleRules).filteredOn(r -> r.getResourceNames() != null
                        && r.getResourceNames().contains("plinth-provisioning-keys"))
                .singleElement().satisfies(r -> assertThat(r.getVerbs()).containsExactly("get"));
        // the leader label: a patch of pods in the release namespace, nothing more
        assertThat(roleRules).filteredOn(r -> r.getResources().contains("pods")).singleElement().satisfies(r -> {
            assertThat(r.getResources()).containsExactly("pods");
            assertThat(r.getApiGroups()).containsExactly("");
            assertThat(r.getVerbs()).containsExactly("patch");
        });
        assertThat(env).anyMatch(e -> e.getName().equals("PLINTH_PROVISIONING_SECRET")
                && e.getValue().equals("plinth-provisioning-keys"));

        // one replica on the host network needs no Service
        Deployment hostNet = only(parse(new Helm(CHART).template().withName("plinth").withNamespace("metal")
                .withKubeVersion(KubeApi.VERSION).set("operator.driver", "ipmi").set("replicas", "1")
                .set("provisioning.advertisedUrl", "http://10.0.0.2:8081").set("provisioning.hostNetwork", "true")
                .set("provisioning.ramdisk.volume.hostPath.path", "/srv").call()), Deployment.class);
        assertThat(hostNet.getSpec().getReplicas()).isEqualTo(1);

        // without what it needs, the chart says what is missing
        assertThatThrownBy(() -> new Helm(CHART).template().withName("plinth").withNamespace("metal")
                .withKubeVersion(KubeApi.VERSION).set("operator.driver", "ipmi").set("replicas", "1")
                .set("provisioning.ramdisk.volume.hostPath.path", "/srv").call())
                .hasMessageContaining("provisioning.advertisedUrl");
        assertThatThrownBy(() -> new Helm(CHART).template().withName("plinth").withNamespace("metal")
                .withKubeVersion(KubeApi.VERSION).set("operator.driver", "ipmi")
                .set("provisioning.advertisedUrl", "http://10.0.0.2:8081")
                .set("provisioning.ramdisk.volume.hostPath.path", "/srv").call())
                .as("two replicas, and nothing to route machines to the leader")
                .hasMessageContaining("provisioning.service.enabled");
        assertThatThrownBy(() -> new Helm(CHART).template().withName("plinth").withNamespace("metal")
                .withKubeVersion(KubeApi.VERSION).set("operator.driver", "ipmi").set("replicas", "1")
                .set("provisioning.advertisedUrl", "http://10.0.0.2:8081").call())
                .hasMessageContaining("provisioning.ramdisk.volume");
    }

    @Test
    void installsIntoARealApiServer() {
        KubeApi api = KubeApi.get();
        try (KubernetesClient client = api.client()) {
            String ns = "helm-" + ProcessHandle.current().pid();
            var release = new Helm(CHART).install().withName("plinth").withNamespace(ns).createNamespace()
                    .withKubeConfigContents(api.kubeconfigYaml()).withKubeVersion(KubeApi.VERSION).call();
            assertThat(release.getStatus()).isEqualTo("deployed");
            assertThat(client.apps().deployments().inNamespace(ns).withName("plinth").get()).isNotNull();
            assertThat(client.rbac().clusterRoles().withName("plinth").get()).isNotNull();
            assertThat(client.apiextensions().v1().customResourceDefinitions().withName("baremetalnodes.plinth.dev")
                    .get()).isNotNull();
        }
    }

    private static List<HasMetadata> render() {
        return parse(new Helm(CHART).template().withName("plinth").withNamespace("metal")
                .withKubeVersion(KubeApi.VERSION).call());
    }

    private static List<HasMetadata> parse(String yaml) {
        Object parsed = Serialization.unmarshal(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)));
        @SuppressWarnings("unchecked")
        List<HasMetadata> list = parsed instanceof List<?> l ? (List<HasMetadata>) l : List.of((HasMetadata) parsed);
        return list;
    }

    private static <T> T only(List<HasMetadata> objects, Class<T> type) {
        List<T> found = objects.stream().filter(type::isInstance).map(type::cast).toList();
        assertThat(found).as(type.getSimpleName()).hasSize(1);
        return found.get(0);
    }
}
