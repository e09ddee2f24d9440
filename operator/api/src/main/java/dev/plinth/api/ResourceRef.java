package dev.plinth.api;

/** A reference by name to another resource in the same revision. */
public record ResourceRef(String name) {}
