package dev.plinth.runtime.http;

import dev.plinth.http.server.HttpLimits;
import java.nio.file.Path;

/**
 * The controller's two listeners: the operator API (status, metrics, webhook) and the provisioning routes the
 * machines use (iPXE scripts, ramdisk, images, agent API; served with the {@code ipmi} driver only).
 *
 * @param api where the operator API listens; loopback unless {@code apiTokenFile} is given
 * @param provisioning where the machine-facing routes listen (all of them, or only what iPXE fetches when
 *     {@code provisioningTls} is set)
 * @param provisioningTls where the agent and image routes listen over HTTPS (a fixed port: the machines are told
 *     it); null for none: they stay on {@code provisioning}, plain HTTP
 * @param apiTokenFile the API's bearer token (first line); null for none, which only a loopback API may have
 * @param limits timeouts and connection cap of both listeners
 */
public record HttpOptions(ListenAddress api, ListenAddress provisioning, ListenAddress provisioningTls,
        Path apiTokenFile, HttpLimits limits) {
    public HttpOptions {
        if (api == null || provisioning == null) {
            throw new IllegalArgumentException("both listen addresses are needed");
        }
        limits = limits == null ? HttpLimits.DEFAULT : limits;
        if (provisioningTls != null && provisioningTls.port() == 0) {
            throw new IllegalArgumentException("the provisioning HTTPS listener needs a fixed port: the machines are"
                    + " told it before it is bound");
        }
    }

    /** Both listeners on loopback, free ports, no token: tests and the fake demo. */
    public static HttpOptions loopback() {
        return new HttpOptions(ListenAddress.loopback(0), ListenAddress.loopback(0), null, null, HttpLimits.DEFAULT);
    }

    public HttpOptions withLimits(HttpLimits l) {
        return new HttpOptions(api, provisioning, provisioningTls, apiTokenFile, l);
    }

    public HttpOptions withProvisioningTls(ListenAddress tls) {
        return new HttpOptions(api, provisioning, tls, apiTokenFile, limits);
    }

    public HttpOptions withApi(ListenAddress a, Path tokenFile) {
        return new HttpOptions(a, provisioning, provisioningTls, tokenFile, limits);
    }
}
