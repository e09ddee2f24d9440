package dev.plinth.kubernetes;

import dev.plinth.http.server.HttpLimits;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What the operator needs to drive real machines ({@code PLINTH_DRIVER=ipmi}), from its environment (the chart
 * sets it):
 * <ul>
 * <li>{@code PLINTH_ADVERTISED_URL}: the plain-HTTP base URL machines reach the provisioning listener on (iPXE
 *     fetches its script, kernel and ramdisk there); required.
 * <li>{@code PLINTH_PROVISIONING_LISTEN} ({@code 0.0.0.0:8081}): where that listener binds.
 * <li>{@code PLINTH_PROVISIONING_TLS_PORT} (8443): the HTTPS listener for the agent and image routes, on the
 *     advertised host, under the controller CA; it binds the same host as the plain listener, and the port is
 *     also the one advertised (a Service must map it to itself).
 * <li>{@code PLINTH_RAMDISK_KERNEL}, {@code PLINTH_RAMDISK_INITRD}: the deploy ramdisk's files; required.
 * <li>{@code PLINTH_KERNEL_ARGS}: extra kernel arguments for the ramdisk.
 * <li>{@code PLINTH_IMAGE_ROOTS}: directories (':'-separated) a DiskImage's {@code file://} URL may name.
 * <li>{@code PLINTH_STATE_DIR} ({@code /var/lib/plinth}): the image cache ({@code images/}), and the files the
 *     machines module reads the controller CA ({@code tls/}) and the agent's token key ({@code agent.key}) from,
 *     written from the keys Secret at start.
 * <li>{@code PLINTH_AGENT_REGISTRY_SECRET} ({@code plinth-agent-registry}): the Secret in {@code POD_NAMESPACE}
 *     holding the agent service's registry of open deploys.
 * <li>{@code PLINTH_PROVISIONING_SECRET} ({@code plinth-provisioning-keys}): the Secret in {@code POD_NAMESPACE}
 *     holding the controller CA and the agent's token key, the same for every replica ({@link ProvisioningKeys}).
 * </ul>
 * Both listeners hold each client to {@link #LIMITS}, as standalone's provisioning listeners do.
 */
public record MetalConfig(String advertisedUrl, String listenHost, int listenPort, int tlsPort, Path ramdiskKernel,
        Path ramdiskInitrd, String kernelArgs, List<Path> imageRoots, Path stateDir, String registryNamespace,
        String registrySecret, HttpLimits limits, String keysSecret) {
    static final String KEYS_SECRET = "plinth-provisioning-keys";

    /**
     * Requests from machines are small (iPXE, the agent's reports); images are responses, bounded by the idle
     * timeout only: 10 s for a request's headers and for its body, 60 s idle, 256 connections.
     */
    public static final HttpLimits LIMITS = new HttpLimits(Duration.ofSeconds(10), Duration.ofSeconds(10),
            Duration.ofSeconds(60), 256);

    public MetalConfig(String advertisedUrl, String listenHost, int listenPort, int tlsPort, Path ramdiskKernel,
            Path ramdiskInitrd, String kernelArgs, List<Path> imageRoots, Path stateDir, String registryNamespace,
            String registrySecret) {
        this(advertisedUrl, listenHost, listenPort, tlsPort, ramdiskKernel, ramdiskInitrd, kernelArgs, imageRoots,
                stateDir, registryNamespace, registrySecret, LIMITS, KEYS_SECRET);
    }

    public MetalConfig(String advertisedUrl, String listenHost, int listenPort, int tlsPort, Path ramdiskKernel,
            Path ramdiskInitrd, String kernelArgs, List<Path> imageRoots, Path stateDir, String registryNamespace,
            String registrySecret, HttpLimits limits) {
        this(advertisedUrl, listenHost, listenPort, tlsPort, ramdiskKernel, ramdiskInitrd, kernelArgs, imageRoots,
                stateDir, registryNamespace, registrySecret, limits, KEYS_SECRET);
    }

    /** The same with other limits (tests: short timeouts). */
    public MetalConfig withLimits(HttpLimits l) {
        return new MetalConfig(advertisedUrl, listenHost, listenPort, tlsPort, ramdiskKernel, ramdiskInitrd,
                kernelArgs, imageRoots, stateDir, registryNamespace, registrySecret, l, keysSecret);
    }

    /** The same with the CA and agent key in Secret {@code name} (tests: one per operator pair). */
    public MetalConfig withKeysSecret(String name) {
        return new MetalConfig(advertisedUrl, listenHost, listenPort, tlsPort, ramdiskKernel, ramdiskInitrd,
                kernelArgs, imageRoots, stateDir, registryNamespace, registrySecret, limits, name);
    }

    public static MetalConfig fromEnv(Map<String, String> env) {
        String url = required(env, "PLINTH_ADVERTISED_URL");
        if (!url.matches("http://[^\\s/]+(/[^\\s]*)?")) {
            throw new IllegalArgumentException("PLINTH_ADVERTISED_URL=" + url + ": expected http://HOST[:PORT]"
                    + " (iPXE fetches plain HTTP; the agent routes get HTTPS on PLINTH_PROVISIONING_TLS_PORT)");
        }
        String listen = env.getOrDefault("PLINTH_PROVISIONING_LISTEN", "0.0.0.0:8081").trim();
        int colon = listen.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("PLINTH_PROVISIONING_LISTEN=" + listen + ": expected HOST:PORT");
        }
        int port = port("PLINTH_PROVISIONING_LISTEN", listen.substring(colon + 1), true);
        int tls = port("PLINTH_PROVISIONING_TLS_PORT", env.getOrDefault("PLINTH_PROVISIONING_TLS_PORT", "8443"),
                false);
        Path kernel = file(env, "PLINTH_RAMDISK_KERNEL");
        Path initrd = file(env, "PLINTH_RAMDISK_INITRD");
        List<Path> roots = new ArrayList<>();
        for (String r : env.getOrDefault("PLINTH_IMAGE_ROOTS", "").split(":")) {
            if (!r.isBlank()) {
                roots.add(Path.of(r.trim()));
            }
        }
        String ns = env.get("POD_NAMESPACE");
        if (ns == null || ns.isBlank()) {
            throw new IllegalArgumentException("PLINTH_DRIVER=ipmi needs POD_NAMESPACE (where the agent registry"
                    + " Secret lives; the chart sets it from the downward API)");
        }
        return new MetalConfig(url, listen.substring(0, colon).replaceAll("^\\[|]$", ""), port, tls, kernel, initrd,
                env.getOrDefault("PLINTH_KERNEL_ARGS", ""), List.copyOf(roots),
                Path.of(env.getOrDefault("PLINTH_STATE_DIR", "/var/lib/plinth")), ns,
                env.getOrDefault("PLINTH_AGENT_REGISTRY_SECRET", "plinth-agent-registry"), LIMITS,
                env.getOrDefault("PLINTH_PROVISIONING_SECRET", KEYS_SECRET));
    }

    private static String required(Map<String, String> env, String name) {
        String v = env.get(name);
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException("PLINTH_DRIVER=ipmi needs " + name);
        }
        return v.trim();
    }

    private static Path file(Map<String, String> env, String name) {
        Path p = Path.of(required(env, name));
        if (!Files.isRegularFile(p)) {
            throw new IllegalArgumentException(name + "=" + p + ": no such file");
        }
        return p;
    }

    private static int port(String name, String text, boolean zeroOk) {
        try {
            int p = Integer.parseInt(text.trim());
            if (p < (zeroOk ? 0 : 1) || p > 65535) {
                throw new NumberFormatException();
            }
            return p;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + ": \"" + text + "\" is not a TCP port");
        }
    }
}
