/**
 * Redfish power driver: the JDK HTTP client and Jackson, nothing else.
 *
 * <ul>
 *   <li>{@link dev.plinth.driver.redfish.RedfishPowerDriver}: the {@link dev.plinth.driver.PowerDriver} for
 *       {@code redfish+http(s)://host[:port]/redfish/v1/Systems/<id>[?bootMode=uefi|legacy]}: power (state, on,
 *       forced and graceful off, restart, any ResetType), boot source override (PXE, disk, CD; once or persistent;
 *       UEFI or legacy) with If-Match where the BMC gives an ETag.</li>
 *   <li>{@link dev.plinth.driver.redfish.RedfishClient}: one per BMC and user; a reused X-Auth-Token session
 *       re-created on 401, Basic auth where the BMC has no sessions; requests serialised and paced per BMC; task
 *       monitors (202) followed; failures classified.</li>
 *   <li>{@link dev.plinth.driver.redfish.Tls}: certificate verification on by default (the JDK's CAs, plus a PEM
 *       file), off only for BMCs whose spec says {@code disableCertificateVerification}.</li>
 * </ul>
 * Virtual media: {@link dev.plinth.driver.redfish.RedfishPowerDriver#insertMedia},
 * {@link dev.plinth.driver.redfish.RedfishPowerDriver#ejectMedia} and
 * {@link dev.plinth.driver.redfish.RedfishPowerDriver#bootOnceFromMedia}, not yet used by the lifecycle.
 * Not yet: firmware settings, the PATCH form of virtual media (Redfish before 1.6).
 */
package dev.plinth.driver.redfish;
