package dev.plinth.driver.redfish;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plinth.driver.DriverException;
import dev.plinth.driver.FailureKind;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTP to one Redfish service (one BMC) as one user; the clients of other users of the same BMC share its lock and
 * pacing ({@link BmcGate}). Authenticates with a session (X-Auth-Token) when the service
 * has a SessionService, reusing the token until the BMC answers 401 (expired, or the BMC restarted), then opens a
 * new one once; otherwise (no sessions, or the BMC refuses to create one) Basic auth on every request. Thread-safe:
 * requests are serialised (one in flight per BMC), spaced by {@link RedfishClientConfig#minInterval()} and bounded by
 * {@link RedfishClientConfig#callTimeout()}. Failures are {@link DriverException}s with a {@link FailureKind}; no
 * message ever holds the password or the token.
 */
public final class RedfishClient implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RedfishClient.class);
    static final ObjectMapper JSON = new ObjectMapper();
    static final String ROOT = "/redfish/v1/";

    /** One answer; {@code body} is a MissingNode when there was none (204) or it was not JSON. */
    public record Response(int status, Optional<String> etag, Optional<String> location, JsonNode body) {
        boolean ok() {
            return status >= 200 && status < 300;
        }
    }

    enum Auth { UNKNOWN, SESSION, BASIC }

    private final URI base;
    private final String username;
    private final byte[] password;
    private final HttpClient http;
    private final RedfishClientConfig config;
    private final String name;

    private final BmcGate gate;
    private final ReentrantLock lock;
    private final AtomicInteger sessionsOpened = new AtomicInteger();
    private final AtomicLong requests = new AtomicLong();
    private Auth auth = Auth.UNKNOWN;
    private String token;
    private String sessionUri;
    private volatile boolean closed;
    private volatile long lastUsedNanos = System.nanoTime();

    /**
     * @param base {@code http(s)://host:port}
     * @param http the client to send with; its TLS context decides how the BMC's certificate is checked
     */
    public RedfishClient(URI base, String username, String password, HttpClient http, RedfishClientConfig config) {
        this(base, username, password, http, config, new BmcGate());
    }

    /** @param gate the lock and pacing of this BMC, shared with its clients for other users */
    RedfishClient(URI base, String username, String password, HttpClient http, RedfishClientConfig config,
            BmcGate gate) {
        this.gate = gate;
        this.lock = gate.lock;
        this.base = base;
        this.username = username;
        this.password = password.getBytes(StandardCharsets.UTF_8);
        this.http = http;
        this.config = config;
        this.name = "BMC " + base;
    }

    /** An HTTP/1.1 client (BMCs rarely speak HTTP/2, and an h2c upgrade confuses some) with this TLS context. */
    public static HttpClient httpClient(javax.net.ssl.SSLContext tls, RedfishClientConfig config) {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(tls)
                .connectTimeout(config.connectTimeout()).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    public Response get(String path) throws DriverException {
        return call("GET", path, null, null);
    }

    /** PATCH with {@code If-Match} when an ETag is given (BMCs that hand out ETags may insist on it). */
    public Response patch(String path, JsonNode body, String etag) throws DriverException {
        return call("PATCH", path, body, etag);
    }

    public Response post(String path, JsonNode body) throws DriverException {
        return call("POST", path, body, null);
    }

    /**
     * Follows a task monitor (the Location of a 202 answer) until the task is done, polling without holding the
     * BMC's lock between reads.
     *
     * @throws DriverException TIMEOUT after {@link RedfishClientConfig#taskTimeout()}; PROTOCOL when the task ended
     *     in an exception, naming its messages
     */
    public Response awaitTask(String what, Response accepted) throws DriverException {
        if (accepted.status() != 202) {
            return accepted;
        }
        String monitor = accepted.location().orElseThrow(() -> new DriverException(FailureKind.PROTOCOL,
                name + ": " + what + " was accepted (202) without a task monitor Location"));
        long deadline = System.nanoTime() + config.taskTimeout().toNanos();
        while (true) {
            Response r = get(monitor);
            String state = r.body().path("TaskState").asText("");
            if (r.status() == 202 || (r.status() == 200 && (state.equals("Running") || state.equals("New")
                    || state.equals("Pending") || state.equals("Starting")))) {
                if (System.nanoTime() - deadline > 0) {
                    throw new DriverException(FailureKind.TIMEOUT, name + ": " + what + " still running after "
                            + config.taskTimeout().toSeconds() + " s (task " + monitor + ")");
                }
                sleep(config.taskPoll().toNanos(), what);
                continue;
            }
            if (!r.ok() || state.equals("Exception") || state.equals("Killed") || state.equals("Cancelled")) {
                throw new DriverException(FailureKind.PROTOCOL, name + ": " + what + " failed (task " + monitor
                        + (state.isEmpty() ? ", HTTP " + r.status() : ", " + state) + ")" + messages(r.body()));
            }
            return r;
        }
    }

    /** One request, authenticated; 401 on a session re-authenticates once. Returns any other status as is. */
    private Response call(String method, String path, JsonNode body, String ifMatch) throws DriverException {
        long deadline = System.nanoTime() + config.callTimeout().toNanos();
        lastUsedNanos = System.nanoTime();
        String what = method + " " + path;
        acquire(what, deadline);
        try {
            if (closed) {
                throw new DriverException(FailureKind.PROTOCOL, name + ": client closed");
            }
            if (auth == Auth.UNKNOWN) {
                authenticate(deadline);
            }
            Response r = send(method, path, body, ifMatch, deadline, true);
            if (r.status() == 401 && auth == Auth.SESSION) {
                LOG.debug("{}: session refused on {}; opening a new one", name, what);
                token = null;
                sessionUri = null;
                authenticate(deadline);
                r = send(method, path, body, ifMatch, deadline, true);
            }
            if (r.status() == 401 || r.status() == 403 && auth == Auth.BASIC) {
                throw new DriverException(FailureKind.AUTHENTICATION, name + " rejected the credentials of user "
                        + username + " (HTTP " + r.status() + " on " + what + ")");
            }
            return r;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Opens a session when the service root links to a session collection; falls back to Basic auth when there is
     * none or the BMC will not create one for a reason other than the credentials.
     */
    private void authenticate(long deadline) throws DriverException {
        Response root = send("GET", ROOT, null, null, deadline, false);
        if (!root.ok()) {
            throw new DriverException(FailureKind.PROTOCOL, name + ": service root " + ROOT + " answered HTTP "
                    + root.status() + " (is this a Redfish service?)" + messages(root.body()));
        }
        String sessions = root.body().path("Links").path("Sessions").path("@odata.id").asText("");
        if (sessions.isEmpty()) {
            auth = Auth.BASIC;
            return;
        }
        ObjectNode login = JSON.createObjectNode().put("UserName", username)
                .put("Password", new String(password, StandardCharsets.UTF_8));
        Sent created = sendRaw("POST", sessions, login, null, deadline, false);
        Response r = created.response();
        if (r.status() == 401 || r.status() == 403) {
            throw new DriverException(FailureKind.AUTHENTICATION, name + " rejected the credentials of user "
                    + username + " (HTTP " + r.status() + " creating a session)");
        }
        String t = r.ok() ? created.token() : null;
        if (t == null || t.isBlank()) {
            LOG.info("{}: no session (HTTP {} from {}); using Basic auth", name, r.status(), sessions);
            auth = Auth.BASIC;
            return;
        }
        token = t;
        sessionUri = r.location().orElse(null);
        auth = Auth.SESSION;
        sessionsOpened.incrementAndGet();
    }

    /** An answer and the session token it carried, kept out of {@link Response} so no toString can show it. */
    private record Sent(Response response, String token) {}

    private Response send(String method, String path, JsonNode body, String ifMatch, long deadline,
            boolean authenticated) throws DriverException {
        return sendRaw(method, path, body, ifMatch, deadline, authenticated).response();
    }

    private Sent sendRaw(String method, String path, JsonNode body, String ifMatch, long deadline,
            boolean authenticated) throws DriverException {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw new DriverException(FailureKind.TIMEOUT, name + ": " + method + " " + path + " ran out of time ("
                    + config.callTimeout().toMillis() + " ms)");
        }
        pace(method + " " + path, deadline);
        URI uri = base.resolve(path);
        // at least 1 ms: the rate limit may have used up what was left, and the client refuses a zero timeout
        HttpRequest.Builder b = HttpRequest.newBuilder(uri)
                .timeout(Duration.ofNanos(Math.max(1_000_000, deadline - System.nanoTime())))
                .header("Accept", "application/json").header("OData-Version", "4.0");
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        if (ifMatch != null) {
            b.header("If-Match", ifMatch);
        }
        if (authenticated) {
            if (auth == Auth.SESSION) {
                b.header("X-Auth-Token", token);
            } else {
                b.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                        (username + ":" + new String(password, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8)));
            }
        }
        HttpRequest.BodyPublisher pub = body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofByteArray(bytes(body));
        HttpResponse<byte[]> resp;
        try {
            resp = http.send(b.method(method, pub).build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (HttpConnectTimeoutException e) {
            throw new DriverException(FailureKind.UNREACHABLE, name + " did not accept a connection within "
                    + config.connectTimeout().toMillis() + " ms", e);
        } catch (HttpTimeoutException e) {
            throw new DriverException(FailureKind.TIMEOUT, name + ": " + method + " " + path
                    + " got no answer within the call's " + config.callTimeout().toMillis() + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DriverException(FailureKind.TIMEOUT, name + ": " + method + " " + path + " interrupted");
        } catch (IOException e) {
            if (TlsProblems.isTls(e)) {
                // refused before any request reached the BMC: nothing happened there
                throw new DriverException(FailureKind.PROTOCOL, name + ": TLS failed: "
                        + TlsProblems.describe(e), e);
            }
            if (e instanceof ConnectException || e.getCause() instanceof ConnectException) {
                throw new DriverException(FailureKind.UNREACHABLE, name + " is unreachable (connection refused or"
                        + " no route): " + e.getClass().getSimpleName(), e);
            }
            throw new DriverException(FailureKind.UNREACHABLE, name + ": " + method + " " + path
                    + " failed: " + e, e);
        }
        requests.incrementAndGet();
        JsonNode json = MissingNode.getInstance();
        if (resp.body().length > 0) {
            try {
                json = JSON.readTree(resp.body());
            } catch (IOException e) {
                json = MissingNode.getInstance(); // an HTML error page, say; the status still tells
            }
        }
        Optional<String> etag = resp.headers().firstValue("ETag");
        if (etag.isEmpty() && json.hasNonNull("@odata.etag")) {
            etag = Optional.of(json.get("@odata.etag").asText());
        }
        Optional<String> location = resp.headers().firstValue("Location").map(l -> base.resolve(l).getRawPath());
        return new Sent(new Response(resp.statusCode(), etag, location, json),
                resp.headers().firstValue("X-Auth-Token").orElse(null));
    }

    private static byte[] bytes(JsonNode body) {
        try {
            return JSON.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The messages of a Redfish error body ({@code error.@Message.ExtendedInfo[].Message}), or its text. */
    static String messages(JsonNode body) {
        JsonNode err = body.path("error");
        StringBuilder sb = new StringBuilder();
        for (JsonNode info : err.path("@Message.ExtendedInfo")) {
            String m = info.path("Message").asText("");
            if (!m.isEmpty()) {
                sb.append(sb.length() == 0 ? "" : "; ").append(m);
            }
        }
        for (JsonNode info : body.path("Messages")) {
            String m = info.path("Message").asText("");
            if (!m.isEmpty()) {
                sb.append(sb.length() == 0 ? "" : "; ").append(m);
            }
        }
        if (sb.length() == 0 && err.hasNonNull("message")) {
            sb.append(err.get("message").asText());
        }
        return sb.length() == 0 ? "" : ": " + sb;
    }

    private void acquire(String what, long deadline) throws DriverException {
        try {
            if (!lock.tryLock(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                throw new DriverException(FailureKind.TIMEOUT, name + ": " + what + " waited "
                        + config.callTimeout().toMillis() + " ms for earlier calls to this BMC");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DriverException(FailureKind.TIMEOUT, name + ": " + what + " interrupted");
        }
    }

    /** Waits until {@link RedfishClientConfig#minInterval()} has passed since the previous request started. */
    private void pace(String what, long deadline) throws DriverException {
        long now = System.nanoTime();
        if (gate.started) {
            long earliest = gate.lastStartNanos + config.minInterval().toNanos();
            if (earliest - now > 0) {
                if (earliest - deadline > 0) {
                    throw new DriverException(FailureKind.TIMEOUT, name + ": " + what
                            + " would exceed its deadline waiting for the rate limit");
                }
                sleep(earliest - now, what);
                now = System.nanoTime();
            }
        }
        gate.lastStartNanos = now;
        gate.started = true;
    }

    private void sleep(long nanos, String what) throws DriverException {
        try {
            TimeUnit.NANOSECONDS.sleep(nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DriverException(FailureKind.TIMEOUT, name + ": " + what + " interrupted");
        }
    }

    /** SHA-256 of a password, hex: how the driver tells credential sets apart without keeping them side by side. */
    static String digest(String password) {
        try {
            return java.util.HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(password.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** How long since this client's last call started (or since it was made). */
    long idleNanos() {
        return System.nanoTime() - lastUsedNanos;
    }

    /** Whether this client was made for these credentials (compared in constant time). */
    public boolean sameCredentials(String user, String pass) {
        return username.equals(user) && MessageDigest.isEqual(password, pass.getBytes(StandardCharsets.UTF_8));
    }

    /** How many sessions this client has opened so far (0 with Basic auth). */
    public int sessionsOpened() { return sessionsOpened.get(); }

    /** HTTP requests answered so far (any status). */
    public long requests() { return requests.get(); }

    /** How this client authenticates now: UNKNOWN before its first call. */
    public String authMode() {
        lock.lock();
        try {
            return auth.name();
        } finally {
            lock.unlock();
        }
    }

    /** Logs the session out (best effort, bounded); later calls fail. */
    @Override
    public void close() {
        boolean locked = false;
        try {
            locked = lock.tryLock(config.callTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            if (locked && auth == Auth.SESSION && sessionUri != null) {
                try {
                    send("DELETE", sessionUri, null, null, System.nanoTime() + config.connectTimeout().toNanos(), true);
                } catch (DriverException e) {
                    LOG.debug("{}: logging the session out failed: {}", name, e.getMessage());
                }
            }
            closed = true;
            token = null;
        } finally {
            if (locked) {
                lock.unlock();
            }
        }
    }

    @Override
    public String toString() {
        return "RedfishClient[" + username + "@" + base + "]";
    }
}
