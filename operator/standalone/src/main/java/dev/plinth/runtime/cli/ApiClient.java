package dev.plinth.runtime.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plinth.json.Json;
import dev.plinth.runtime.http.ApiToken;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Reads the controller's JSON status API, with its bearer token when the API needs one. Every failure is an
 * exception whose message says what is wrong and what to do, in one line ({@link OneLineErrors} prints it).
 */
final class ApiClient {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).build();
    private final String base;
    /** Never printed. */
    private final ApiToken token;

    ApiClient(String server, Path tokenFile) {
        this.base = checked(server.endsWith("/") ? server.substring(0, server.length() - 1) : server);
        this.token = tokenFile == null ? null : ApiToken.fromFile(tokenFile);
    }

    /** The server as an http(s) URL with a host, or the way to write it. */
    private static String checked(String server) {
        URI uri;
        try {
            uri = new URI(server);
        } catch (URISyntaxException e) {
            uri = null;
        }
        boolean http = uri != null && uri.getScheme() != null
                && (uri.getScheme().equals("http") || uri.getScheme().equals("https"));
        if (!http || uri.getHost() == null) {
            throw new IllegalArgumentException("--server " + server + " is not an http(s) URL: write it as http://"
                    + (server.contains("://") ? server.substring(server.indexOf("://") + 3) : server));
        }
        return server;
    }

    String base() {
        return base;
    }

    JsonNode get(String path) throws InterruptedException {
        return find(path).orElseThrow(() -> new IllegalStateException(base + path + " answered 404: not found"));
    }

    <T> T get(String path, Class<T> type) throws InterruptedException {
        try {
            return Json.MAPPER.treeToValue(get(path), type);
        } catch (IOException e) {
            throw new IllegalStateException(base + path + " answered a document this plinth cannot read (a different"
                    + " version of Plinth?): " + OneLineErrors.message(e));
        }
    }

    /** The document at {@code path}, or empty when the controller answers 404 (no such node, for one). */
    Optional<JsonNode> find(String path) throws InterruptedException {
        HttpResponse<String> r = send(path);
        if (r.statusCode() == 404) {
            return Optional.empty();
        }
        if (r.statusCode() == 401) {
            throw new IllegalStateException(base + " wants the API token: pass --token-file FILE"
                    + (token == null ? "" : " (the one given was refused)"));
        }
        if (r.statusCode() != 200) {
            throw new IllegalStateException(base + path + " answered " + r.statusCode() + ": "
                    + OneLineErrors.message(new Exception(r.body().strip())));
        }
        try {
            return Optional.of(Json.MAPPER.readTree(r.body()));
        } catch (IOException e) {
            throw new IllegalStateException(base + path + " answered something that is not JSON: is " + base
                    + " a Plinth controller? (pass --server)");
        }
    }

    /**
     * POSTs an empty body and returns the JSON answer of a 200; any other answer is an exception with the
     * controller's {@code error} message.
     */
    JsonNode post(String path) throws InterruptedException {
        HttpResponse<String> r = send(path, HttpRequest.BodyPublishers.noBody());
        if (r.statusCode() == 401) {
            throw new IllegalStateException(base + " wants the API token: pass --token-file FILE"
                    + (token == null ? "" : " (the one given was refused)"));
        }
        JsonNode body;
        try {
            body = Json.MAPPER.readTree(r.body());
        } catch (IOException e) {
            body = null;
        }
        if (r.statusCode() != 200 || body == null) {
            String error = body != null && body.path("error").isTextual() ? body.path("error").asText()
                    : OneLineErrors.message(new Exception(r.body().strip()));
            throw new IllegalStateException(error + " (" + base + path + " answered " + r.statusCode() + ")");
        }
        return body;
    }

    private HttpResponse<String> send(String path) throws InterruptedException {
        return send(path, null);
    }

    /** A GET, or a POST of {@code body} when it is not null. */
    private HttpResponse<String> send(String path, HttpRequest.BodyPublisher body) throws InterruptedException {
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30));
            if (body != null) {
                request.POST(body);
            }
            if (token != null) {
                request.header("Authorization", token.authorizationHeader());
            }
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (java.net.ConnectException e) {
            throw new IllegalStateException("no Plinth controller answers at " + base
                    + " (start one with `plinth run`, or pass --server)");
        } catch (HttpConnectTimeoutException e) {
            throw new IllegalStateException("no answer from " + base + " within " + CONNECT_TIMEOUT.toSeconds()
                    + "s: check the address and the network, or pass --server");
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + base + path + ": " + e.getMessage()
                    + " (is it a Plinth controller? pass --server)");
        }
    }
}
