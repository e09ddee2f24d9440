package dev.plinth.runtime.cli;

import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/**
 * The rule for every command: a failure is one line on standard error, {@code plinth: <what is wrong and what to
 * do>}, and exit code 1; no stack trace. The message is the exception's own, so each failure is phrased where it
 * is detected. {@code PLINTH_DEBUG=1} adds the stack trace, for a bug report.
 */
final class OneLineErrors implements IExecutionExceptionHandler {
    static final int EXIT = 1;

    @Override
    public int handleExecutionException(Exception e, CommandLine cmd, ParseResult parsed) {
        cmd.getErr().println("plinth: " + message(e));
        if ("1".equals(System.getenv("PLINTH_DEBUG"))) {
            e.printStackTrace(cmd.getErr());
        }
        cmd.getErr().flush();
        return EXIT;
    }

    /** The first line of the message; the exception's type when it has none (then it is a bug: say how to see it). */
    static String message(Throwable e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) {
            return e.getClass().getSimpleName() + " (a bug; run with PLINTH_DEBUG=1 for the stack trace)";
        }
        int eol = m.indexOf('\n');
        return eol < 0 ? m : m.substring(0, eol);
    }
}
