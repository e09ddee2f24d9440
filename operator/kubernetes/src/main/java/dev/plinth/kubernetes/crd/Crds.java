package dev.plinth.kubernetes.crd;

/** Constants shared by the custom resource classes and the schema's patterns. */
public final class Crds {
    public static final String GROUP = "plinth.dev";
    public static final String VERSION = "v1alpha1";
    public static final String API_VERSION = GROUP + "/" + VERSION;
    /** A DNS-1123 subdomain, as Kubernetes names objects (Secrets, images). */
    public static final String DNS_SUBDOMAIN = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
    /** A DNS-1123 label (role names). */
    public static final String DNS_LABEL = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
    public static final String MAC = "^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$";
    public static final String SHA256 = "^sha256:[0-9A-Fa-f]{64}$";
    /** scheme://host[:port][/path][?options]; no user:password@ (credentials live in a Secret). */
    public static final String BMC_ADDRESS = "^[a-zA-Z][a-zA-Z0-9+.-]*://[^@\\s/?]+(/[^@\\s?]*)?(\\?[^@\\s]*)?$";
    /** Dotted quad; ranges and subnets are checked by the operator (dev.plinth.api.DeployNetwork). */
    public static final String IPV4 = "^[0-9]{1,3}(\\.[0-9]{1,3}){3}$";
    public static final String IPV4_CIDR = "^[0-9]{1,3}(\\.[0-9]{1,3}){3}/[0-9]{1,2}$";
    public static final String IMAGE_URL = "^(https?://[^\\s]+|file:///[^\\s]*)$";

    private Crds() {}
}
