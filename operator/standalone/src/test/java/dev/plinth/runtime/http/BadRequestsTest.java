package dev.plinth.runtime.http;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** Issue 8 #10: bad requests are answered 4xx and logged as one line each, rate-limited; no 500 for GET /images. */
class BadRequestsTest {
    @TempDir
    Path dir;
    private Controller controller;
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();

    @BeforeEach
    void captureLogs() {
        logs.start();
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(logs);
    }

    @AfterEach
    void stop() {
        if (controller != null) {
            controller.close();
        }
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(logs);
    }

    @Test
    void getImagesWithoutAFileIsNotFound() throws Exception {
        controller = Controller.start(dir, null);
        for (String path : List.of("/images", "/images/", "/images/nope.raw")) {
            String answer = RawHttp.exchange(controller.provisioningPort(),
                    "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            assertThat(answer).as(path).startsWith("HTTP/1.1 404 ");
        }
        assertThat(logs.list).noneMatch(e -> e.getLevel().isGreaterOrEqual(ch.qos.logback.classic.Level.WARN));
    }

    @Test
    void badRequestsLogOneLineEachWithoutStackTraceAndRateLimited() throws Exception {
        controller = Controller.start(dir, null);
        int before = logs.list.size();
        for (int i = 0; i < 50; i++) {
            for (int port : new int[] {controller.apiPort(), controller.provisioningPort()}) {
                String answer = RawHttp.exchange(port, "GET /v1/boot/%zz.ipxe HTTP/1.1\r\nHost: x\r\n"
                        + "Connection: close\r\n\r\n");
                assertThat(answer).startsWith("HTTP/1.1 400 ");
            }
        }
        List<ILoggingEvent> logged = logs.list.subList(before, logs.list.size());
        logged.forEach(e -> System.out.println("logged: " + e.getLevel() + " " + e.getFormattedMessage()
                + (e.getThrowableProxy() == null ? "" : " + stack trace of " + e.getThrowableProxy().getClassName())));
        assertThat(logged).as("no stack traces").noneMatch(e -> e.getThrowableProxy() != null);
        assertThat(logged).as("one line each").noneMatch(e -> e.getFormattedMessage().contains("\n"));
        assertThat(logged.size()).as("rate-limited: lines for 100 bad requests").isBetween(1, 12);
    }
}
