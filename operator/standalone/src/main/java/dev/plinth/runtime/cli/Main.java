package dev.plinth.runtime.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code plinth} command. */
@Command(name = "plinth", mixinStandardHelpOptions = true, version = "plinth 0.1.0",
        description = "Declarative GitOps controller for bare metal.",
        subcommands = {RunCommand.class, ValidateCommand.class, StatusCommand.class, DiffCommand.class, ApproveCommand.class, InspectCommand.class,
                DemoCommand.class, BenchCommand.class, CommandLine.HelpCommand.class})
public final class Main {
    public static void main(String[] args) {
        System.exit(execute(args));
    }

    public static int execute(String... args) {
        return commandLine().execute(args);
    }

    /** The command line {@link #execute} runs, for tests that capture its output. */
    public static CommandLine commandLine() {
        return new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true)
                .setExecutionExceptionHandler(new OneLineErrors());
    }
}
