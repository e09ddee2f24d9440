package dev.plinth.load;

import dev.plinth.core.Problem;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One YAML document being read: where it came from, the revision-wide problem list it reports into, and the line
 * of every value read so far, so later cross-document checks can point at the right place.
 */
final class Doc {
    private final String file;
    private final List<Problem> problems;
    private final Map<String, Integer> lines = new HashMap<>();
    private final List<Reference> references = new ArrayList<>();

    /** A by-name reference to a DiskImage, checked once every document of the revision has been read. */
    record Reference(String path, String name, int line) {}

    Doc(String file, List<Problem> problems) {
        this.file = file;
        this.problems = problems;
    }

    String file() {
        return file;
    }

    void problem(int line, String path, String message) {
        problems.add(new Problem(file, line, path, message));
    }

    void recordLine(String path, int line) {
        lines.put(path, line);
    }

    void addReference(String path, String name) {
        references.add(new Reference(path, name, lineOf(path)));
    }

    List<Reference> references() {
        return references;
    }

    /** Line of the value at {@code path}, or 0 when it was never read. */
    int lineOf(String path) {
        return lines.getOrDefault(path, 0);
    }

    /** {@code file:line} of the value at {@code path}, for messages that point at another place. */
    String where(String path) {
        int line = lineOf(path);
        return line > 0 ? file + ":" + line : file;
    }
}
