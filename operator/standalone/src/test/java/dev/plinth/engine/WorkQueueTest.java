package dev.plinth.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class WorkQueueTest {
    @Test
    void aDelayedAddAfterCloseIsDroppedQuietly() throws Exception {
        WorkQueue q = new WorkQueue();
        q.close();
        // a worker finishing its pass while the controller shuts down asks to come back later
        assertThatCode(() -> q.addAfter("n1", Duration.ofSeconds(5))).doesNotThrowAnyException();
        assertThat(q.take()).isNull();
    }

    @Test
    void aDelayedAddComesBackAfterItsDelay() throws Exception {
        try (WorkQueue q = new WorkQueue()) {
            q.addAfter("n1", Duration.ofMillis(50));
            assertThat(q.depth()).isZero();
            assertThat(q.take()).isEqualTo("n1");
        }
    }

    @Test
    void longDelaysDueOnTheSameTickShareOneTimerTask() throws Exception {
        try (WorkQueue q = new WorkQueue(Duration.ofMillis(100), Duration.ofMillis(500))) {
            long before = q.timerTasks();
            for (int i = 0; i < 1000; i++) {
                q.addAfter("n" + i, Duration.ofMillis(100));
            }
            // 1,000 drift checks due within the same tick (or two, if the loop crossed a boundary): not 1,000 tasks
            assertThat(q.timerTasks() - before).isBetween(1L, 2L);
            java.util.Set<String> taken = new java.util.HashSet<>();
            for (int i = 0; i < 1000; i++) {
                String n = q.take();
                taken.add(n);
                q.done(n);
            }
            assertThat(taken).hasSize(1000);
        }
    }

    @Test
    void anEarlierWakeUpSupersedesATickAndTheNameComesOnce() throws Exception {
        try (WorkQueue q = new WorkQueue(Duration.ofMillis(100), Duration.ofMillis(300))) {
            q.addAfter("n1", Duration.ofMillis(150));
            q.addAfter("n1", Duration.ofMillis(10));
            assertThat(q.take()).isEqualTo("n1");
            q.done("n1");
            Thread.sleep(800); // past the tick n1 was first due on
            assertThat(q.depth()).isZero();
        }
    }
}
