package dev.plinth.http.server;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class RateLimitedLogTest {
    private Instant now = Instant.parse("2026-01-01T00:00:00Z");

    @Test
    void atMostTheQuotaPerWindowThenTheCountOfTheSuppressedOnes() {
        Logger logger = (Logger) LoggerFactory.getLogger("rate-limited-test");
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        logger.addAppender(logs);
        Clock clock = new Clock() {
            @Override
            public Instant instant() {
                return now;
            }

            @Override
            public java.time.ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }
        };
        RateLimitedLog log = new RateLimitedLog(logger, 3, Duration.ofMinutes(1), clock);
        for (int i = 0; i < 10; i++) {
            log.warn("bad request " + i + "\nforged line\u001b[31m");
        }
        now = now.plusSeconds(61);
        log.warn("later");
        List<String> lines = logs.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        assertThat(lines).containsExactly("bad request 0\\x0aforged line\\x1b[31m", "bad request 1\\x0aforged line\\x1b[31m",
                "bad request 2\\x0aforged line\\x1b[31m", "7 similar warnings suppressed in the last 60 s", "later");
        logger.detachAppender(logs);
    }
}
