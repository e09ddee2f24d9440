package dev.plinth.agent;

import dev.plinth.http.Bearer;
import dev.plinth.core.Printable;
import dev.plinth.driver.DeployPhase;
import dev.plinth.json.Json;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP side of the agent protocol (ramdisk/PROTOCOL.md): boot scripts, the ramdisk's files, deploy instructions,
 * the agent's events and the installed OS's check-in, each authorised by its bearer token.
 *
 * <p>Log lines name the method and path only, never the query or a header: tokens stay out of the logs.
 * Every change an agent or an installed OS reports wakes the node's reconciliation.
 */
final class AgentRoutes {
    // the facade's name, so log lines keep the logger they had before the split
    private static final Logger LOG = LoggerFactory.getLogger(AgentService.class);
    /** Events and check-ins are a few short form fields; an inventory is a few hundred. */
    private static final int BODY_LIMIT = 64 * 1024;

    private final AgentService.Config config;
    private final DeployRegistry registry;
    private final IpxeScripts scripts;
    private final DeployMedia media;
    private final Clock clock;

    AgentRoutes(AgentService.Config config, DeployRegistry registry, IpxeScripts scripts, DeployMedia media,
            Clock clock) {
        this.config = config;
        this.registry = registry;
        this.scripts = scripts;
        this.media = media;
        this.clock = clock;
    }

    /** See {@link AgentService#mountBoot}. */
    void mountBoot(Router router) {
        router.get("/boot.ipxe").handler(ctx -> text(ctx, 200, scripts.chain()));
        // blocking: it waits for the registry's monitor, and may write to the store
        router.get("/v1/boot/:file").blockingHandler(this::bootScript);
        router.get("/v1/ramdisk/vmlinuz").handler(ctx -> ramdisk(ctx, config.ramdiskKernel()));
        router.get("/v1/ramdisk/initramfs.cpio.gz").handler(ctx -> ramdisk(ctx, config.ramdiskInitramfs()));
        // the deploy ISOs of virtual media boot, for the BMCs (plain HTTP: what every BMC can fetch from). Blocking:
        // it waits for the registry's monitor
        router.get("/v1/media/:file").blockingHandler(this::deployIso);
        router.head("/v1/media/:file").blockingHandler(this::deployIso);
        if (config.tls() != null) {
            Buffer ca = Buffer.buffer(CaInitrd.of(config.tls().caPem()));
            router.get("/v1/ramdisk/ca.cpio").handler(ctx -> ctx.response()
                    .putHeader("Content-Type", "application/octet-stream").end(ca));
        }
    }

    /** See {@link AgentService#mountAgent}. */
    void mountAgent(Router router) {
        // blocking: these wait for the registry's monitor, and most write to the store
        router.get("/v1/agent/deploys/:id").blockingHandler(this::instructions);
        // in memory only: BodyHandler's default writes multipart uploads to ./file-uploads, never deleted
        router.post("/v1/agent/*").handler(BodyHandler.create(false).setBodyLimit(BODY_LIMIT));
        router.post("/v1/agent/deploys/:id/events").blockingHandler(this::event);
        router.post("/v1/agent/checkin").blockingHandler(this::checkin);
    }

    private void bootScript(RoutingContext ctx) {
        String file = ctx.pathParam("file");
        if (file == null || !file.endsWith(".ipxe")) {
            text(ctx, 404, "not found\n");
            return;
        }
        IpxeScripts.Served served = scripts.claim(IpxeScripts.macOfFileName(file),
                String.valueOf(ctx.request().remoteAddress()));
        wake(served.wake());
        String script = served.script();
        // a node must never boot a stale script: it carries tokens, or local boot instead of a deploy
        ctx.response().putHeader("Cache-Control", "no-store");
        text(ctx, 200, script);
    }

    /**
     * A deploy ISO, while its boot is its deploy's current one and the deploy is open and unfinished; 404 for anything
     * else, the same for a wrong guess as for an ISO that is gone. Logged without the path: the name is the secret.
     * One byte range is served as asked ({@code Range: bytes=a-b}): BMCs that mount the ISO read it in pieces.
     */
    private void deployIso(RoutingContext ctx) {
        Path iso;
        synchronized (registry) {
            iso = media.lookup(ctx.pathParam("file"), p -> {
                Deploy d = registry.get(p.deployId());
                return d != null && !d.closed && !d.phase.terminal() && d.boot == p.boot();
            });
        }
        ctx.response().putHeader("Cache-Control", "no-store");
        if (iso == null) {
            text(ctx, 404, "not found\n");
            return;
        }
        long size;
        try {
            size = Files.size(iso);
        } catch (java.io.IOException e) {
            text(ctx, 404, "not found\n");
            return;
        }
        var resp = ctx.response().putHeader("Content-Type", "application/x-iso9660-image")
                .putHeader("Accept-Ranges", "bytes");
        long[] range = range(ctx.request().getHeader("Range"), size);
        if (range == null) {
            resp.putHeader("Content-Range", "bytes */" + size);
            text(ctx, 416, "range not satisfiable\n");
            return;
        }
        boolean partial = range[0] != 0 || range[1] != size - 1;
        if (partial) {
            resp.setStatusCode(206).putHeader("Content-Range", "bytes " + range[0] + "-" + range[1] + "/" + size);
        }
        if (ctx.request().method() == io.vertx.core.http.HttpMethod.HEAD) {
            resp.putHeader("Content-Length", String.valueOf(range[1] - range[0] + 1)).end();
            return;
        }
        resp.sendFile(iso.toString(), range[0], range[1] - range[0] + 1);
    }

