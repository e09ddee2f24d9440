package dev.plinth.driver;

/** Drivers call this when something about a node changed (an agent callback, say), so it is reconciled at once. */
@FunctionalInterface
public interface NodeWaker {
    NodeWaker NONE = name -> { };

    void wake(String nodeName);
}
