package dev.plinth.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * One recorded protocol transcript of {@code ramdisk/protocol/*.exchanges} (format: ramdisk/protocol/README.md):
 * the deploys it starts from and its exchanges, each a request and what matters in the answer. The same file is
 * replayed against the controller, the Python stub and the agent, so the three cannot drift apart.
 */
record Transcript(String name, List<String> givenDeploys, List<Exchange> exchanges) {
    /** How {@code givenDeploys} names a wipe of the disks ({@code given wipe ID}): {@code wipe:ID}. */
    static final String WIPE = "wipe:";
    /** How {@code givenDeploys} names an inspection ({@code given inspect ID}): {@code inspect:ID}. */
    static final String INSPECT = "inspect:";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{([A-Za-z0-9_.]+)}}");

    /** A form field of the request: exact ({@code =}) or an example any value of the agent may replace ({@code ~}). */
    record Field(String name, boolean exact, String value) {}

    /** One expected line of a text answer, a glob ({@code *} is any text); {@code absent}: no line matches. */
    record Line(String glob, boolean absent) {}

    record Exchange(String title, boolean agentOptional, String method, String path, Map<String, String> headers,
            List<Field> form, int status, Map<String, String> expectedHeaders, Map<String, String> json,
            List<Line> lines) {

        /** True for the exchanges the deploy agent itself makes (the rest are iPXE's and the installed OS's). */
        boolean byAgent() {
            return path.startsWith("/v1/agent/deploys/");
        }

        /** The request body sent to a server: the form with example values. */
        String body(UnaryOperator<String> vars) {
            StringBuilder b = new StringBuilder();
            for (Field f : form) {
                b.append(b.length() == 0 ? "" : "&").append(f.name()).append('=')
                        .append(URLEncoder.encode(vars.apply(f.value()), StandardCharsets.UTF_8));
            }
            return b.toString();
        }

        /** What is wrong with a server's answer, empty when it fulfils the transcript. */
        List<String> checkAnswer(int gotStatus, Map<String, String> gotHeaders, String body, UnaryOperator<String> vars) {
            List<String> problems = new ArrayList<>();
            if (gotStatus != status) {
                problems.add("status " + gotStatus + ", expected " + status + " (body: " + abbreviate(body) + ")");
            }
            expectedHeaders.forEach((k, v) -> {
                String got = gotHeaders.get(k.toLowerCase(Locale.ROOT));
                if (got == null || !got.startsWith(vars.apply(v))) {
                    problems.add("header " + k + ": " + got + ", expected " + vars.apply(v) + "...");
                }
            });
            if (!json.isEmpty()) {
                JsonNode tree;
                try {
                    tree = JSON.readTree(body);
                } catch (IOException e) {
                    return append(problems, "body is not JSON: " + abbreviate(body));
                }
                json.forEach((path, literal) -> {
                    JsonNode got = tree;
                    for (String key : path.split("\\.")) {
                        got = got == null ? null : got.get(key);
                    }
                    JsonNode want = parse(vars.apply(literal));
                    if (!want.equals(got)) {
                        problems.add("json " + path + ": " + got + ", expected " + want);
                    }
                });
            }
            List<String> got = List.of(body.split("\r?\n", -1));
            int from = 0;
            for (Line l : lines) {
                Pattern p = glob(vars.apply(l.glob()));
                if (l.absent()) {
                    got.stream().filter(s -> p.matcher(s).matches()).findFirst()
                            .ifPresent(s -> problems.add("unexpected line: " + s));
                    continue;
                }
                int at = -1;
                for (int i = from; i < got.size() && at < 0; i++) {
                    at = p.matcher(got.get(i)).matches() ? i : -1;
                }
                if (at < 0) {
                    problems.add("no line '" + vars.apply(l.glob()) + "' (in order) in: " + abbreviate(body));
                } else {
                    from = at + 1;
                }
            }
            return problems;
        }

        /** What is wrong with a request the agent made, if this exchange is the one it meant. */
        List<String> checkRequest(String gotMethod, String gotPath, Map<String, String> gotHeaders, String gotBody,
                UnaryOperator<String> vars) {
            List<String> problems = new ArrayList<>();
            if (!method.equals(gotMethod) || !vars.apply(path).equals(gotPath)) {
                return append(problems, gotMethod + " " + gotPath + ", expected " + method + " " + vars.apply(path));
            }
            headers.forEach((k, v) -> {
                String got = gotHeaders.get(k.toLowerCase(Locale.ROOT));
                if (!vars.apply(v).equals(got)) {
                    // the value may be a token: name the header only
                    problems.add("header " + k + " is not the recorded one" + (got == null ? " (missing)" : ""));
                }
            });
            Map<String, String> sent = formOf(gotBody);
            for (Field f : form) {
                String got = sent.remove(f.name());
                if (got == null) {
                    problems.add("form field " + f.name() + " missing");
                } else if (f.exact() && !vars.apply(f.value()).equals(got)) {
                    problems.add("form field " + f.name() + "=" + got + ", expected " + vars.apply(f.value()));
                }
            }
            if (!sent.isEmpty()) {
                problems.add("form fields not in the transcript: " + sent.keySet());
            }
            return problems;
        }

        /** The answer a replay server gives the agent: the recorded JSON fields, or the expected lines. */
        String answer(UnaryOperator<String> vars) {
            if (!json.isEmpty()) {
                ObjectNode root = JSON.createObjectNode();
                json.forEach((path, literal) -> {
                    String[] keys = path.split("\\.");
                    ObjectNode at = root;
                    for (int i = 0; i < keys.length - 1; i++) {
                        at = at.has(keys[i]) ? (ObjectNode) at.get(keys[i]) : at.putObject(keys[i]);
                    }
                    at.set(keys[keys.length - 1], parse(vars.apply(literal)));
                });
                return root.toString();
            }
            StringBuilder b = new StringBuilder();
            lines.stream().filter(l -> !l.absent()).forEach(l -> b.append(vars.apply(l.glob())).append('\n'));
            return b.toString();
        }

        String contentType() {
            return expectedHeaders.getOrDefault("Content-Type", json.isEmpty() ? "text/plain; charset=utf-8"
                    : "application/json");
        }
    }

    /** Every transcript in {@code dir}, by file name. */
    static List<Transcript> all(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.toString().endsWith(".exchanges")).sorted().map(Transcript::read).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Transcript read(Path file) {
        try {
            return parse(file.getFileName().toString(), Files.readAllLines(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Transcript parse(String name, List<String> lines) {
        List<String> given = new ArrayList<>();
        List<Exchange> exchanges = new ArrayList<>();
        Builder b = null;
        int n = 0;
        for (String raw : lines) {
            n++;
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("# ")) {
                continue;
            }
            String where = name + ":" + n + ": ";
            if (line.startsWith("### ")) {
                if (b != null) {
                    exchanges.add(b.build(where));
                }
                b = new Builder(line.substring(4).strip());
            } else if (b == null) {
                Matcher m = Pattern.compile("given (deploy|wipe|inspect) ([A-Za-z0-9._-]+)").matcher(line);
                if (!m.matches()) {
                    throw new IllegalArgumentException(where + "expected 'given deploy ID', 'given wipe ID',"
                            + " 'given inspect ID' or '### title': " + line);
                }
                // a wipe is named wipe:ID, an inspection inspect:ID (see givenDeploys)
                given.add(m.group(1).equals("wipe") ? WIPE + m.group(2)
                        : m.group(1).equals("inspect") ? INSPECT + m.group(2) : m.group(2));
            } else {
                b.line(line, where);
            }
        }
        if (b != null) {
            exchanges.add(b.build(name + ":" + n + ": "));
        }
        if (exchanges.isEmpty()) {
            throw new IllegalArgumentException(name + ": no exchanges");
        }
        return new Transcript(name, List.copyOf(given), List.copyOf(exchanges));
    }

    /** Fills in {@code {{name}}} from {@code values}; an unknown placeholder is an error, not an empty string. */
    static String fill(String s, Map<String, String> values) {
        Matcher m = PLACEHOLDER.matcher(s);
        StringBuilder b = new StringBuilder();
        while (m.find()) {
            String v = values.get(m.group(1));
            if (v == null) {
                throw new IllegalArgumentException("no value for {{" + m.group(1) + "}} in: " + s);
            }
            m.appendReplacement(b, Matcher.quoteReplacement(v));
        }
        return m.appendTail(b).toString();
    }

    static Map<String, String> formOf(String body) {
        Map<String, String> form = new LinkedHashMap<>();
        for (String pair : body.strip().split("&")) {
            if (!pair.isEmpty()) {
                int eq = pair.indexOf('=');
                form.put(URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8),
                        eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return form;
    }

    private static final class Builder {
        private final String title;
        private boolean agentOptional;
        private String method;
        private String path;
        private final Map<String, String> headers = new LinkedHashMap<>();
        private final List<Field> form = new ArrayList<>();
        private int status;
        private final Map<String, String> expectedHeaders = new LinkedHashMap<>();
        private final Map<String, String> json = new LinkedHashMap<>();
        private final List<Line> lines = new ArrayList<>();

        Builder(String title) {
            this.title = title;
        }

        void line(String line, String where) {
            Matcher m;
            if (line.equals("agent optional")) {
                agentOptional = true;
            } else if ((m = Pattern.compile("(GET|POST) (/\\S*)").matcher(line)).matches() && method == null) {
                method = m.group(1);
                path = m.group(2);
            } else if ((m = Pattern.compile("form ([A-Za-z0-9_.]+) ([=~]) (.*)").matcher(line)).matches()) {
                form.add(new Field(m.group(1), m.group(2).equals("="), m.group(3)));
            } else if ((m = Pattern.compile("expect (\\d{3})").matcher(line)).matches()) {
                status = Integer.parseInt(m.group(1));
            } else if ((m = Pattern.compile("expect header ([A-Za-z-]+): (.*)").matcher(line)).matches()) {
                expectedHeaders.put(m.group(1), m.group(2));
            } else if ((m = Pattern.compile("expect json ([A-Za-z0-9_.]+) = (.*)").matcher(line)).matches()) {
                json.put(m.group(1), m.group(2));
            } else if ((m = Pattern.compile("expect (no-)?line (.*)").matcher(line)).matches()) {
                lines.add(new Line(m.group(2), m.group(1) != null));
            } else if ((m = Pattern.compile("([A-Za-z-]+): (.*)").matcher(line)).matches() && method != null
                    && form.isEmpty() && status == 0) {
                headers.put(m.group(1), m.group(2));
            } else {
                throw new IllegalArgumentException(where + "cannot read: " + line);
            }
        }

        Exchange build(String where) {
            if (method == null || status == 0) {
                throw new IllegalArgumentException(where + "exchange '" + title + "' needs a request line and 'expect STATUS'");
            }
            return new Exchange(title, agentOptional, method, path, Map.copyOf(headers), List.copyOf(form), status,
                    Map.copyOf(expectedHeaders), new LinkedHashMap<>(json), List.copyOf(lines));
        }
    }

    private static JsonNode parse(String literal) {
        try {
            return JSON.readTree(literal);
        } catch (IOException e) {
            throw new IllegalArgumentException("not a JSON value: " + literal, e);
        }
    }

    private static Pattern glob(String glob) {
        return Pattern.compile(Arrays.stream(glob.split("\\*", -1)).map(Pattern::quote)
                .collect(Collectors.joining(".*")));
    }

    private static List<String> append(List<String> list, String s) {
        list.add(s);
        return list;
    }

    private static String abbreviate(String s) {
        String one = s.replace("\n", "\\n");
        return one.length() <= 300 ? one : one.substring(0, 300) + "...";
    }
}
