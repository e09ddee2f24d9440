package dev.plinth.kubernetes;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A token bucket in front of every request the operator's client sends (client-go's QPS and burst): a fleet of
 * thousands of nodes reconciling at once must not flood the API server. The calling thread (a reconciler) waits
 * for its token, so the limit also paces the reconciles.
 */
public final class ClientRateLimit implements Interceptor {
    private final double perSecond;
    private final double burst;
    private double tokens;
    private long last = System.nanoTime();

    public ClientRateLimit(double perSecond, int burst) {
        if (perSecond <= 0 || burst < 1) {
            throw new IllegalArgumentException("rate limit needs requests per second > 0 and burst >= 1, not "
                    + perSecond + " and " + burst);
        }
        this.perSecond = perSecond;
        this.burst = burst;
        this.tokens = burst;
    }

    /** A client on {@code config} whose requests are limited to {@code perSecond}, bursts of {@code burst}. */
    public static KubernetesClient client(Config config, double perSecond, int burst) {
        ClientRateLimit limit = new ClientRateLimit(perSecond, burst);
        return new KubernetesClientBuilder().withConfig(config)
                .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor("plinth-rate-limit", limit))
                .build();
    }

    @Override
    public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
        long wait = reserve();
        if (wait > 0) {
            LockSupport.parkNanos(wait);
        }
    }

    /** Takes a token (possibly one not there yet); returns how long to wait for it, in nanoseconds. */
    synchronized long reserve() {
        long now = System.nanoTime();
        tokens = Math.min(burst, tokens + (now - last) * perSecond / TimeUnit.SECONDS.toNanos(1));
        last = now;
        tokens -= 1;
        return tokens >= 0 ? 0 : (long) (-tokens / perSecond * TimeUnit.SECONDS.toNanos(1));
    }
}
