package dev.plinth.driver;

import dev.plinth.api.BmcSpec;

/** Everything a driver needs to reach one machine. */
public record NodeTarget(String name, BmcSpec bmc, BmcCredentials credentials, String bootMACAddress) {}
