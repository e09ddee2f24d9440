package dev.plinth.load;

/** One file of a revision: its path relative to the desired-state root, and its text. */
public record SourceFile(String path, String content) {}
