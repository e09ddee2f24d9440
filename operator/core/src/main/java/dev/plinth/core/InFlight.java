package dev.plinth.core;

import java.time.Instant;

/**
 * A non-idempotent driver call that was recorded as started before it was made, and not yet seen to finish. A
 * record that still carries one after a restart means the controller died during the call, before or after the BMC
 * acted: the lifecycle then reads back the machine ({@link Action.Verify}) and makes the call again only when that
 * shows it did not happen (see {@link NodeLifecycle}).
 *
 * @param call which call
 * @param since when the intent was recorded
 */
public record InFlight(Call call, Instant since) {
    /** The calls that must not simply be repeated after a crash. */
    public enum Call {
        /** Power-cycle (or power on): doing it twice restarts a deploy that is already writing. */
        REBOOT
    }
}
