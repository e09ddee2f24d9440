package dev.plinth.runtime;

import dev.plinth.core.NodeRecord;
import dev.plinth.engine.NodeListener;
import java.io.PrintStream;

/** Prints each node's state and step changes as they happen, with the time since start. */
public final class ProgressPrinter implements NodeListener {
    private final PrintStream out;
    private final long startNanos = System.nanoTime();

    public ProgressPrinter(PrintStream out) {
        this.out = out;
    }

    @Override
    public void changed(NodeRecord before, NodeRecord after) {
        String line = null;
        if (after == null) {
            line = "left Git: deprovisioned and forgotten";
        } else if (before == null || before.state() != after.state()) {
            line = after.state() + (after.operation().step() == null ? "" : "/" + after.operation().step());
            if (after.error().message() != null && after.state().name().equals("ERROR")) {
                line += "  " + after.error().kind() + ": " + after.error().message();
            } else if (after.image() != null && after.state().name().equals("PROVISIONED")) {
                line += "  image " + after.image().name() + " in " + after.operation().lastMillis() / 1000.0 + "s";
            }
        } else if (before.operation().step() != after.operation().step() && after.operation().step() != null) {
            line = after.state() + "/" + after.operation().step();
        } else if (after.deploy().phase() != null && before.deploy().phase() != after.deploy().phase()) {
            line = after.state() + "/" + after.operation().step() + "  agent: " + after.deploy().phase().name().toLowerCase()
                    + (after.deploy().bytesTotal() > 0 ? " (" + (after.deploy().bytesTotal() >> 20) + " MiB image)" : "");
        }
        if (line != null) {
            String name = after != null ? after.name() : before.name();
            synchronized (out) {
                out.printf("[%6.1fs] %-14s %s%n", (System.nanoTime() - startNanos) / 1e9, name, line);
            }
        }
    }
}
