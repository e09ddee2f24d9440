package dev.plinth.driver;

/** The set of drivers one controller uses. */
public record Drivers(PowerDriver power, BootDriver boot, DeployDriver deploy) {}
