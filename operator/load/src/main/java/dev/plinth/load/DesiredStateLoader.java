package dev.plinth.load;

import dev.plinth.core.Problem;

import dev.plinth.api.DesiredState;
import dev.plinth.driver.BmcSupport;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import org.yaml.snakeyaml.nodes.Node;

/**
 * Turns the YAML files of one revision into a validated {@link DesiredState}, or into every problem found in
 * them. Nothing is applied from a revision with problems, so all of them are reported at once.
 */
public final class DesiredStateLoader {
    private final BmcSupport bmcs;

    /** @param bmcs the power driver families of the wiring that will apply the state: BMC addresses none of them
     *     can drive are problems of the revision */
    public DesiredStateLoader(BmcSupport bmcs) {
        this.bmcs = bmcs;
    }

    /**
     * Parses and validates every {@code .yaml}/{@code .yml} file of {@code files} (other files are ignored).
     * Empty documents are skipped; a revision without documents is a valid, empty state.
     */
    public LoadResult load(String revision, List<SourceFile> files) {
        List<Problem> problems = new ArrayList<>();
        List<Parsed> parsed = read(files, problems);
        CrossChecker.check(parsed, Neighbours.NONE);
        if (!problems.isEmpty()) {
            return LoadResult.rejected(problems);
        }
        return LoadResult.ok(DesiredState.of(revision, parsed.stream().map(Parsed::resource).toList()));
    }

    /**
     * Only the rules that span documents (unique boot MACs and BMCs, image references that resolve, roles that do
     * not overlap), for a host that checks each document by its own schema: the operator, whose API server checks
     * the CRDs' schema and CEL rules. The documents are read as {@link #load} reads them; a document read only in
     * part takes part as far as it was read, and its own problems are not returned. {@code neighbours} are the
     * objects the revision lives beside (operator mode: the rest of its namespace).
     *
     * @return the problems, sorted by file and line; empty when the documents agree with each other
     */
    public List<Problem> crossDocumentProblems(List<SourceFile> files, Neighbours neighbours) {
        List<Problem> problems = new ArrayList<>();
        List<Parsed> parsed = read(files, problems);
        int ownProblems = problems.size(); // CrossChecker only appends
        CrossChecker.check(parsed, neighbours);
        return problems.subList(ownProblems, problems.size()).stream().sorted().toList();
    }

    private List<Parsed> read(List<SourceFile> files, List<Problem> problems) {
        List<Parsed> parsed = new ArrayList<>();
        for (SourceFile file : files) {
            if (!isYaml(file.path())) continue;
            String text = SourceText.decode(file, problems);
            if (text == null) continue;
            for (Node root : YamlDocuments.parse(file.path(), text, problems)) {
                Parsed p = DocumentReader.read(new Doc(file.path(), problems), root, bmcs);
                if (p != null) parsed.add(p);
            }
        }
        return parsed;
    }

    /**
     * The YAML files under {@code root}, in any directory layout, skipping hidden files and directories (such as
     * {@code .git}). Paths are relative to {@code root}, '/'-separated, sorted.
     */
    public static List<SourceFile> readDirectory(Path root) throws IOException {
        List<Path> found = new ArrayList<>();
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                return !dir.equals(root) && isHidden(dir) ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                if (attrs.isRegularFile() && !isHidden(file) && isYaml(file.getFileName().toString())) {
                    found.add(file);
                }
                return FileVisitResult.CONTINUE;
            }
        });
        List<SourceFile> files = new ArrayList<>();
        SourceText.Budget budget = new SourceText.Budget();
        found.sort(Comparator.comparing(file -> relative(root, file)));
        for (Path file : found) {
            // Decoded by the loader, as the controller's files are: a bad byte is a problem with a line.
            files.add(budget.read(relative(root, file), Files.size(file), () -> Files.readAllBytes(file)));
        }
        return files;
    }

    private static String relative(Path root, Path file) {
        List<String> parts = new ArrayList<>();
        for (Path part : root.relativize(file)) parts.add(part.toString());
        return String.join("/", parts);
    }

    private static boolean isHidden(Path path) {
        Path name = path.getFileName();
        return name != null && name.toString().startsWith(".");
    }

    static boolean isYaml(String path) {
        String p = path.toLowerCase(Locale.ROOT);
        return p.endsWith(".yaml") || p.endsWith(".yml");
    }
}
