package dev.plinth.kubernetes;

import dev.plinth.http.WebhookVerifier;
import dev.plinth.http.server.RateLimitedLog;
import dev.plinth.kubernetes.crd.Crds;
import dev.plinth.kubernetes.crd.GitSourceResource;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The GitSource push webhook, {@code POST /hooks/gitsource/{namespace}/{name}}, signed with the {@code token} of the
 * Secret its {@code spec.webhook.secretName} names (GitHub/Gitea HMAC-SHA256 of the body, or GitLab's token header;
 * {@link WebhookVerifier}). A valid call asks for a sync at once by annotating the GitSource ({@link #SYNC_REQUESTED}
 * = the time): whichever replica the Service sends it to, the leader's informer sees the change and fetches and
 * applies the branch; the interval stays the fallback for a lost call.
 *
 * <p>Answers: 202 sync requested; 401 a missing or wrong signature, or a Secret without a token (nothing changes);
 * 404 no such GitSource, or one without a webhook (the two look alike to a caller); 413 a body over 1 MiB.
 */
final class GitSourceHooks {
    static final String PATH = "/hooks/gitsource/:namespace/:name";
    /** Set by a valid webhook call; a change of it makes the GitSource reconcile (fetch and apply) at once. */
    static final String SYNC_REQUESTED = "plinth.dev/sync-requested";
    static final String TOKEN = "token";
    static final int BODY_LIMIT = 1 << 20;
    private static final Logger LOG = LoggerFactory.getLogger(GitSourceHooks.class);
    private static final java.util.regex.Pattern NAME = java.util.regex.Pattern.compile(Crds.DNS_SUBDOMAIN);

    private final KubernetesClient client;
    private final Clock clock;
    /** Refusals are a caller's to cause at will: a few lines a minute, never the secret or the signature. */
    private final RateLimitedLog refusals;

    GitSourceHooks(KubernetesClient client, Clock clock) {
        this.client = client;
        this.clock = clock;
        this.refusals = new RateLimitedLog(LOG, 5, Duration.ofMinutes(1), clock);
    }

    void mount(Router router) {
        router.post(PATH).handler(BodyHandler.create(false).setBodyLimit(BODY_LIMIT));
        // API calls block: off the event loop
        router.post(PATH).blockingHandler(this::handle, false);
    }

    private void handle(RoutingContext ctx) {
        String ns = ctx.pathParam("namespace");
        String name = ctx.pathParam("name");
        String who = ns + "/" + name;
        if (!NAME.matcher(ns).matches() || !NAME.matcher(name).matches()) {
            answer(ctx, 404, "no GitSource " + who + " with a webhook");
            return;
        }
        try {
            GitSourceResource source = client.resources(GitSourceResource.class).inNamespace(ns).withName(name).get();
            if (source == null || source.getSpec() == null || source.getSpec().webhook == null) {
                answer(ctx, 404, "no GitSource " + who + " with a webhook");
                return;
            }
            String secretName = source.getSpec().webhook.secretName;
            Secret secret = client.secrets().inNamespace(ns).withName(secretName).get();
            String token = secret == null ? null : value(secret, TOKEN);
            if (token == null || token.isEmpty()) {
                // without a token nothing can be verified, and an unverified call is refused
                refusals.warn("GitSource " + who + ": webhook call refused: Secret " + secretName + " "
                        + (secret == null ? "does not exist" : "has no key '" + TOKEN + "'"));
                answer(ctx, 401, "the webhook of " + who + " has no token to verify calls with");
                return;
            }
            byte[] body = ctx.body().buffer() == null ? new byte[0] : ctx.body().buffer().getBytes();
            var headers = ctx.request().headers();
            if (!new WebhookVerifier(token).accepts(body, headers.get("X-Hub-Signature-256"),
                    headers.get("X-Gitea-Signature"), headers.get("X-Gitlab-Token"))) {
                refusals.warn("GitSource " + who + ": webhook call from " + ctx.request().remoteAddress()
                        + " refused: signature missing or wrong");
                answer(ctx, 401, "signature missing or wrong");
                return;
            }
            client.resources(GitSourceResource.class).inNamespace(ns).withName(name)
                    .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"metadata\":{\"annotations\":{\""
                            + SYNC_REQUESTED + "\":\"" + clock.instant() + "\"}}}");
            LOG.info("GitSource {}: webhook call, sync requested", who);
            answer(ctx, 202, "sync of " + who + " requested");
        } catch (KubernetesClientException e) {
            if (e.getCode() == 404) {
                answer(ctx, 404, "no GitSource " + who + " with a webhook");
                return;
            }
            LOG.warn("GitSource {}: webhook call failed: {}", who, e.getMessage());
            answer(ctx, 503, "the API server did not answer; try again");
        }
    }

    private static void answer(RoutingContext ctx, int code, String text) {
        ctx.response().setStatusCode(code).putHeader("Content-Type", "text/plain; charset=utf-8").end(text + "\n");
    }

    private static String value(Secret s, String key) {
        Map<String, String> data = s.getData();
        if (data != null && data.get(key) != null) {
            return new String(Base64.getDecoder().decode(data.get(key)), StandardCharsets.UTF_8).strip();
        }
        Map<String, String> plain = s.getStringData();
        return plain == null || plain.get(key) == null ? null : plain.get(key).strip();
    }
}
