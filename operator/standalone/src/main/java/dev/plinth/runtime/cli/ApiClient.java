package dev.plinth.runtime.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plinth.json.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Reads the controller's JSON status API. */
final class ApiClient {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;

    ApiClient(String base) {
        this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
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
            r = http.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (java.net.ConnectException e) {
            throw new IllegalStateException("no Plinth controller answers at " + base
                    + " (start one with `plinth run`, or pass --server)");
        }
        if (r.statusCode() != 200) {
            throw new IllegalStateException(base + path + " answered " + r.statusCode() + ": " + r.body());
        }
        return r.body();
    }
}
