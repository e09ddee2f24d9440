package dev.plinth.api;

/**
 * How to reach a node's baseboard management controller, and how the node boots into the deploy ramdisk.
 * Credentials are never inline: {@code credentialsName} names a Kubernetes Secret (operator mode) or an entry of the
 * local secrets file (standalone).
 *
 * @param address parsed where the document was read; null only in a rejected revision
 * @param bootMethod never null; {@link BootMethod#PXE} unless the document says otherwise
 * @param deployNetwork the deploy ramdisk's static address when it boots from virtual media; null: DHCP
 */
public record BmcSpec(BmcAddress address, String credentialsName, boolean disableCertificateVerification,
        BootMethod bootMethod, DeployNetwork deployNetwork) {

    public BmcSpec {
        bootMethod = bootMethod == null ? BootMethod.PXE : bootMethod;
    }

    /** Network boot (PXE), no static deploy address. */
    public BmcSpec(BmcAddress address, String credentialsName, boolean disableCertificateVerification) {
        this(address, credentialsName, disableCertificateVerification, BootMethod.PXE, null);
    }

    /** From the address as written, for fixtures and tests; a bad address throws {@link BmcAddress.Invalid}. */
    public static BmcSpec of(String address, String credentialsName, boolean disableCertificateVerification) {
        return new BmcSpec(BmcAddress.parse(address), credentialsName, disableCertificateVerification);
    }

    /** The same BMC, booting into the deploy ramdisk from virtual media with this static address (null: DHCP). */
    public BmcSpec withVirtualMedia(DeployNetwork network) {
        return new BmcSpec(address, credentialsName, disableCertificateVerification, BootMethod.VIRTUAL_MEDIA,
                network);
    }

    public boolean virtualMedia() {
        return bootMethod == BootMethod.VIRTUAL_MEDIA;
    }
}