    /**
     * The first and last byte of a {@code Range} header's single range within {@code size} bytes; the whole file
     * when there is no header (or one this does not understand, which HTTP allows to be ignored); null when the
     * range lies outside the file (416).
     */
    static long[] range(String header, long size) {
        long[] whole = {0, size - 1};
        if (header == null || !header.matches("bytes=(\\d*)-(\\d*)") || header.equals("bytes=-")) {
            return whole;
        }
        String spec = header.substring("bytes=".length());
        String a = spec.substring(0, spec.indexOf('-'));
        String b = spec.substring(spec.indexOf('-') + 1);
        try {
            if (a.isEmpty()) { // the last b bytes
                long n = Long.parseLong(b);
                return n == 0 ? null : new long[] {Math.max(0, size - n), size - 1};
            }
            long first = Long.parseLong(a);
            long last = b.isEmpty() ? size - 1 : Math.min(Long.parseLong(b), size - 1);
            return first >= size || last < first ? null : new long[] {first, last};
        } catch (NumberFormatException e) {
            return whole;
        }
    }

    private void ramdisk(RoutingContext ctx, Path file) {
        if (file == null) {
            text(ctx, 404, "the deploy ramdisk is not configured on the controller\n");
            return;
        }
        if (!Files.isRegularFile(file)) {
            LOG.warn("deploy ramdisk file {} is missing", file);
            text(ctx, 404, "the deploy ramdisk file is missing on the controller\n");
            return;
        }
        ctx.response().putHeader("Content-Type", "application/octet-stream").sendFile(file.toString());
    }

    /**
     * The deploy named in the path, if the request carries its deploy token and it is open; else answered.
     * Caller holds the registry's monitor.
     */
    private Deploy authorizeDeploy(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        String presented = bearer(ctx);
        Deploy d = registry.get(id);
        if (d == null || !registry.isDeployToken(d, presented)) {
            LOG.warn("rejected {} {} from {}: {}", ctx.request().method(), path(ctx),
                    ctx.request().remoteAddress(), d == null ? "unknown deploy" : "bad deploy token");
            text(ctx, 401, "unauthorized\n");
            return null;
        }
        if (d.closed) {
            LOG.info("rejected {} {}: deploy {} is closed", ctx.request().method(), path(ctx), id);
            text(ctx, 401, "deploy closed\n");
            return null;
        }
        if (d.phase.terminal()) {
            LOG.info("rejected {} {}: deploy {} already {}", ctx.request().method(), path(ctx), id,
                    d.phase);
            text(ctx, 409, "deploy already " + d.phase.name().toLowerCase(Locale.ROOT) + "\n");
            return null;
        }
        return d;
    }

    private void instructions(RoutingContext ctx) {
        Map<String, Object> body = new LinkedHashMap<>();
        String node;
        synchronized (registry) {
            Deploy d = authorizeDeploy(ctx);
            if (d == null) {
                return;
            }
            if (d.wipe) {
                body.put("action", "clean");
            } else if (d.inspect) {
                body.put("action", "inspect");
            } else {
                body.put("imageUrl", config.agentBaseUrl() + d.imagePath);
                body.put("sha256", d.sha256);
                body.put("compression", d.compression);
                body.put("rootDeviceHints", rootDeviceHints(d));
            }
            node = d.node;
            if (d.phase == DeployPhase.WAITING) {
                d.phase = DeployPhase.DOWNLOADING;
                d.appendMessage("instructions fetched");
                d.updated = clock.instant();
                registry.persist();
            } else {
                node = null; // fetched again: nothing changed, nobody to wake
            }
            LOG.info("deploy {} of node {}: instructions served", d.deployId, d.node);
        }
        wake(node);
        ctx.response().putHeader("Content-Type", "application/json").putHeader("Cache-Control", "no-store")
                .end(Json.write(body));
    }

    private static Map<String, Object> rootDeviceHints(Deploy d) {
        Map<String, Object> hints = new LinkedHashMap<>();
        if (d.deviceName != null) {
            hints.put("deviceName", d.deviceName);
        }
        if (d.minSizeGigabytes != null) {
            hints.put("minSizeGigabytes", d.minSizeGigabytes);
        }
        // strings all: the ramdisk's JSON reading is grep/sed (ramdisk/PROTOCOL.md)
        putIfSet(hints, "model", d.model);
        putIfSet(hints, "vendor", d.vendor);
        putIfSet(hints, "serialNumber", d.serialNumber);
        putIfSet(hints, "wwn", d.wwn);
        putIfSet(hints, "rotational", d.rotational == null ? null : d.rotational.toString());
        return hints;
    }

