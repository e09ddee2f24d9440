package dev.plinth.api;

/**
 * How to reach a node's baseboard management controller. Credentials are never inline: {@code credentialsName}
 * names a Kubernetes Secret (operator mode) or an entry of the local secrets file (standalone).
 */
public record BmcSpec(String address, String credentialsName, boolean disableCertificateVerification) {}
