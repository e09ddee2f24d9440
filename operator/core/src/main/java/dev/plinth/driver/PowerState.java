package dev.plinth.driver;

/** Chassis power as the BMC reports it. */
public enum PowerState { ON, OFF, UNKNOWN }
