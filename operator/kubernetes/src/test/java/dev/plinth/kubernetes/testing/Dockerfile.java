package dev.plinth.kubernetes.testing;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The operator's Dockerfile, read as a container build would read it, so that a test can do without a container
 * what the image does: copy what its COPY lines copy and run its ENTRYPOINT. Only the instructions that file uses
 * are understood; any other (a RUN, say) is refused by name, since a test could not reproduce it.
 */
public record Dockerfile(String from, List<Copy> copies, String user, String workdir, Map<String, String> env,
        List<String> entrypoint) {
    /** {@code COPY source destination}: source relative to the build context, destination absolute. */
    public record Copy(String source, String destination) {}

    public static Dockerfile read(Path file) {
        try {
            return parse(Files.readString(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Dockerfile parse(String text) {
        String from = null;
        String user = null;
        String workdir = "/";
        List<Copy> copies = new ArrayList<>();
        Map<String, String> env = new LinkedHashMap<>();
        List<String> entrypoint = null;
        for (String line : instructions(text)) {
            String[] parts = line.split("\\s+", 2);
            String instruction = parts[0].toUpperCase(Locale.ROOT);
            String args = parts.length > 1 ? parts[1].trim() : "";
            switch (instruction) {
                case "FROM" -> from = args;
                case "LABEL" -> { } // metadata only
                case "USER" -> user = args;
                case "WORKDIR" -> workdir = args;
                case "ENV" -> {
                    String[] kv = args.split("[=\\s]", 2);
                    env.put(kv[0], kv.length > 1 ? kv[1].trim() : "");
                }
                case "COPY" -> {
                    String[] words = args.split("\\s+");
                    if (words.length != 2 || words[0].startsWith("--")) {
                        throw new IllegalArgumentException("COPY " + args + ": expected one source and one"
                                + " destination, no flags");
                    }
                    copies.add(new Copy(words[0], words[1]));
                }
                case "ENTRYPOINT" -> {
                    try {
                        entrypoint = new ObjectMapper().readValue(args, new TypeReference<List<String>>() {});
                    } catch (IOException e) {
                        throw new IllegalArgumentException("ENTRYPOINT " + args + ": expected the exec form,"
                                + " a JSON array", e);
                    }
                }
                default -> throw new IllegalArgumentException(instruction + ": not understood by the test that runs"
                        + " the image's entrypoint without a container (testing.Dockerfile); extend it");
            }
        }
        if (from == null || entrypoint == null || entrypoint.isEmpty()) {
            throw new IllegalArgumentException("expected a FROM and an exec-form ENTRYPOINT");
        }
        return new Dockerfile(from, copies, user, workdir, env, entrypoint);
    }

    /** Instructions with their continuation lines joined; comments and blank lines left out. */
    private static List<String> instructions(String text) {
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String raw : text.split("\n")) {
            String line = raw.strip();
            if (current.isEmpty() && (line.isEmpty() || line.startsWith("#"))) {
                continue;
            }
            if (line.endsWith("\\")) {
                current.append(line, 0, line.length() - 1).append(' ');
            } else {
                out.add(current.append(line).toString());
                current.setLength(0);
            }
        }
        return out;
    }

    /**
     * Copies what the COPY lines copy from {@code context} into {@code root}, as the image's file system would hold
     * it; returns the WORKDIR under {@code root}.
     */
    public Path stage(Path context, Path root) throws IOException {
        for (Copy c : copies) {
            Path source = context.resolve(c.source());
            Path target = root.resolve(c.destination().replaceFirst("^/+", ""));
            if (Files.isDirectory(source)) {
                try (Stream<Path> tree = Files.walk(source)) {
                    for (Path p : tree.toList()) {
                        Path to = target.resolve(source.relativize(p).toString());
                        if (Files.isDirectory(p)) {
                            Files.createDirectories(to);
                        } else {
                            Files.copy(p, to);
                        }
                    }
                }
            } else {
                Path to = c.destination().endsWith("/") ? target.resolve(source.getFileName().toString()) : target;
                Files.createDirectories(to.getParent());
                Files.copy(source, to);
            }
        }
        Path dir = root.resolve(workdir.replaceFirst("^/+", ""));
        Files.createDirectories(dir);
        return dir;
    }
}
