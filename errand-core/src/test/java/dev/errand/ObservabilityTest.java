package dev.errand;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class ObservabilityTest {
  record P(int n) {}

  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
  private final Logger jobLog = (Logger) LoggerFactory.getLogger("errand.job");
  private Level before;
  private Errand errand;

  @BeforeEach
  void captureJobLog() {
    before = jobLog.getLevel();
    jobLog.setLevel(Level.INFO);
    appender.start();
    jobLog.addAppender(appender);
  }

  @AfterEach
  void restore() {
    if (errand != null) {
      errand.close();
    }
    jobLog.detachAppender(appender);
    jobLog.setLevel(before);
  }

  @Test
  void every_execution_logs_one_structured_line_with_its_mdc() throws Exception {
    errand = Errand.builder().store(MemoryJobStore.create()).queue("default", 1).build();
    JobType<P> type =
        errand.register(
            JobType.of(
                    "logged",
                    P.class,
                    (ctx, p) -> {
                      if (p.n() == 1) {
                        throw new IllegalStateException("broken " + p.n());
                      }
                    })
                .maxAttempts(1));
    errand.start();
    JobHandle ok = errand.enqueue(type, new P(0));
    JobHandle bad = errand.enqueue(type, new P(1));
    ok.await(Duration.ofSeconds(10));
    bad.await(Duration.ofSeconds(10));
    await().atMost(Duration.ofSeconds(5)).until(() -> lines("job.finished").size() == 2);
    List<ILoggingEvent> finished = lines("job.finished");
    ILoggingEvent success =
        finished.stream()
            .filter(e -> e.getFormattedMessage().contains("id=" + ok.id() + " "))
            .findFirst()
            .orElseThrow();
    assertThat(success.getFormattedMessage())
        .contains(
            "type=logged", "queue=default", "attempt=1/1", "outcome=succeeded", "duration_ms=");
    assertThat(success.getMDCPropertyMap())
        .containsEntry("errand.job_id", Long.toString(ok.id()))
        .containsEntry("errand.job_type", "logged")
        .containsEntry("errand.attempt", "1/1");
    ILoggingEvent failure =
        finished.stream()
            .filter(e -> e.getFormattedMessage().contains("id=" + bad.id() + " "))
            .findFirst()
            .orElseThrow();
    assertThat(failure.getLevel()).isEqualTo(Level.WARN);
    assertThat(failure.getFormattedMessage())
        .contains("outcome=failed", "error=\"java.lang.IllegalStateException: broken 1\"");
    assertThat(lines("job.dead"))
        .singleElement()
        .satisfies(e -> assertThat(e.getLevel()).isEqualTo(Level.ERROR));
  }

  @Test
  void queue_depth_gauges_follow_the_store() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    errand =
        Errand.builder()
            .store(MemoryJobStore.create())
            .queue("default", 1)
            .meterRegistry(registry)
            .build();
    JobType<P> type = errand.register(JobType.of("depth", P.class, (ctx, p) -> {}));
    errand.pause("default");
    errand.start();
    for (int i = 0; i < 3; i++) {
      errand.enqueue(type, new P(i));
    }
    errand.enqueue(type, new P(9), Enqueue.after(Duration.ofHours(1)));
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> gauge(registry, "queued") == 3 && gauge(registry, "scheduled") == 1);
    errand.resume("default");
    await().atMost(Duration.ofSeconds(20)).until(() -> gauge(registry, "queued") == 0);
    assertThat(gauge(registry, "running")).isZero();
  }

  private static double gauge(SimpleMeterRegistry registry, String state) {
    Gauge g =
        registry.find("errand.jobs.depth").tag("queue", "default").tag("state", state).gauge();
    return g == null ? -1 : g.value();
  }

  private List<ILoggingEvent> lines(String prefix) {
    return appender.list.stream().filter(e -> e.getFormattedMessage().startsWith(prefix)).toList();
  }
}
