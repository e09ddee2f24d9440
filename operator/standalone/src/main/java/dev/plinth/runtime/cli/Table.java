package dev.plinth.runtime.cli;

import dev.plinth.core.Printable;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * A plain text table with columns as wide as their widest cell. Cells are {@link Printable}: a cell is mostly text
 * from outside (agent messages, errors), and a line break in one would split its row.
 */
final class Table {
    private final List<String[]> rows = new ArrayList<>();

    Table(String... header) {
        rows.add(header);
    }

    Table row(Object... cells) {
        String[] r = new String[cells.length];
        for (int i = 0; i < cells.length; i++) {
            r[i] = cells[i] == null ? "-" : Printable.of(String.valueOf(cells[i]));
        }
        rows.add(r);
        return this;
    }

    void print(PrintStream out) {
        int cols = rows.get(0).length;
        int[] width = new int[cols];
        for (String[] r : rows) {
            for (int i = 0; i < cols - 1; i++) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        for (String[] r : rows) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < cols; i++) {
                sb.append(i < cols - 1 ? String.format("%-" + (width[i] + 2) + "s", r[i]) : r[i]);
            }
            out.println(sb.toString().stripTrailing());
        }
    }
}
