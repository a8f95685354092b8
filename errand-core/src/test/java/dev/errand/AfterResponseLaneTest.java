package dev.errand;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

class AfterResponseLaneTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final List<String> events = new CopyOnWriteArrayList<>();
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
  private final Logger laneLog = (Logger) LoggerFactory.getLogger("errand.after");

  /** Released at the end of each test so no task thread outlives it. */
  private final CountDownLatch release = new CountDownLatch(1);

  private AfterResponseLane lane;

  @BeforeEach
  void captureLog() {
    appender.start();
    laneLog.addAppender(appender);
  }

  @AfterEach
  void stop() {
    release.countDown();
    if (lane != null) {
      lane.shutdown();
    }
    laneLog.detachAppender(appender);
  }

  private AfterResponseLane.Builder builder() {
    return AfterResponseLane.builder().meterRegistry(registry);
  }

  private double tasks(String outcome) {
    return registry.get("errand.after.tasks").tag("outcome", outcome).counter().count();
  }

  private double saturated(String policy) {
    return registry.get("errand.after.saturated").tag("policy", policy).counter().count();
  }

  private List<ILoggingEvent> warnings() {
    return appender.list.stream().filter(e -> e.getLevel() == Level.WARN).toList();
  }

  /** Blocks until the test ends, ignoring interrupts: a task that truly hangs. */
  private void hang() {
    while (true) {
      try {
        release.await();
        return;
      } catch (InterruptedException ignored) {
        // a hanging task does not listen
      }
    }
  }

  /** Occupies the lane's single thread until {@code gate} opens. */
  private CountDownLatch occupy(CountDownLatch gate) {
    CountDownLatch started = new CountDownLatch(1);
    RequestScope s = lane.openScope("blocker");
    s.add(
        "blocker",
        () -> {
          started.countDown();
          try {
            gate.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
    s.complete();
    return started;
  }

  /**
   * With one thread and a queue of one: occupies the thread until the returned gate opens and
   * queues a request whose task records "queued", so the next request finds the lane full.
   */
  private CountDownLatch fillTheLane() throws InterruptedException {
    CountDownLatch gate = new CountDownLatch(1);
    assertThat(occupy(gate).await(10, TimeUnit.SECONDS)).isTrue();
    RequestScope queued = lane.openScope("queued");
    queued.add("queued", () -> events.add("queued"));
    queued.complete();
    return gate;
  }

  @Test
  void tasks_wait_for_the_response_then_run_in_the_order_added_on_a_lane_thread() {
    lane = builder().threads(3).build();
    RequestScope scope = lane.openScope("req-1");
    try (RequestScope.Binding b = scope.bind()) {
      AfterResponse.run("first", () -> events.add("first " + Thread.currentThread().getName()));
      AfterResponse.run("second", () -> events.add("second"));
      AfterResponse.run("third", () -> events.add("third"));
      assertThat(AfterResponse.inRequest()).isTrue();
    }
    assertThat(AfterResponse.inRequest()).isFalse();
    assertThat(scope.size()).isEqualTo(3);
    assertThat(events).as("nothing runs before the response is complete").isEmpty();
    scope.complete();
    await().atMost(WAIT).until(() -> events.size() == 3);
    assertThat(events.get(0)).startsWith("first errand-after-");
    assertThat(events.subList(1, 3)).containsExactly("second", "third");
    assertThat(tasks("succeeded")).isEqualTo(3);
  }

  @Test
  void a_throwing_task_and_a_hanging_task_never_stop_the_next_one() {
    lane = builder().threads(1).taskTimeout(Duration.ofMillis(200)).build();
    RequestScope scope = lane.openScope("req-2");
    scope.add(
        "throws",
        () -> {
          events.add("throws");
          throw new IllegalStateException("boom");
        });
    scope.add(
        "hangs",
        () -> {
          events.add("hangs");
          hang();
        });
    scope.add(
        "error",
        () -> {
          events.add("error");
          throw new AssertionError("an Error is isolated too");
        });
    scope.add("after", () -> events.add("after " + Thread.currentThread().getName()));
    scope.complete();
    await().atMost(WAIT).until(() -> events.size() == 4);
    assertThat(events.subList(0, 3)).containsExactly("throws", "hangs", "error");
    assertThat(events.get(3)).as("the hung thread was replaced").startsWith("after errand-after-");
    await().atMost(WAIT).until(() -> tasks("succeeded") == 1);
    assertThat(tasks("failed")).isEqualTo(2);
    assertThat(tasks("timed_out")).isEqualTo(1);
    assertThat(lane.abandonedThreads()).isEqualTo(1);
    assertThat(registry.get("errand.after.abandoned").gauge().value()).isEqualTo(1);
    release.countDown();
    await().atMost(WAIT).until(() -> lane.abandonedThreads() == 0);
    RequestScope next = lane.openScope("req-3");
    next.add("later", () -> events.add("later"));
    next.complete();
    await().atMost(WAIT).until(() -> events.contains("later"));
  }

  @Test
  void a_task_that_honours_its_interrupt_gives_its_thread_back() {
    lane = builder().threads(1).build();
    RequestScope scope = lane.openScope("req-4");
    scope.add(
        "sleeps",
        TaskOptions.defaults().timeout(Duration.ofMillis(100)),
        () -> {
          new CountDownLatch(1).await();
          return null;
        });
    scope.add("next", () -> events.add("next"));
    scope.complete();
    await().atMost(WAIT).until(() -> events.contains("next"));
    await().atMost(WAIT).until(() -> lane.abandonedThreads() == 0);
    assertThat(tasks("timed_out")).isEqualTo(1);
  }

  @Test
  void each_failure_is_logged_once_with_its_label_and_the_request_correlation_id() {
    lane = builder().threads(1).taskTimeout(Duration.ofMillis(200)).build();
    RequestScope scope = lane.openScope("corr-42");
    scope.add(
        "send-receipt",
        () -> {
          events.add("mdc " + MDC.get("errand.request_id") + " " + MDC.get("errand.task"));
          throw new IllegalStateException("smtp down");
        });
    scope.add("stuck-push", () -> hang());
    scope.add("fine", () -> events.add("fine"));
    scope.complete();
    await().atMost(WAIT).until(() -> events.contains("fine"));
    await().atMost(WAIT).until(() -> warnings().size() == 2);
    assertThat(events.get(0)).isEqualTo("mdc corr-42 send-receipt");
    ILoggingEvent failed = warnings().get(0);
    assertThat(failed.getFormattedMessage())
        .contains("'send-receipt'", "request corr-42", "failed after", "attempt 1/1");
    assertThat(failed.getThrowableProxy().getMessage()).isEqualTo("smtp down");
    assertThat(failed.getMDCPropertyMap()).containsEntry("errand.request_id", "corr-42");
    assertThat(warnings().get(1).getFormattedMessage())
        .contains("'stuck-push'", "request corr-42", "timed out after PT0.2S", "interrupted");
    assertThat(appender.list)
        .filteredOn(
            e ->
                e.getFormattedMessage().contains("'fine'")
                    && e.getLevel().isGreaterOrEqual(Level.INFO))
        .isEmpty();
  }

  @Test
  void a_completion_stage_task_finishes_when_its_stage_does_and_a_failed_stage_is_a_failure() {
    lane = builder().threads(1).build();
    CompletableFuture<String> pending = new CompletableFuture<>();
    RequestScope scope = lane.openScope("req-5");
    scope.add(
        "async",
        TaskOptions.defaults(),
        () -> {
          events.add("async started");
          return pending;
        });
    scope.add(
        "failed-stage",
        TaskOptions.defaults(),
        () -> CompletableFuture.failedFuture(new IllegalStateException("socket closed")));
    scope.add("after", () -> events.add("after"));
    scope.complete();
    await().atMost(WAIT).until(() -> events.contains("async started"));
    assertThat(events).as("the next task waits for the stage").doesNotContain("after");
    pending.complete("done");
    await().atMost(WAIT).until(() -> events.contains("after"));
    await().atMost(WAIT).until(() -> tasks("failed") == 1);
    assertThat(tasks("succeeded")).isEqualTo(2);
    assertThat(warnings())
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.getFormattedMessage()).contains("'failed-stage'");
              assertThat(e.getThrowableProxy().getMessage()).isEqualTo("socket closed");
            });
  }

  @Test
  void a_stage_that_never_completes_is_bounded_by_the_timeout_and_cancelled() {
    lane = builder().threads(1).build();
    CompletableFuture<String> never = new CompletableFuture<>();
    RequestScope scope = lane.openScope("req-6");
    scope.add("never", TaskOptions.defaults().timeout(Duration.ofMillis(100)), () -> never);
    scope.add("after", () -> events.add("after"));
    scope.complete();
    await().atMost(WAIT).until(() -> events.contains("after"));
    await().atMost(WAIT).until(never::isCancelled);
    assertThat(tasks("timed_out")).isEqualTo(1);
  }

  @Test
  void outside_a_request_the_task_runs_on_the_next_tick_on_a_lane_thread() {
    lane = builder().build();
    assertThatThrownBy(() -> AfterResponse.run("orphan", () -> {}))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("AfterResponse.install");
    AfterResponse.install(lane);
    CountDownLatch ran = new CountDownLatch(1);
    AfterResponse.run(
        "tick",
        () -> {
          events.add(Thread.currentThread().getName());
          ran.countDown();
        });
    await().atMost(WAIT).until(() -> ran.getCount() == 0);
    assertThat(events).singleElement().asString().startsWith("errand-after-");
    lane.shutdown();
    assertThat(AfterResponse.installed()).as("a stopped lane uninstalls itself").isEmpty();
  }

  @Test
  void wait_policy_waits_for_room_then_queues() throws Exception {
    lane = builder().threads(1).queueCapacity(1).waitUpTo(WAIT).build();
    CountDownLatch gate = fillTheLane();
    RequestScope waiting = lane.openScope("waiting");
    waiting.add("waiting", () -> events.add("waiting"));
    Thread completer = new Thread(waiting::complete, "completer");
    completer.start();
    await().atMost(WAIT).until(() -> saturated("wait") == 1);
    gate.countDown();
    completer.join(WAIT.toMillis());
    await().atMost(WAIT).until(() -> events.size() == 2);
    assertThat(events).containsExactly("queued", "waiting");
    assertThat(tasks("rejected")).isZero();
  }

  @Test
  void wait_policy_rejects_after_its_limit_and_says_so() throws Exception {
    lane = builder().threads(1).queueCapacity(1).waitUpTo(Duration.ofMillis(50)).build();
    CountDownLatch gate = fillTheLane();
    RequestScope late = lane.openScope("late-request");
    late.add("cache-1", () -> events.add("cache-1"));
    late.add("cache-2", () -> events.add("cache-2"));
    late.complete();
    assertThat(saturated("wait")).isEqualTo(1);
    assertThat(tasks("rejected")).isEqualTo(2);
    assertThat(warnings())
        .singleElement()
        .satisfies(
            e ->
                assertThat(e.getFormattedMessage())
                    .contains(
                        "rejected 2",
                        "late-request",
                        "stayed full for PT0.05S",
                        "[cache-1, cache-2]"));
    gate.countDown();
    await().atMost(WAIT).until(() -> events.contains("queued"));
    assertThat(events).doesNotContain("cache-1", "cache-2");
  }

  @Test
  void caller_runs_policy_runs_the_tasks_on_the_completing_thread() throws Exception {
    lane = builder().threads(1).queueCapacity(1).saturation(Saturation.CALLER_RUNS).build();
    CountDownLatch gate = fillTheLane();
    RequestScope full = lane.openScope("full");
    full.add("in-caller", () -> events.add("in-caller on " + Thread.currentThread().getName()));
    full.complete();
    assertThat(events).containsExactly("in-caller on " + Thread.currentThread().getName());
    assertThat(saturated("caller_runs")).isEqualTo(1);
    assertThat(tasks("rejected")).isZero();
    gate.countDown();
    await().atMost(WAIT).until(() -> events.contains("queued"));
  }

  @Test
  void reject_policy_rejects_at_once_counts_and_logs() throws Exception {
    lane = builder().threads(1).queueCapacity(1).saturation(Saturation.REJECT).build();
    CountDownLatch gate = fillTheLane();
    RequestScope full = lane.openScope("full");
    full.add("dropped", () -> events.add("dropped"));
    full.complete();
    assertThat(saturated("reject")).isEqualTo(1);
    assertThat(tasks("rejected")).isEqualTo(1);
    assertThat(warnings())
        .singleElement()
        .satisfies(
            e ->
                assertThat(e.getFormattedMessage())
                    .contains("rejected 1", "request full", "policy REJECT", "[dropped]"));
    gate.countDown();
    await().atMost(WAIT).until(() -> events.contains("queued"));
    assertThat(events).doesNotContain("dropped");
  }

  @Test
  void tasks_over_the_per_request_limit_are_rejected_and_logged_once() {
    lane = builder().maxTasksPerRequest(2).build();
    RequestScope scope = lane.openScope("greedy");
    for (int i = 0; i < 5; i++) {
      int n = i;
      scope.add("t" + n, () -> events.add("t" + n));
    }
    assertThat(tasks("rejected")).isEqualTo(3);
    assertThat(warnings())
        .singleElement()
        .satisfies(
            e ->
                assertThat(e.getFormattedMessage())
                    .contains("'t2'", "greedy", "maxTasksPerRequest"));
    scope.complete();
    await().atMost(WAIT).until(() -> events.size() == 2);
    assertThat(events).containsExactly("t0", "t1");
  }

  @Test
  void a_discarded_scope_runs_none_of_its_tasks_and_counts_them() {
    lane = builder().build();
    RequestScope scope = lane.openScope("failed-request");
    scope.add("notify", () -> events.add("notify"));
    scope.discard(new IllegalStateException("handler failed"));
    scope.complete();
    assertThat(tasks("discarded")).isEqualTo(1);
    assertThat(lane.shutdown().drained()).isTrue();
    assertThat(events).isEmpty();
  }

  @Test
  void a_task_added_after_completion_runs_on_the_next_tick() {
    lane = builder().build();
    RequestScope scope = lane.openScope("late-add");
    scope.complete();
    scope.add("late", () -> events.add("late " + MDC.get("errand.request_id")));
    await().atMost(WAIT).until(() -> events.size() == 1);
    assertThat(events).containsExactly("late late-add");
  }

  @Test
  void retries_back_off_and_a_later_success_logs_no_failure() {
    lane = builder().build();
    AtomicInteger attempts = new AtomicInteger();
    RequestScope scope = lane.openScope("retrying");
    scope.add(
        "flaky",
        TaskOptions.defaults().retries(3, Backoff.fixed(Duration.ofMillis(10))),
        () -> {
          if (attempts.incrementAndGet() < 3) {
            throw new IllegalStateException("try again");
          }
          events.add("ok on " + attempts.get());
          return null;
        });
    scope.complete();
    await().atMost(WAIT).until(() -> events.contains("ok on 3"));
    await().atMost(WAIT).until(() -> tasks("succeeded") == 1);
    assertThat(registry.get("errand.after.retries").counter().count()).isEqualTo(2);
    assertThat(tasks("failed")).isZero();
    assertThat(warnings()).isEmpty();
  }

  @Test
  void a_task_that_exhausts_its_retries_is_logged_once_with_its_last_attempt() {
    lane = builder().build();
    AtomicInteger attempts = new AtomicInteger();
    RequestScope scope = lane.openScope("hopeless");
    scope.add(
        "always-fails",
        TaskOptions.defaults().retries(2, Backoff.exponential(Duration.ofMillis(5))),
        () -> {
          attempts.incrementAndGet();
          throw new IllegalStateException("still down");
        });
    scope.complete();
    await().atMost(WAIT).until(() -> tasks("failed") == 1);
    assertThat(attempts).hasValue(2);
    assertThat(warnings())
        .singleElement()
        .satisfies(
            e ->
                assertThat(e.getFormattedMessage())
                    .contains("'always-fails'", "hopeless", "attempt 2/2"));
  }

  @Test
  void shutdown_drains_queued_tasks_within_the_grace() {
    lane = builder().threads(1).shutdownGrace(WAIT).build();
    for (int r = 0; r < 3; r++) {
      RequestScope scope = lane.openScope("r" + r);
      for (int i = 0; i < 3; i++) {
        String label = "r" + r + "-t" + i;
        scope.add(label, () -> events.add(label));
      }
      scope.complete();
    }
    ShutdownReport report = lane.shutdown();
    assertThat(report.drained()).isTrue();
    assertThat(events).hasSize(9).startsWith("r0-t0", "r0-t1", "r0-t2");
    assertThat(lane.shutdown()).isSameAs(report);
  }

  @Test
  void shutdown_reports_the_tasks_it_could_not_run_in_its_grace() throws Exception {
    lane = builder().threads(1).shutdownGrace(Duration.ofMillis(100)).build();
    CountDownLatch started = new CountDownLatch(1);
    RequestScope first = lane.openScope("first");
    first.add(
        "stuck",
        () -> {
          started.countDown();
          hang();
        });
    first.add("behind-stuck", () -> events.add("behind-stuck"));
    first.complete();
    started.await(10, TimeUnit.SECONDS);
    RequestScope second = lane.openScope("second");
    second.add("queued-1", () -> events.add("queued-1"));
    second.add("queued-2", () -> events.add("queued-2"));
    second.complete();
    ShutdownReport report = lane.shutdown();
    assertThat(report.drained()).isFalse();
    assertThat(report.interrupted()).containsExactly("stuck");
    assertThat(report.notStarted())
        .containsExactlyInAnyOrder("behind-stuck", "queued-1", "queued-2");
    assertThat(tasks("dropped")).isEqualTo(4);
    assertThat(warnings())
        .anySatisfy(
            e ->
                assertThat(e.getFormattedMessage())
                    .contains("without running 4 tasks", "interrupted [stuck]"));
    RequestScope after = lane.openScope("after-shutdown");
    after.add("too-late", () -> events.add("too-late"));
    after.complete();
    assertThat(tasks("rejected")).isEqualTo(1);
    assertThat(events).isEmpty();
  }

  @Test
  void a_retry_waiting_at_shutdown_is_reported_as_not_started() {
    lane = builder().shutdownGrace(Duration.ofMillis(50)).build();
    RequestScope scope = lane.openScope("r");
    scope.add(
        "slow-retry",
        TaskOptions.defaults().retries(2, Backoff.fixed(Duration.ofHours(1))),
        () -> {
          throw new IllegalStateException("first attempt fails");
        });
    scope.complete();
    await().atMost(WAIT).until(() -> registry.get("errand.after.retries").counter().count() == 1);
    assertThat(lane.shutdown().notStarted()).containsExactly("slow-retry");
  }

  @Test
  void durable_tasks_are_written_when_added_before_the_response() {
    Errand errand = Errand.builder().store(MemoryJobStore.create()).build();
    record Welcome(String email) {}
    JobType<Welcome> welcome =
        errand.register(JobType.of("welcome", Welcome.class, (ctx, w) -> {}));
    lane = builder().errand(errand).build();
    RequestScope scope = lane.openScope("signup");
    JobHandle handle;
    try (RequestScope.Binding b = scope.bind()) {
      handle = AfterResponse.run(welcome, new Welcome("a@example.com"));
    }
    assertThat(errand.job(handle.id())).get().extracting(Job::state).isEqualTo(JobState.QUEUED);
    assertThat(scope.size()).as("a durable task is not held in memory").isZero();
    errand.close();
  }

  @Test
  void durable_tasks_need_an_errand_and_say_how_to_configure_one() {
    lane = builder().build();
    Errand errand = Errand.builder().store(MemoryJobStore.create()).build();
    JobType<String> t = errand.register(JobType.of("t", String.class, (ctx, s) -> {}));
    try (RequestScope.Binding b = lane.openScope("x").bind()) {
      assertThatThrownBy(() -> AfterResponse.run(t, "p"))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("AfterResponseLane.builder().errand(errand)");
    }
    errand.close();
  }

  @Test
  void bad_configuration_is_rejected_with_the_value_and_a_fix() {
    assertThatThrownBy(() -> AfterResponseLane.builder().threads(0).build())
        .hasMessageContaining("threads must be at least 1, got 0");
    assertThatThrownBy(() -> AfterResponseLane.builder().taskTimeout(Duration.ZERO).build())
        .hasMessageContaining("taskTimeout must be positive, got PT0S");
    assertThatThrownBy(
            () -> AfterResponseLane.builder().shutdownGrace(Duration.ofSeconds(-1)).build())
        .hasMessageContaining("got PT-1S");
    assertThatThrownBy(
            () -> TaskOptions.defaults().retries(0, Backoff.fixed(Duration.ofSeconds(1))))
        .hasMessageContaining("got 0");
    lane = builder().build();
    assertThatThrownBy(() -> lane.openScope("x").add(" ", () -> {}))
        .hasMessageContaining("got ' '");
  }

  @Test
  void the_gauges_keep_reporting_after_a_garbage_collection() {
    lane = builder().build();
    // Micrometer holds a gauge's state object weakly: a gauge over an object only the gauge
    // references reads NaN once it is collected (seen in CI as "expected: 1.0 but was: NaN").
    java.lang.ref.WeakReference<Object> canary = new java.lang.ref.WeakReference<>(new Object());
    await()
        .atMost(WAIT)
        .until(
            () -> {
              System.gc(); // a full collection: it clears every weakly reachable object
              return canary.get() == null;
            });
    assertThat(registry.get("errand.after.abandoned").gauge().value()).isEqualTo(0);
    assertThat(registry.get("errand.after.queued").gauge().value()).isEqualTo(0);
  }

  @Test
  void with_label_tags_each_tasks_outcome_is_counted_under_its_label() {
    lane = builder().labelTags(true).build();
    RequestScope scope = lane.openScope("req-labels");
    scope.add(
        "send-sms",
        () -> {
          throw new IllegalStateException("gateway down");
        });
    scope.add("audit", () -> events.add("audit"));
    scope.add("audit", () -> events.add("audit"));
    scope.complete();
    await().atMost(WAIT).until(() -> labelled("succeeded", "audit") == 2);
    assertThat(labelled("failed", "send-sms")).isEqualTo(1);
    assertThat(registry.find("errand.after.tasks").tags("outcome", "failed").counters())
        .as("every counter of the name has both tags")
        .allMatch(c -> c.getId().getTag("label") != null);
  }

  private double labelled(String outcome, String label) {
    io.micrometer.core.instrument.Counter c =
        registry.find("errand.after.tasks").tags("outcome", outcome, "label", label).counter();
    return c == null ? 0 : c.count();
  }
}
