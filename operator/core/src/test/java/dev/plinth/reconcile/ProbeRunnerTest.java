package dev.plinth.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plinth.api.HealthCheck;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ProbeRunnerTest {
    private static final HealthCheck CHECK = HealthCheck.DEFAULT;

    private static void waitFor(java.util.function.BooleanSupplier condition) {
        long end = System.nanoTime() + 5_000_000_000L;
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("probe results within 5 s").isLessThan(end);
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    @Test
    void resultsComeBackPerNodeAndAFailingNodeIsNotProbedAgainAtOnce() {
        List<String> asked = new CopyOnWriteArrayList<>();
        AtomicInteger done = new AtomicInteger();
        try (ProbeRunner runner = new ProbeRunner((host, check) -> {
            asked.add(host);
            return host.startsWith("bad") ? "tcp 22: refused" : null;
        }, Clock.systemUTC())) {
            runner.probe(Set.of("good-0", "bad-0"), CHECK, n -> n, done::incrementAndGet);
            waitFor(() -> done.get() == 2);
            assertThat(runner.results().get("good-0").ok()).isTrue();
            assertThat(runner.results().get("bad-0").ok()).isFalse();
            assertThat(runner.results().get("bad-0").message()).isEqualTo("tcp 22: refused");

            // within the pause a failing node is left alone; a passing one is probed again
            runner.probe(Set.of("good-0", "bad-0"), CHECK, n -> n, done::incrementAndGet);
            waitFor(() -> done.get() == 3);
            assertThat(asked).containsExactlyInAnyOrder("good-0", "bad-0", "good-0");
        }
    }

    @Test
    void aProberThatThrowsIsAFailedResultAndHostNamesAreMapped() {
        AtomicInteger done = new AtomicInteger();
        List<String> asked = new CopyOnWriteArrayList<>();
        try (ProbeRunner runner = new ProbeRunner((host, check) -> {
            asked.add(host);
            throw new IllegalStateException("no route");
        }, Clock.systemUTC())) {
            runner.probe(Set.of("ns/n0"), CHECK, key -> key.substring(key.indexOf('/') + 1), done::incrementAndGet);
            waitFor(() -> done.get() == 1);
            assertThat(runner.results()).containsOnlyKeys("ns/n0");
            assertThat(runner.results().get("ns/n0").ok()).isFalse();
            assertThat(runner.results().get("ns/n0").message()).contains("no route");
            assertThat(asked).containsExactly(CHECK.hostOf("n0"));
            // no check: nothing probed
            runner.probe(Set.of("ns/n1"), null, n -> n, done::incrementAndGet);
            assertThat(runner.results()).isEqualTo(Map.copyOf(runner.results())).containsOnlyKeys("ns/n0");
        }
    }
}
