package dev.plinth.driver;

import dev.plinth.api.DiskImageSpec;
import dev.plinth.api.RootDeviceHints;

/**
 * One attempt to write an image to a node. {@code deployId} is chosen by the controller and recorded before any
 * driver call, so that after a crash the controller asks about the same deploy instead of starting another.
 */
public record DeployRequest(String deployId, String imageName, DiskImageSpec image, RootDeviceHints rootDeviceHints) {}
