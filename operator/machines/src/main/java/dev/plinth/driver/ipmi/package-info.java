/**
 * IPMI v2.0 power driver ("lanplus"): a small RMCP+ client of Plinth's own, written from the IPMI v2.0 specification.
 *
 * <ul>
 *   <li>{@link dev.plinth.driver.ipmi.IpmiPowerDriver}: the {@link dev.plinth.driver.PowerDriver} for
 *       {@code ipmi://host[:port][?bootMode=uefi|legacy]}; one {@link dev.plinth.driver.ipmi.IpmiClient} per BMC.</li>
 *   <li>{@link dev.plinth.driver.ipmi.IpmiClient}: one reused session per BMC and user; calls serialised, paced,
 *       bounded by a deadline, retried a bounded number of times; authentication failures never retried.</li>
 *   <li>{@link dev.plinth.driver.ipmi.IpmiSession}: UDP, Get Channel Authentication Capabilities, Open Session and
 *       RAKP 1-4 with cipher suite 3 only (RAKP-HMAC-SHA1, HMAC-SHA1-96, AES-CBC-128), Set Session Privilege Level
 *       ADMINISTRATOR, Close Session. Get Channel Cipher Suites is never sent (OpenIPMI's ipmi_sim lacks it).</li>
 * </ul>
 * Not supported: cipher suite 17 (SHA-256), a BMC key (Kg) distinct from the password, IPMI v1.5 sessions,
 * bridged (IPMB) requests, Serial over LAN.
 */
package dev.plinth.driver.ipmi;