    private static void putIfSet(Map<String, Object> map, String key, String value) {
        if (value != null) {
            map.put(key, value);
        }
    }

    private void event(RoutingContext ctx) {
        Map<String, String> form = form(ctx);
        String phase = form.getOrDefault("phase", "");
        String node;
        DeployReports.Answer answer;
        synchronized (registry) {
            Deploy d = authorizeDeploy(ctx);
            if (d == null) {
                return;
            }
            node = d.node;
            if (phase.equals("inventory")) {
                DeployReports.Inventoried r = DeployReports.inventory(d, form, clock);
                if (r.inventory() != null) {
                    registry.putInventory(d.node, r.inventory());
                }
                answer = r.answer();
            } else {
                answer = DeployReports.event(d, phase, form, clock);
            }
            if (answer == null) {
                text(ctx, 400, "unknown phase\n");
                return;
            }
            d.updated = clock.instant();
            registry.persist();
            if (d.phase == DeployPhase.FAILED) {
                LOG.warn("deploy {} of node {} failed: {}", d.deployId, d.node, d.message);
            } else {
                LOG.info("deploy {} of node {}: {} ({} bytes)", d.deployId, d.node, phase, d.bytesWritten);
            }
        }
        wake(node);
        text(ctx, answer.status(), answer.body());
    }

    private void checkin(RoutingContext ctx) {
        Map<String, String> form = form(ctx);
        String presented = bearer(ctx);
        String node;
        DeployReports.Answer answer;
        synchronized (registry) {
            Deploy d = registry.ofCheckinToken(presented);
            if (d == null) {
                // no deploy on record with this token (the state store was lost): the token, checked against the
                // deploy id the OS sent from its config block, may still prove the image of an adopted node
                if (registry.proveImage(presented, form.get("deploy"), form.get("node"), form.get("image"))) {
                    LOG.info("node {} proved its running image {} by a check-in of deploy {} (no deploy on record)",
                            form.get("node"), form.get("image"), form.get("deploy"));
                    wake(form.get("node"));
                    text(ctx, 200, "ok\n");
                    return;
                }
                LOG.warn("rejected POST {} from {}: bad check-in token", path(ctx),
                        ctx.request().remoteAddress());
                text(ctx, 401, "unauthorized\n");
                return;
            }
            if (d.closed) {
                LOG.info("rejected check-in for deploy {}: closed", d.deployId);
                text(ctx, 401, "deploy closed\n");
                return;
            }
            if (d.phase != DeployPhase.WRITTEN) {
                LOG.info("rejected check-in for deploy {}: the deploy is {}, not written", d.deployId, d.phase);
                text(ctx, 409, "deploy not written\n");
                return;
            }
            if (d.checkedIn) {
                // a check-in token works once: a replay must not change what the first check-in established
                LOG.warn("rejected check-in for deploy {} of node {} from {}: it checked in already (a check-in"
                        + " token works once)", d.deployId, d.node, ctx.request().remoteAddress());
                text(ctx, 409, "already checked in\n");
                return;
            }
            node = d.node;
            answer = DeployReports.checkIn(d, form, clock);
            registry.persist();
        }
        wake(node);
        text(ctx, answer.status(), answer.body());
    }

    /** Tells the engine about a reported change; a failing waker must not fail the agent's request. */
    private void wake(String node) {
        if (node == null) {
            return;
        }
        try {
            config.waker().wake(node);
        } catch (RuntimeException e) {
            LOG.warn("waking node {} failed: {}", node, e.toString());
        }
    }

    private static String bearer(RoutingContext ctx) {
        return Bearer.token(ctx.request().getHeader("Authorization"));
    }

    /**
     * The request body as {@code application/x-www-form-urlencoded}, whatever the Content-Type says. Values are
     * made {@link Printable} here, where they come in: they end up in messages, status, events and log lines.
     */
    private static Map<String, String> form(RoutingContext ctx) {
        Map<String, String> form = new HashMap<>();
        String body = ctx.body() == null || ctx.body().buffer() == null ? "" : ctx.body().asString();
        for (String pair : body.trim().split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String k = eq < 0 ? pair : pair.substring(0, eq);
            String v = eq < 0 ? "" : pair.substring(eq + 1);
            try {
                form.put(Printable.of(URLDecoder.decode(k, StandardCharsets.UTF_8)),
                        Printable.of(URLDecoder.decode(v, StandardCharsets.UTF_8)));
            } catch (IllegalArgumentException e) {
                form.put(Printable.of(k), Printable.of(v));
            }
        }
        return form;
    }

    /** The request path for a log line: sent by anyone who can reach the port. */
    private static String path(RoutingContext ctx) {
        return Printable.of(ctx.request().path());
    }

    private static void text(RoutingContext ctx, int status, String body) {
        ctx.response().setStatusCode(status).putHeader("Content-Type", "text/plain; charset=utf-8").end(body);
    }
}
