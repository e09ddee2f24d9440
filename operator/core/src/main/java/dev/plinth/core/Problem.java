package dev.plinth.core;

/**
 * One thing wrong with a revision.
 *
 * @param file path relative to the desired-state root
 * @param line 1-based; 0 when the problem concerns the file or revision as a whole
 * @param path field path inside the document, e.g. {@code spec.bmc.address}; empty for a whole document
 * @param message what is wrong and what is expected
 */
public record Problem(String file, int line, String path, String message) implements Comparable<Problem> {

    /** A problem quotes its input (a file name, a YAML value): kept {@link Printable} for logs, CLI and status. */
    public Problem {
        file = Printable.of(file);
        path = Printable.of(path);
        message = Printable.of(message);
    }

    @Override
    public int compareTo(Problem o) {
        int c = file.compareTo(o.file);
        return c != 0 ? c : Integer.compare(line, o.line);
    }

    @Override
    public String toString() {
        String where = line > 0 ? file + ":" + line : file;
        return path.isEmpty() ? where + ": " + message : where + ": " + path + ": " + message;
    }
}
