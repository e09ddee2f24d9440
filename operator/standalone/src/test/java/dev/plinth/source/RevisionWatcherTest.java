package dev.plinth.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.plinth.load.SourceFile;
import dev.plinth.testkit.GitDaemonFixture;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RevisionWatcherTest {

    private static final Duration GENEROUS = Duration.ofSeconds(30);
    private static final Duration FAST_POLL = Duration.ofMillis(200);
    private static final Duration HOUR = Duration.ofHours(1);

    @TempDir Path tmp;
    GitDaemonFixture git;
    GitSource source;
    RevisionWatcher watcher;
    final Recorder recorder = new Recorder();

    /** Records what the watcher delivers. */
    static final class Recorder implements RevisionWatcher.Listener {
        final List<Snapshot> snapshots = new CopyOnWriteArrayList<>();
        final List<SourceException> errors = new CopyOnWriteArrayList<>();

        @Override
        public void onSnapshot(Snapshot snapshot) {
            snapshots.add(snapshot);
        }

        @Override
        public void onFetchError(SourceException error) {
            errors.add(error);
        }

        List<String> commits() {
            return snapshots.stream().map(Snapshot::commitId).toList();
        }
    }

    @BeforeEach
    void setUp() throws Exception {
        git = GitDaemonFixture.start();
    }

    @AfterEach
    void tearDown() {
        if (watcher != null) {
            watcher.close();
        }
        if (source != null) {
            source.close();
        }
        git.close();
    }

    private RevisionWatcher watch(Duration poll, RevisionWatcher.Listener listener) {
        GitSourceConfig cfg = GitSourceConfig.of(git.url(), tmp.resolve("cache")).withPath("state").withPollInterval(poll);
        source = new GitSource(cfg);
        watcher = new RevisionWatcher(source, listener);
        return watcher;
    }

    @Test
    void deliversTheHeadAtStartAndANewCommitWithinAPoll() {
        String c1 = git.commit(Map.of("state/a.yaml", "a: 1\n"), "one");
        watch(FAST_POLL, recorder).start();
        await().atMost(GENEROUS).until(() -> recorder.commits().contains(c1));

        String c2 = git.commit(Map.of("state/a.yaml", "a: 2\n"), "two");
        await().atMost(GENEROUS).until(() -> recorder.commits().contains(c2));
        assertThat(recorder.commits()).containsExactly(c1, c2);
        assertThat(recorder.snapshots.get(1).files()).singleElement()
                .satisfies(f -> assertThat(f).isEqualTo(new SourceFile("a.yaml", "a: 2\n")));
        assertThat(watcher.lastDeliveredCommit()).contains(c2);
        assertThat(watcher.lastFetchTime()).isPresent();
        assertThat(watcher.lastError()).isEmpty();
    }

    @Test
    void triggerNowFetchesAtOnceDespiteALongPollInterval() {
        String c1 = git.commit(Map.of("state/a.yaml", "a: 1\n"), "one");
        watch(HOUR, recorder).start();
        await().atMost(GENEROUS).until(() -> recorder.commits().contains(c1));

        String c2 = git.commit(Map.of("state/a.yaml", "a: 2\n"), "two");
        watcher.triggerNow();
        await().atMost(GENEROUS).until(() -> recorder.commits().contains(c2));
        assertThat(recorder.commits()).containsExactly(c1, c2);
    }

    @Test
    void aBurstOfTriggersCoalescesIntoFewFetches() {
        String c1 = git.commit(Map.of("state/a.yaml", "a: 1\n"), "one");
        watch(HOUR, recorder).start();
        await().atMost(GENEROUS).until(() -> recorder.commits().contains(c1));
        long before = watcher.status().fetchCount();

        String c2 = git.commit(Map.of("state/a.yaml", "a: 2\n"), "two");
        for (int i = 0; i < 200; i++) {
            watcher.triggerNow();
        }
        await().atMost(GENEROUS).until(() -> recorder.commits().contains(c2));
        // Let the watcher go idle: the fetch count stops changing.
        AtomicInteger stable = new AtomicInteger();
        long[] last = {-1};
        await().atMost(GENEROUS).pollInterval(Duration.ofMillis(100)).until(() -> {
            long now = watcher.status().fetchCount();
            stable.set(now == last[0] ? stable.get() + 1 : 0);
            last[0] = now;
            return stable.get() >= 5;
        });
        // One fetch serves every trigger made before it starts; a trigger during a fetch adds one more.
        assertThat(watcher.status().fetchCount() - before).isBetween(1L, 2L);
        assertThat(recorder.commits()).containsExactly(c1, c2);
    }

    @Test
    void anUnchangedHeadIsNotDeliveredAgain() {
        String c1 = git.commit(Map.of("state/a.yaml", "a: 1\n"), "one");
        watch(Duration.ofMillis(50), recorder).start();
        await().atMost(GENEROUS).until(() -> watcher.status().fetchCount() >= 6);
        assertThat(recorder.commits()).containsExactly(c1);
        assertThat(watcher.status().lastFetchedCommit()).isEqualTo(c1);
    }

    @Test
    void startSkipsTheCommitDeliveredBeforeARestart() {
        String c1 = git.commit(Map.of("state/a.yaml", "a: 1\n"), "one");
        watch(Duration.ofMillis(50), recorder).start(c1);
        await().atMost(GENEROUS).until(() -> watcher.status().fetchCount() >= 4);
        assertThat(recorder.snapshots).isEmpty();
        assertThat(watcher.status().lastFetchedCommit()).isEqualTo(c1);

        String c2 = git.commit(Map.of("state/a.yaml", "a: 2\n"), "two");
        await().atMost(GENEROUS).until(() -> recorder.commits().contains(c2));
        assertThat(recorder.commits()).containsExactly(c2);
    }

    @Test
    void keepsPollingThroughAnOutageAndRecovers() throws Exception {
        String c1 = git.commit(Map.of("state/a.yaml", "a: 1\n"), "one");
        git.stop();
        watch(FAST_POLL, recorder).start();

        await().atMost(GENEROUS).until(() -> recorder.errors.size() >= 2);
        SourceException error = watcher.lastError().orElseThrow();
        assertThat(error.kind()).isEqualTo(SourceException.Kind.UNREACHABLE);
        assertThat(error.getMessage()).startsWith("cannot reach " + git.url());
        assertThat(watcher.isRunning()).isTrue();
        assertThat(recorder.snapshots).isEmpty();

        git.restart();
        await().atMost(GENEROUS).until(() -> recorder.commits().contains(c1));
        await().atMost(GENEROUS).until(() -> watcher.lastError().isEmpty());
        assertThat(watcher.status().lastSuccessTime()).isNotNull();
    }

    @Test
    void aListenerFailureOffersTheCommitAgain() {
        String c1 = git.commit(Map.of("state/a.yaml", "a: 1\n"), "one");
        AtomicInteger calls = new AtomicInteger();
        watch(FAST_POLL, new RevisionWatcher.Listener() {
            @Override
            public void onSnapshot(Snapshot snapshot) {
                if (calls.incrementAndGet() == 1) {
                    throw new IllegalStateException("boom");
                }
                recorder.onSnapshot(snapshot);
            }
        }).start();
        await().atMost(GENEROUS).until(() -> recorder.commits().contains(c1));
        assertThat(watcher.lastDeliveredCommit()).contains(c1);
        assertThat(watcher.isRunning()).isTrue();
    }

    @Test
    void closeStopsTheThread() {
        git.commit(Map.of("state/a.yaml", "a: 1\n"), "one");
        watch(HOUR, recorder).start();
        await().atMost(GENEROUS).until(() -> recorder.snapshots.size() == 1);
        watcher.close();
        assertThat(watcher.isRunning()).isFalse();
        watcher.triggerNow(); // harmless after close
    }
}
