package dev.plinth.load;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Typed, schema-checked access to one YAML mapping. Every getter records a problem and returns null (or a
 * default) instead of throwing, so one pass over a document reports everything wrong with it.
 *
 * <p>An <em>absent</em> instance stands for a mapping that is missing or of the wrong type; it answers null to
 * everything without reporting, since the parent already reported the one real problem.
 */
final class Fields {
    private static final Set<Tag> SCALAR_TAGS =
            Set.of(Tag.STR, Tag.INT, Tag.FLOAT, Tag.BOOL, Tag.NULL, Tag.TIMESTAMP);
    private static final Pattern DECIMAL = Pattern.compile("-?(0|[1-9][0-9]*)");
    private static final int ECHO_LIMIT = 64;

    private final Doc doc;
    private final String path;
    private final int line;
    private final boolean present;
    private final Map<String, NodeTuple> fields;
    /** Known fields that an unknown key was reported as a likely typo of: not reported again as missing. */
    private final Set<String> suggested;

    private Fields(Doc doc, String path, int line, boolean present, Map<String, NodeTuple> fields,
            Set<String> suggested) {
        this.doc = doc;
        this.path = path;
        this.line = line;
        this.present = present;
        this.fields = fields;
        this.suggested = suggested;
    }

    /**
     * Reads {@code node}'s keys, reporting unknown and duplicate ones.
     *
     * @param line where "missing field" problems point: the line of the key that holds this mapping
     * @param known the field names this mapping may have, in the order to list them in messages
     */
    static Fields of(Doc doc, String path, int line, MappingNode node, List<String> known) {
        return of(doc, path, line, node, known, List.of());
    }

    /**
     * @param forbidden names that are recognised but never suggested, so the reader can reject them with a
     *     specific message (e.g. inline credentials)
     */
    static Fields of(Doc doc, String path, int line, MappingNode node, List<String> known, List<String> forbidden) {
        Map<String, NodeTuple> fields = new LinkedHashMap<>();
        Map<String, Integer> seen = new HashMap<>();
        Set<String> suggested = new HashSet<>();
        for (NodeTuple t : node.getValue()) {
            Node k = t.getKeyNode();
            if (!(k instanceof ScalarNode ks) || ks.getTag().equals(Tag.NULL)) {
                doc.problem(line(k), path, "field names must be plain strings, got " + describe(k));
                continue;
            }
            String key = ks.getValue();
            String keyPath = join(path, key);
            Integer first = seen.putIfAbsent(key, line(k));
            if (first != null) {
                doc.problem(line(k), keyPath, "duplicate field \"" + key + "\": already set on line " + first
                        + "; each field may appear only once");
            } else if (key.equals("<<")) {
                doc.problem(line(k), keyPath, "merge keys (<<) are not supported: write the fields out in full");
            } else if (!known.contains(key) && !forbidden.contains(key)) {
                String hint = Suggestions.closest(key, known);
                if (hint != null) suggested.add(hint);
                doc.problem(line(k), keyPath, unknownField(key, hint, known));
            } else {
                fields.put(key, t);
            }
        }
        return new Fields(doc, path, line, true, fields, suggested);
    }

    static Fields absent(Doc doc, String path) {
        return new Fields(doc, path, 0, false, Collections.emptyMap(), Set.of());
    }

    private static String unknownField(String key, String hint, List<String> known) {
        if (hint != null) {
            return "unknown field \"" + key + "\": did you mean \"" + hint + "\"?";
        }
        return known.isEmpty()
                ? "unknown field \"" + key + "\": this mapping takes no fields"
                : "unknown field \"" + key + "\": expected one of " + String.join(", ", known);
    }

    boolean present() {
        return present;
    }

    String path() {
        return path;
    }

    String path(String name) {
        return join(path, name);
    }

