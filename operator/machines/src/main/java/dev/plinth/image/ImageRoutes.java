package dev.plinth.image;

import dev.plinth.http.Bearer;
import dev.plinth.core.Printable;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.FileSystemAccess;
import io.vertx.ext.web.handler.StaticHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Serves the verified files of the cache directory to the deploy ramdisk over HTTP. */
final class ImageRoutes {
    // logged as the facade, as before the split
    private static final Logger LOG = LoggerFactory.getLogger(ImageCache.class);
    private static final String PREFIX = ImageCache.PREFIX;

    private ImageRoutes() {}

    private static String bearer(io.vertx.core.http.HttpServerRequest request) {
        return Bearer.token(request.getHeader("Authorization"));
    }

    /**
     * Serves {@code GET|HEAD /images/<file>} from the cache directory: only verified files, only to a request whose
     * bearer token {@code access} admits for that file, with range requests and zero-copy {@code sendFile}.
     */
    static void mount(Router router, CacheDirectory cache, ImageAccess access) {
        StaticHandler files = StaticHandler.create(FileSystemAccess.ROOT, cache.path().toString())
                .setCachingEnabled(false)
                .setDirectoryListing(false)
                // the handler below admits only verified file names; the cache itself may live under a hidden
                // directory such as .plinth/, which StaticHandler would otherwise refuse to serve from
                .setIncludeHidden(true)
                .setEnableRangeSupport(true)
                .setSendVaryHeader(false);
        router.route(PREFIX + "*").handler(ctx -> {
            // the route also matches "/images" itself, shorter than the prefix
            String path = ctx.normalizedPath();
            String name = path.length() <= PREFIX.length() ? "" : path.substring(PREFIX.length());
            if (name.isEmpty() || name.contains("/") || !cache.servable(name)
                    || !access.mayFetch(name, bearer(ctx.request()))) {
                // the same answer whatever the reason: nothing to learn about which images exist
                ctx.response().setStatusCode(404).end("no such image\n");
                return;
            }
            ctx.response().putHeader("Content-Type", "application/octet-stream");
            ctx.next();
        }).handler(files).failureHandler(ctx -> {
            // a node that stops reading (power-cycled, aborted download) is no controller error
            Throwable f = ctx.failure();
            if (f instanceof io.vertx.core.http.HttpClosedException || ctx.request().connection() == null
                    || ctx.response().closed()) {
                LOG.debug("image download {} from {} aborted by the client", Printable.of(ctx.request().path()),
                        ctx.request().remoteAddress());
                return;
            }
            LOG.warn("serving {} failed: {}", Printable.of(ctx.request().path()), f == null ? ctx.statusCode() : f.toString());
            if (!ctx.response().headWritten()) {
                ctx.response().setStatusCode(f == null ? ctx.statusCode() : 500).end();
            } else {
                ctx.response().reset();
            }
        });
    }
}
