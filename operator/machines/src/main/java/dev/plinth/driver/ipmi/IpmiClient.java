package dev.plinth.driver.ipmi;

import dev.plinth.driver.FailureKind;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An IPMI v2.0 (lanplus, cipher suite 3) client for one BMC endpoint and one user. Keeps one session and reuses it,
 * replacing it when it fails or has been idle too long. Thread-safe: calls are serialised (one in flight per BMC),
 * spaced by {@link IpmiClientConfig#minInterval()}, bounded by {@link IpmiClientConfig#callTimeout()}, and retried
 * a bounded number of times with backoff when a fresh session may help. Authentication failures are never retried.
 */
public final class IpmiClient implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(IpmiClient.class);

    static final int CMD_GET_CHASSIS_STATUS = 0x01;
    static final int CMD_CHASSIS_CONTROL = 0x02;
    static final int CMD_SET_BOOT_OPTIONS = 0x08;
    static final int CMD_GET_BOOT_OPTIONS = 0x09;

    private final String host;
    private final int port;
    private final String username;
    private final byte[] password;
    private final IpmiClientConfig config;
    private final String endpoint;

    private final ReentrantLock lock = new ReentrantLock(true);
    private final AtomicInteger sessionsOpened = new AtomicInteger();
    private final AtomicLong callsSucceeded = new AtomicLong();
    private IpmiSession session;
    private long lastCallStartNanos;
    private boolean lastCallStarted;
    private volatile boolean closed;

    public IpmiClient(String host, int port, String username, String password, IpmiClientConfig config) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port " + port);
        }
        this.host = host;
        this.port = port;
        this.username = username;
        this.password = password.getBytes(StandardCharsets.UTF_8);
        this.config = config;
        this.endpoint = (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    /** Chassis power state and related bits. */
    public ChassisStatus chassisStatus() throws IpmiException {
        byte[] d = call("Get Chassis Status", IpmiMessage.NETFN_CHASSIS, CMD_GET_CHASSIS_STATUS, new byte[0]);
        try {
            return ChassisStatus.decode(d);
        } catch (IllegalArgumentException e) {
            throw new IpmiException(FailureKind.PROTOCOL, "BMC " + endpoint + ": " + e.getMessage(), false);
        }
    }

    public boolean powerOn() throws IpmiException {
        return chassisStatus().powerOn();
    }

    public void chassisControl(ChassisControl control) throws IpmiException {
        call("Chassis Control " + control, IpmiMessage.NETFN_CHASSIS, CMD_CHASSIS_CONTROL,
                new byte[] {(byte) control.code()});
    }

    /** Set System Boot Options, parameter 5 (boot flags). */
    public void setBootFlags(BootFlags flags) throws IpmiException {
        byte[] p = flags.encode();
        byte[] data = new byte[1 + p.length];
        data[0] = (byte) BootFlags.PARAMETER;
        System.arraycopy(p, 0, data, 1, p.length);
        call("Set System Boot Options (boot flags)", IpmiMessage.NETFN_CHASSIS, CMD_SET_BOOT_OPTIONS, data);
    }

    /** Get System Boot Options, parameter 5 (boot flags). */
    public BootFlags bootFlags() throws IpmiException {
        byte[] d = call("Get System Boot Options (boot flags)", IpmiMessage.NETFN_CHASSIS, CMD_GET_BOOT_OPTIONS,
                new byte[] {(byte) BootFlags.PARAMETER, 0, 0});
        // parameter version, parameter valid + selector, then the parameter data
        if (d.length < 4 || (d[1] & 0x7f) != BootFlags.PARAMETER) {
            throw new IpmiException(FailureKind.PROTOCOL, "BMC " + endpoint
                    + ": unexpected Get System Boot Options response of " + d.length + " bytes", false);
        }
        return BootFlags.decode(d, 2);
    }

    /**
     * Sends any command inside the session and returns the response data after the completion code.
     *
     * @throws IpmiException PROTOCOL with the code's meaning when the completion code is not 0
     */
    public byte[] call(String what, int netFn, int cmd, byte[] data) throws IpmiException {
        long deadline = System.nanoTime() + config.callTimeout().toNanos();
        acquire(what, deadline);
        try {
            return callLocked(what, netFn, cmd, data, deadline);
        } finally {
            lock.unlock();
        }
    }

    private void acquire(String what, long deadline) throws IpmiException {
        try {
            if (!lock.tryLock(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                throw new IpmiException(FailureKind.TIMEOUT, "BMC " + endpoint + ": " + what
                        + " waited " + config.callTimeout().toMillis() + " ms for earlier calls to this BMC", true);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IpmiException(FailureKind.TIMEOUT, "BMC " + endpoint + ": " + what + " interrupted", false);
        }
    }

    private byte[] callLocked(String what, int netFn, int cmd, byte[] data, long deadline) throws IpmiException {
        if (closed) {
            throw new IpmiException(FailureKind.PROTOCOL, "BMC " + endpoint + ": client closed", false);
        }
        IpmiException last = null;
        for (int attempt = 1; attempt <= config.maxAttempts(); attempt++) {
            if (attempt > 1) {
                long wait = config.backoff().toNanos() << Math.min(attempt - 2, 10);
                if (System.nanoTime() + wait - deadline >= 0) {
                    break;
                }
                sleepNanos(wait, what);
            }
            pace(what, deadline);
            try {
                IpmiSession s = session(deadline);
                IpmiMessage.Response r = s.command(netFn, cmd, data, deadline);
                if (r.completionCode() != 0) {
                    throw s.completionFailure(what, r.completionCode());
                }
                callsSucceeded.incrementAndGet();
                return r.data();
            } catch (IpmiException e) {
                last = e;
                if (e.completionCode() < 0) {
                    discardSession(); // a transport or session failure: the next attempt needs a new session
                }
                if (!e.worthRetrying() || e.kind() == FailureKind.AUTHENTICATION) {
                    throw e;
                }
                LOG.debug("BMC {}: {} attempt {} failed: {}", endpoint, what, attempt, e.getMessage());
            }
        }
        if (last == null) {
            throw new IpmiException(FailureKind.TIMEOUT, "BMC " + endpoint + ": " + what + " ran out of time ("
                    + config.callTimeout().toMillis() + " ms)", true);
        }
        throw last;
    }

    /** Waits until {@link IpmiClientConfig#minInterval()} has passed since the previous call started. */
    private void pace(String what, long deadline) throws IpmiException {
        long now = System.nanoTime();
        if (lastCallStarted) {
            long earliest = lastCallStartNanos + config.minInterval().toNanos();
            if (earliest - now > 0) {
                if (earliest - deadline > 0) {
                    throw new IpmiException(FailureKind.TIMEOUT, "BMC " + endpoint + ": " + what
                            + " would exceed its deadline waiting for the rate limit", true);
                }
                sleepNanos(earliest - now, what);
                now = System.nanoTime();
            }
        }
        lastCallStartNanos = now;
        lastCallStarted = true;
    }

    private IpmiSession session(long deadline) throws IpmiException {
        if (session != null && session.usable()
                && System.nanoTime() - session.lastUsedNanos() > config.sessionIdleTimeout().toNanos()) {
            LOG.debug("BMC {}: replacing a session idle for more than {}", endpoint, config.sessionIdleTimeout());
            session.close();
            session = null;
        }
        if (session == null || !session.usable()) {
            discardSession();
            IpmiSession s = new IpmiSession(new InetSocketAddress(host, port), username, password,
                    config.responseTimeout(), config.retransmits());
            s.open(deadline);
            sessionsOpened.incrementAndGet();
            session = s;
        }
        return session;
    }

    private void discardSession() {
        if (session != null) {
            session.abandon();
            session = null;
        }
    }

    private void sleepNanos(long nanos, String what) throws IpmiException {
        try {
            TimeUnit.NANOSECONDS.sleep(nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IpmiException(FailureKind.TIMEOUT, "BMC " + endpoint + ": " + what + " interrupted", false);
        }
    }

    /** Whether this client was made for these credentials (compared in constant time). */
    public boolean sameCredentials(String user, String pass) {
        return username.equals(user)
                && MessageDigest.isEqual(password, pass.getBytes(StandardCharsets.UTF_8));
    }

    /** How many sessions this client has opened so far. */
    public int sessionsOpened() { return sessionsOpened.get(); }

    /** How many calls completed successfully. */
    public long callsSucceeded() { return callsSucceeded.get(); }

    public String endpoint() { return endpoint; }

    public IpmiClientConfig config() { return config; }

    /** Closes the session (Close Session, bounded wait). Later calls fail. */
    @Override
    public void close() {
        closed = true;
        boolean locked = false;
        try {
            locked = lock.tryLock(config.callTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            if (session != null) {
                if (locked) {
                    session.close();
                } else {
                    session.abandon();
                }
                session = null;
            }
        } finally {
            if (locked) {
                lock.unlock();
            }
        }
    }

    @Override
    public String toString() {
        return "IpmiClient[" + username + "@" + endpoint + "]";
    }
}
