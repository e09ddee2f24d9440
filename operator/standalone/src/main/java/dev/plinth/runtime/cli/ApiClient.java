package dev.plinth.runtime.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plinth.json.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** Reads the controller's JSON status API, with its bearer token when the API needs one. */
final class ApiClient {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;
    /** Never printed: the first line of the token file. */
    private final String token;

    ApiClient(String base, Path tokenFile) {
        this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        this.token = tokenFile == null ? null : readToken(tokenFile);
    }

    private static String readToken(Path file) {
        try {
            return Files.readString(file).lines().findFirst().orElse("").trim();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the API token file " + file + ": "
                    + e.getClass().getSimpleName());
        }
    }

    JsonNode get(String path) throws Exception {
        return Json.MAPPER.readTree(getText(path));
    }

    <T> T get(String path, Class<T> type) throws Exception {
        return Json.read(getText(path), type);
    }

    private String getText(String path) throws Exception {
        HttpResponse<String> r;
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30));
            if (token != null) {
                request.header("Authorization", "Bearer " + token);
            }
            r = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (java.net.ConnectException e) {
            throw new IllegalStateException("no Plinth controller answers at " + base
                    + " (start one with `plinth run`, or pass --server)");
        }
        if (r.statusCode() == 401) {
            throw new IllegalStateException(base + " wants the API token: pass --token-file FILE"
                    + (token == null ? "" : " (the one given was refused)"));
        }
        if (r.statusCode() != 200) {
            throw new IllegalStateException(base + path + " answered " + r.statusCode() + ": " + r.body());
        }
        return r.body();
    }
}
