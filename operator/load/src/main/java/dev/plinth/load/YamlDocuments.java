package dev.plinth.load;

import dev.plinth.core.Problem;

import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.composer.Composer;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.parser.ParserImpl;
import org.yaml.snakeyaml.reader.StreamReader;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * Splits a file into YAML node trees. Only the composer runs: nothing is ever constructed from tags, and every
 * node keeps its line for problem reports.
 */
final class YamlDocuments {
    private YamlDocuments() {}

    /** A backstop: {@link SourceText} refuses larger files before they get here. */
    static final int CODE_POINT_LIMIT = SourceText.MAX_FILE_BYTES;

    static LoaderOptions options() {
        LoaderOptions o = new LoaderOptions();
        // The composer does not check duplicate keys itself; Fields reports them with both lines.
        o.setAllowDuplicateKeys(false);
        o.setMaxAliasesForCollections(50); // billion laughs
        o.setAllowRecursiveKeys(false);
        o.setNestingDepthLimit(50);
        o.setCodePointLimit(CODE_POINT_LIMIT);
        o.setMergeOnCompose(false);
        o.setTagInspector(tag -> false);
        return o;
    }

    /**
     * The non-empty documents of {@code file}, in order. A syntax error is reported (without the source snippet,
     * which could show a secret) and ends the file; documents before it are still returned.
     */
    static List<Node> parse(String path, String text, List<Problem> problems) {
        List<Node> docs = new ArrayList<>();
        LoaderOptions options = options();
        try {
            Composer composer = new Composer(
                    new ParserImpl(new StreamReader(new StringReader(text)), options),
                    new Resolver(), options);
            while (composer.checkNode()) {
                Node node = composer.getNode();
                if (node != null && !isEmpty(node)) {
                    docs.add(node);
                }
            }
        } catch (MarkedYAMLException e) {
            Mark mark = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
            int line = mark == null ? 0 : mark.getLine() + 1;
            String what = e.getContext() == null ? e.getProblem() : e.getContext() + ", " + e.getProblem();
            problems.add(new Problem(path, line, "",
                    "invalid YAML: " + what + "; expected well-formed YAML documents separated by ---"));
        } catch (YAMLException e) {
            problems.add(new Problem(path, 0, "",
                    "invalid YAML: " + e.getMessage() + "; expected well-formed YAML documents separated by ---"));
        }
        return docs;
    }

    /** An empty document, such as the one after a trailing {@code ---} or one holding only comments. */
    private static boolean isEmpty(Node node) {
        return node instanceof ScalarNode s && s.getTag().equals(Tag.NULL);
    }
}
