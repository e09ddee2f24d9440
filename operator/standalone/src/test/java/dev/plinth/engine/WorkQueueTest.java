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
}
