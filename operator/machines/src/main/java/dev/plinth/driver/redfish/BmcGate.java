package dev.plinth.driver.redfish;

import java.util.concurrent.locks.ReentrantLock;

/**
 * What serialises and paces the requests to one BMC, shared by every {@link RedfishClient} of that BMC (one per user:
 * nodes on one BMC may log in as different users, and one of them with a wrong password must not close the others'
 * sessions).
 */
final class BmcGate {
    final ReentrantLock lock = new ReentrantLock(true);
    /** Guarded by {@link #lock}. */
    long lastStartNanos;
    /** Guarded by {@link #lock}. */
    boolean started;
}