    private static String join(String path, String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    /** Reports a field that must not be written at all; never echoes its value (it may be a secret). */
    void reject(String name, String message) {
        NodeTuple t = fields.get(name);
        if (t != null) {
            doc.problem(line(t.getKeyNode()), path(name), message);
        }
    }

    Doc doc() {
        return doc;
    }

    /** Line of a field's value once read, 0 otherwise. */
    int lineOf(String name) {
        return doc.lineOf(path(name));
    }

    /** Reports a problem about a field that was already read, at its value's line. */
    void report(String name, String message) {
        doc.problem(lineOf(name), path(name), message);
    }

    /** Reports a problem about an already-read field value. */
    void problem(String name, Node value, String message) {
        doc.problem(line(value), path(name), message);
    }

    /**
     * The value node of a field; null when missing, empty or carrying an unsupported tag (reported as needed).
     *
     * @param expected what a valid value looks like, for the "missing" message
     */
    Node value(String name, boolean required, String expected) {
        NodeTuple t = fields.get(name);
        Node v = t == null ? null : t.getValueNode();
        if (v == null || (v instanceof ScalarNode s && s.getTag().equals(Tag.NULL))) {
            if (required && present && !(t == null && suggested.contains(name))) {
                int at = t == null ? line : line(t.getKeyNode());
                doc.problem(at, path(name), "missing required field \"" + name + "\": expected " + expected);
            }
            return null;
        }
        boolean tagOk = v instanceof ScalarNode ? SCALAR_TAGS.contains(v.getTag())
                : v instanceof MappingNode ? v.getTag().equals(Tag.MAP)
                : v.getTag().equals(Tag.SEQ);
        if (!tagOk) {
            doc.problem(line(v), path(name), "unsupported YAML tag " + v.getTag().getValue()
                    + ": expected a plain value, " + expected);
            return null;
        }
        doc.recordLine(path(name), line(v));
        return v;
    }

    void wrongType(String name, Node value, String expected) {
        problem(name, value, "wrong type: expected " + expected + ", got " + describe(value));
    }

    /**
     * A string field. Any plain scalar counts, read as written (so an unquoted MAC that YAML 1.1 would resolve
     * as a sexagesimal integer still reads as text).
     *
     * @param check returns a problem message for a malformed value, or null when it is fine
     */
    String string(String name, boolean required, String expected, Function<String, String> check) {
        Node v = value(name, required, expected);
        if (v == null) return null;
        if (!(v instanceof ScalarNode s)) {
            wrongType(name, v, expected);
            return null;
        }
        String text = s.getValue();
        if (text.isEmpty()) {
            problem(name, v, "\"" + name + "\" is empty: expected " + expected);
            return null;
        }
        String error = check == null ? null : check.apply(text);
        if (error != null) {
            problem(name, v, error);
            return null;
        }
        return text;
    }

    String string(String name, boolean required, String expected) {
        return string(name, required, expected, null);
    }

    /** An integer field written in plain decimal, within [min, max]. */
    Integer integer(String name, boolean required, long min, long max, String expected) {
        Node v = value(name, required, expected);
        return v == null ? null : integerValue(name, v, min, max, expected);
    }

    Integer integerValue(String name, Node v, long min, long max, String expected) {
        if (!(v instanceof ScalarNode s) || !s.getTag().equals(Tag.INT)) {
            wrongType(name, v, expected);
            return null;
        }
        String text = s.getValue();
        if (!DECIMAL.matcher(text).matches()) {
            problem(name, v, "expected " + expected + " written in plain decimal, got " + quote(text));
            return null;
        }
        // Longer than 12 digits is out of any range used here; avoids overflow on parse.
        long n = text.length() > 12 ? (text.startsWith("-") ? Long.MIN_VALUE : Long.MAX_VALUE) : Long.parseLong(text);
        if (n < min || n > max) {
            problem(name, v, text + " is out of range: expected " + expected);
            return null;
        }
        return (int) n;
    }

    /** A boolean field; {@code dflt} when missing, and also after reporting a bad value (state is rejected then). */
    boolean bool(String name, boolean dflt) {
        Boolean b = bool(name);
        return b == null ? dflt : b;
    }

    /** An optional boolean field; null when missing or malformed (reported). */
    Boolean bool(String name) {
        Node v = value(name, false, "true or false");
        if (v == null) return null;
        if (!(v instanceof ScalarNode s) || !s.getTag().equals(Tag.BOOL)) {
            wrongType(name, v, "true or false");
            return null;
        }
        String text = s.getValue().toLowerCase();
        return text.equals("true") || text.equals("yes") || text.equals("on");
    }

    /** A nested mapping; absent (reporting if required) when missing or of the wrong type. */
    Fields mapping(String name, boolean required, List<String> known, String expected) {
        return mapping(name, required, known, List.of(), expected);
    }

    Fields mapping(String name, boolean required, List<String> known, List<String> forbidden, String expected) {
        Node v = value(name, required, expected);
        if (v == null) return absent(doc, path(name));
        if (!(v instanceof MappingNode m)) {
            wrongType(name, v, expected);
            return absent(doc, path(name));
        }
        return of(doc, path(name), line(fields.get(name).getKeyNode()), m, known, forbidden);
    }

    /** A list of mappings; elements of the wrong type are reported and left out. Paths read {@code name[i]}. */
    List<Fields> mappings(String name, boolean required, List<String> known, String expected, String element) {
        Node v = value(name, required, expected);
        if (v == null) return List.of();
        if (!(v instanceof SequenceNode seq)) {
            wrongType(name, v, expected);
            return List.of();
        }
        List<Fields> out = new ArrayList<>();
        List<Node> items = seq.getValue();
        for (int i = 0; i < items.size(); i++) {
            Node e = items.get(i);
            String p = path(name) + "[" + i + "]";
            if (e instanceof MappingNode m && m.getTag().equals(Tag.MAP)) {
                out.add(of(doc, p, line(e), m, known));
            } else {
                doc.problem(line(e), p, "wrong type: expected " + element + ", got " + describe(e));
            }
        }
        return out;
    }

    /** A string-to-string map such as labels; empty when missing. */
    Map<String, String> stringMap(String name, String expected) {
        Node v = value(name, false, expected);
        if (v == null) return Map.of();
        if (!(v instanceof MappingNode m)) {
            wrongType(name, v, expected);
            return Map.of();
        }
        Map<String, String> out = new LinkedHashMap<>();
        Map<String, Integer> seen = new HashMap<>();
        for (NodeTuple t : m.getValue()) {
            Node k = t.getKeyNode();
            Node val = t.getValueNode();
            if (!(k instanceof ScalarNode ks) || ks.getTag().equals(Tag.NULL)) {
                doc.problem(line(k), path(name), "wrong type: expected " + expected + ", got the key " + describe(k));
                continue;
            }
            String key = ks.getValue();
            String p = path(name) + "." + key;
            Integer first = seen.putIfAbsent(key, line(k));
            if (first != null) {
                doc.problem(line(k), p, "duplicate key \"" + key + "\": already set on line " + first
                        + "; each key may appear only once");
            } else if (!(val instanceof ScalarNode vs) || vs.getTag().equals(Tag.NULL)
                    || !SCALAR_TAGS.contains(vs.getTag())) {
                doc.problem(line(val), p, "wrong type: expected a string value, got " + describe(val));
            } else {
                out.put(key, vs.getValue());
            }
        }
        return out;
    }

    static int line(Node node) {
        return node.getStartMark() == null ? 0 : node.getStartMark().getLine() + 1;
    }

    /** How a value reads in a message: its kind, and its text when it is a scalar (shortened). */
    static String describe(Node node) {
        if (node instanceof MappingNode) return "a mapping";
        if (node instanceof SequenceNode) return "a list";
        ScalarNode s = (ScalarNode) node;
        Tag tag = s.getTag();
        if (tag.equals(Tag.NULL)) return "nothing (null)";
        if (tag.equals(Tag.STR)) return "the string " + quote(s.getValue());
        if (tag.equals(Tag.INT) || tag.equals(Tag.FLOAT)) return "the number " + shorten(s.getValue());
        if (tag.equals(Tag.BOOL)) return "the boolean " + shorten(s.getValue());
        return quote(s.getValue());
    }

    static String quote(String text) {
        return "\"" + shorten(text) + "\"";
    }

    private static String shorten(String text) {
        return text.length() <= ECHO_LIMIT ? text : text.substring(0, ECHO_LIMIT) + "...";
    }
}
