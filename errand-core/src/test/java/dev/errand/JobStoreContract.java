package dev.errand;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import dev.errand.spi.ClaimedJob;
import dev.errand.spi.Completion;
import dev.errand.spi.EnqueueResult;
import dev.errand.spi.JobStore;
import dev.errand.spi.LeaseRef;
import dev.errand.spi.NewJob;
import dev.errand.spi.Rescue;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The store conformance suite: every {@link JobStore} must pass it against a real database.
 * Subclasses create a fresh, empty store per test; {@link #secondStore()} opens another instance on
 * the same database (another "node") where the store supports it.
 */
public abstract class JobStoreContract {
  protected static final Duration LEASE = Duration.ofSeconds(30);
  protected JobStore store;

  /** A fresh, empty, not yet opened store. */
  protected abstract JobStore newStore() throws Exception;

  /** Another instance on the same database as {@link #store}; by default the same instance. */
  protected JobStore secondStore() throws Exception {
    return store;
  }

  @BeforeEach
  void openStore() throws Exception {
    store = newStore();
    store.open();
  }

  @AfterEach
  void closeStore() {
    if (store != null) {
      store.close();
    }
  }

  protected static NewJob job(String queue) {
    return job(queue, Instant.now().minusMillis(1));
  }

  protected static NewJob job(String queue, Instant runAt) {
    return new NewJob("t", queue, "{\"n\":1}", 0, 3, runAt, null, Set.of(), null);
  }

  protected static NewJob withKey(String queue, String key) {
    return new NewJob("t", queue, "{}", 0, 3, Instant.now().minusMillis(1), key, Set.of(), null);
  }

  protected long enqueueOne(NewJob j) {
    return store.enqueue(List.of(j)).get(0).id();
  }

  protected ClaimedJob claimOne(String queue) {
    List<ClaimedJob> c = store.claim(queue, 1, "n1", LEASE);
    assertThat(c).hasSize(1);
    return c.get(0);
  }

  protected Job get(long id) {
    return store.find(id).orElseThrow();
  }

  protected static AttemptError err(int attempt, String msg) {
    return new AttemptError(attempt, null, Instant.now(), "error", msg, "at x");
  }

  // ------------------------------------------------------------------ enqueue

  @Test
  void enqueued_job_reads_back_with_every_field() {
    Instant runAt = Instant.now().minusSeconds(1).truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
    NewJob n =
        new NewJob(
            "send-email",
            "email",
            "{\"to\":\"a@b\"}",
            5,
            7,
            runAt,
            "k-1",
            Set.of("a", "b"),
            "sched-1");
    EnqueueResult r = store.enqueue(List.of(n)).get(0);
    assertThat(r.created()).isTrue();
    Job j = get(r.id());
    assertThat(j.type()).isEqualTo("send-email");
    assertThat(j.queue()).isEqualTo("email");
    assertThat(j.payload()).isEqualTo("{\"to\":\"a@b\"}");
    assertThat(j.state()).isEqualTo(JobState.QUEUED);
    assertThat(j.priority()).isEqualTo(5);
    assertThat(j.attempt()).isZero();
    assertThat(j.maxAttempts()).isEqualTo(7);
    assertThat(j.runAt()).isEqualTo(runAt);
    assertThat(j.uniqueKey()).isEqualTo("k-1");
    assertThat(j.tags()).containsExactlyInAnyOrder("a", "b");
    assertThat(j.scheduleId()).isEqualTo("sched-1");
    assertThat(j.createdAt()).isNotNull();
    assertThat(j.errors()).isEmpty();
    assertThat(j.lastError()).isNull();
    assertThat(j.rescues()).isZero();
  }

  @Test
  void job_due_later_is_scheduled_and_not_claimable_until_due() {
    long id = enqueueOne(job("q", Instant.now().plusSeconds(3600)));
    assertThat(get(id).state()).isEqualTo(JobState.SCHEDULED);
    assertThat(store.claim("q", 10, "n1", LEASE)).isEmpty();
  }

  @Test
  void batch_enqueue_returns_ids_in_input_order() {
    List<NewJob> batch = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      batch.add(
          new NewJob("t", "q", "{\"i\":" + i + "}", 0, 3, Instant.now(), null, Set.of(), null));
    }
    List<EnqueueResult> r = store.enqueue(batch);
    assertThat(r).hasSize(2000).allMatch(EnqueueResult::created);
    assertThat(r.stream().map(EnqueueResult::id).distinct().count()).isEqualTo(2000);
    for (int i : new int[] {0, 1, 999, 1999}) {
      assertThat(get(r.get(i).id()).payload()).isEqualTo("{\"i\":" + i + "}");
    }
  }

  @Test
  void unique_key_returns_the_live_job_until_it_is_final() {
    long first = enqueueOne(withKey("q", "k"));
    EnqueueResult again = store.enqueue(List.of(withKey("q", "k"))).get(0);
    assertThat(again.created()).isFalse();
    assertThat(again.id()).isEqualTo(first);

    ClaimedJob c = claimOne("q");
    assertThat(store.enqueue(List.of(withKey("q", "k"))).get(0).id()).isEqualTo(first);
    assertThat(store.complete(List.of(Completion.succeeded(c.job().id(), c.fence(), null))))
        .isEmpty();

    EnqueueResult after = store.enqueue(List.of(withKey("q", "k"))).get(0);
    assertThat(after.created()).isTrue();
    assertThat(after.id()).isNotEqualTo(first);
  }

  @Test
  void unique_key_repeated_within_one_batch_creates_one_job() {
    List<EnqueueResult> r =
        store.enqueue(List.of(withKey("q", "dup"), withKey("q", "dup"), withKey("q", "other")));
    assertThat(r.get(0).created()).isTrue();
    assertThat(r.get(1).created()).isFalse();
    assertThat(r.get(1).id()).isEqualTo(r.get(0).id());
    assertThat(r.get(2).created()).isTrue();
  }

  @Test
  void concurrent_enqueues_with_one_unique_key_admit_one_live_job() throws Exception {
    JobStore other = secondStore();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      for (int round = 0; round < 5; round++) {
        String key = "race-" + round;
        CountDownLatch go = new CountDownLatch(1);
        List<Future<EnqueueResult>> fs = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
          JobStore s = t % 2 == 0 ? store : other;
          fs.add(
              pool.submit(
                  () -> {
                    go.await();
                    return s.enqueue(List.of(withKey("q", key))).get(0);
                  }));
        }
        go.countDown();
        Set<Long> ids = new HashSet<>();
        int created = 0;
        for (Future<EnqueueResult> f : fs) {
          EnqueueResult r = f.get(30, TimeUnit.SECONDS);
          ids.add(r.id());
          created += r.created() ? 1 : 0;
        }
        assertThat(ids).as("round %d ids", round).hasSize(1);
        assertThat(created).as("round %d created", round).isEqualTo(1);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  // ------------------------------------------------------------------ claim

  @Test
  void claim_takes_highest_priority_then_earliest_run_at_then_lowest_id() {
    Instant t0 = Instant.now().minusSeconds(60);
    long low = enqueueOne(new NewJob("t", "q", "{}", 0, 3, t0, null, Set.of(), null));
    long high =
        enqueueOne(new NewJob("t", "q", "{}", 9, 3, t0.plusSeconds(10), null, Set.of(), null));
    long earlier =
        enqueueOne(new NewJob("t", "q", "{}", 0, 3, t0.minusSeconds(10), null, Set.of(), null));
    long sameAsLow = enqueueOne(new NewJob("t", "q", "{}", 0, 3, t0, null, Set.of(), null));
    List<Long> order = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      order.add(claimOne("q").job().id());
    }
    assertThat(order).containsExactly(high, earlier, low, sameAsLow);
  }

  @Test
  void claim_marks_running_with_attempt_fence_lease_and_node() {
    long id = enqueueOne(job("q"));
    ClaimedJob c = claimOne("q");
    assertThat(c.job().id()).isEqualTo(id);
    assertThat(c.job().state()).isEqualTo(JobState.RUNNING);
    assertThat(c.job().attempt()).isEqualTo(1);
    assertThat(c.job().nodeId()).isEqualTo("n1");
    assertThat(c.job().startedAt()).isNotNull();
    Job stored = get(id);
    assertThat(stored.state()).isEqualTo(JobState.RUNNING);
    assertThat(stored.leaseUntil()).isAfter(store.now().plusSeconds(20));
  }

  @Test
  void claim_respects_queue_and_limit() {
    for (int i = 0; i < 5; i++) {
      enqueueOne(job("a"));
    }
    enqueueOne(job("b"));
    assertThat(store.claim("a", 3, "n1", LEASE))
        .hasSize(3)
        .allMatch(c -> c.job().queue().equals("a"));
    assertThat(store.claim("a", 10, "n1", LEASE)).hasSize(2);
    assertThat(store.claim("a", 10, "n1", LEASE)).isEmpty();
    assertThat(store.claim("b", 10, "n1", LEASE)).hasSize(1);
  }

  @Test
  void paused_queue_gives_nothing_until_resumed() throws Exception {
    enqueueOne(job("p"));
    store.setPaused("p", true);
    assertThat(store.pausedQueues()).contains("p");
    assertThat(secondStore().claim("p", 10, "n2", LEASE)).isEmpty();
    store.setPaused("p", false);
    assertThat(store.pausedQueues()).doesNotContain("p");
    assertThat(secondStore().claim("p", 10, "n2", LEASE)).hasSize(1);
  }

  @Test
  void two_claimers_never_get_the_same_job() throws Exception {
    int total = 600;
    List<NewJob> batch = new ArrayList<>();
    for (int i = 0; i < total; i++) {
      batch.add(job("race"));
    }
    store.enqueue(batch);
    JobStore other = secondStore();
    Map<Long, String> claimedBy = new ConcurrentHashMap<>();
    List<Long> duplicates = Collections.synchronizedList(new ArrayList<>());
    ExecutorService pool = Executors.newFixedThreadPool(6);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<?>> fs = new ArrayList<>();
    for (int t = 0; t < 6; t++) {
      JobStore s = t % 2 == 0 ? store : other;
      String name = "w" + t;
      fs.add(
          pool.submit(
              () -> {
                go.await();
                while (true) {
                  List<ClaimedJob> got = s.claim("race", 7, name, LEASE);
                  if (got.isEmpty()) {
                    return null;
                  }
                  for (ClaimedJob c : got) {
                    if (claimedBy.putIfAbsent(c.job().id(), name) != null) {
                      duplicates.add(c.job().id());
                    }
                  }
                }
              }));
    }
    go.countDown();
    for (Future<?> f : fs) {
      f.get(60, TimeUnit.SECONDS);
    }
    pool.shutdownNow();
    assertThat(duplicates).isEmpty();
    assertThat(claimedBy).hasSize(total);
  }

  // ------------------------------------------------------------------ completion and fencing

  @Test
  void success_is_written_with_result_and_finish_time() {
    long id = enqueueOne(job("q"));
    ClaimedJob c = claimOne("q");
    assertThat(store.complete(List.of(Completion.succeeded(id, c.fence(), "{\"ok\":true}"))))
        .isEmpty();
    Job j = get(id);
    assertThat(j.state()).isEqualTo(JobState.SUCCEEDED);
    assertThat(j.result()).isEqualTo("{\"ok\":true}");
    assertThat(j.finishedAt()).isNotNull();
    assertThat(j.leaseUntil()).isNull();
  }

  @Test
  void write_with_a_stale_fence_is_rejected_and_changes_nothing() {
    long id = enqueueOne(job("q"));
    ClaimedJob c = claimOne("q");
    assertThat(store.complete(List.of(Completion.succeeded(id, c.fence() + 1, null))))
        .containsExactly(id);
    assertThat(get(id).state()).isEqualTo(JobState.RUNNING);
    assertThat(store.complete(List.of(Completion.succeeded(id, c.fence(), null)))).isEmpty();
    assertThat(store.complete(List.of(Completion.fail(id, c.fence(), err(1, "late")))))
        .containsExactly(id);
    assertThat(get(id).state()).isEqualTo(JobState.SUCCEEDED);
  }

  @Test
  void batch_completion_writes_accepted_and_reports_only_rejected() {
    List<Long> ids = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      ids.add(enqueueOne(job("q")));
    }
    List<ClaimedJob> cs = store.claim("q", 5, "n1", LEASE);
    assertThat(cs).hasSize(5);
    Instant later = Instant.now().plusSeconds(3600);
    List<Completion> batch =
        List.of(
            Completion.succeeded(cs.get(0).job().id(), cs.get(0).fence(), null),
            Completion.retry(cs.get(1).job().id(), cs.get(1).fence(), later, err(1, "boom")),
            Completion.fail(cs.get(2).job().id(), cs.get(2).fence(), err(1, "dead")),
            Completion.snooze(cs.get(3).job().id(), cs.get(3).fence(), later),
            Completion.succeeded(cs.get(4).job().id(), cs.get(4).fence() + 5, null));
    assertThat(store.complete(batch)).containsExactly(cs.get(4).job().id());
    assertThat(get(cs.get(0).job().id()).state()).isEqualTo(JobState.SUCCEEDED);
    assertThat(get(cs.get(1).job().id()).state()).isEqualTo(JobState.RETRYING);
    assertThat(get(cs.get(2).job().id()).state()).isEqualTo(JobState.FAILED);
    assertThat(get(cs.get(3).job().id()).state()).isEqualTo(JobState.SCHEDULED);
    assertThat(get(cs.get(4).job().id()).state()).isEqualTo(JobState.RUNNING);
  }

  @Test
  void retry_keeps_every_error_and_runs_again_when_due() {
    long id = enqueueOne(job("q"));
    ClaimedJob c1 = claimOne("q");
    Instant soon = store.now().plusMillis(300);
    store.complete(List.of(Completion.retry(id, c1.fence(), soon, err(1, "first"))));
    Job j = get(id);
    assertThat(j.state()).isEqualTo(JobState.RETRYING);
    assertThat(j.lastError()).isEqualTo("first");
    assertThat(j.runAt().truncatedTo(java.time.temporal.ChronoUnit.MILLIS))
        .isEqualTo(soon.truncatedTo(java.time.temporal.ChronoUnit.MILLIS));
    assertThat(store.claim("q", 1, "n1", LEASE)).isEmpty();
    List<ClaimedJob> again = new ArrayList<>();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> {
              again.addAll(store.claim("q", 1, "n1", LEASE));
              return !again.isEmpty();
            });
    ClaimedJob c2 = again.get(0);
    assertThat(c2.job().attempt()).isEqualTo(2);
    assertThat(c2.fence()).isGreaterThan(c1.fence());
    store.complete(List.of(Completion.fail(id, c2.fence(), err(2, "second"))));
    j = get(id);
    assertThat(j.state()).isEqualTo(JobState.FAILED);
    assertThat(j.errors()).extracting(AttemptError::message).containsExactly("first", "second");
    assertThat(j.errors()).extracting(AttemptError::attempt).containsExactly(1, 2);
    assertThat(j.lastError()).isEqualTo("second");
    assertThat(j.finishedAt()).isNotNull();
  }

  @Test
  void snooze_and_release_give_the_attempt_back() {
    long id = enqueueOne(job("q"));
    ClaimedJob c1 = claimOne("q");
    store.complete(List.of(Completion.snooze(id, c1.fence(), store.now().minusMillis(1))));
    Job j = get(id);
    assertThat(j.state()).isEqualTo(JobState.SCHEDULED);
    assertThat(j.attempt()).isZero();
    ClaimedJob c2 = claimOne("q");
    assertThat(c2.job().attempt()).isEqualTo(1);
    assertThat(c2.fence()).isGreaterThan(c1.fence());
    store.complete(List.of(Completion.release(id, c2.fence())));
    j = get(id);
    assertThat(j.state()).isEqualTo(JobState.QUEUED);
    assertThat(j.attempt()).isZero();
    ClaimedJob c3 = claimOne("q");
    assertThat(c3.job().attempt()).isEqualTo(1);
    assertThat(store.complete(List.of(Completion.succeeded(id, c2.fence(), null))))
        .containsExactly(id);
  }

  // ------------------------------------------------------------------ leases

  @Test
  void heartbeat_extends_the_lease_and_reports_lost_leases() {
    long id = enqueueOne(job("q"));
    ClaimedJob c = store.claim("q", 1, "n1", Duration.ofSeconds(2)).get(0);
    Instant before = get(id).leaseUntil();
    Set<Long> lost =
        store.heartbeat(
            List.of(new LeaseRef(id, c.fence(), 40), new LeaseRef(999_999L, 1, null)),
            Duration.ofMinutes(5));
    assertThat(lost).containsExactly(999_999L);
    Job j = get(id);
    assertThat(j.leaseUntil()).isAfter(before);
    assertThat(j.progress()).isEqualTo(40);
    assertThat(store.heartbeat(List.of(new LeaseRef(id, c.fence() - 1, null)), LEASE))
        .containsExactly(id);
  }

  @Test
  void expired_lease_is_rescued_spending_the_attempt() {
    long id = enqueueOne(job("q"));
    ClaimedJob c = store.claim("q", 1, "dead-node", Duration.ofSeconds(1)).get(0);
    assertThat(store.rescueExpired(3, 100)).isEmpty();
    List<Rescue> rescued = new ArrayList<>();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> {
              rescued.addAll(store.rescueExpired(3, 100));
              return !rescued.isEmpty();
            });
    Rescue r = rescued.get(0);
    assertThat(r.id()).isEqualTo(id);
    assertThat(r.state()).isEqualTo(JobState.RETRYING);
    assertThat(r.nodeId()).isEqualTo("dead-node");
    assertThat(r.quarantined()).isFalse();
    Job j = get(id);
    assertThat(j.state()).isEqualTo(JobState.RETRYING);
    assertThat(j.rescues()).isEqualTo(1);
    assertThat(j.attempt()).isEqualTo(1);
    assertThat(j.errors())
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.kind()).isEqualTo("rescued");
              assertThat(e.message()).contains("dead-node");
            });
    // the frozen worker wakes up: its late write is rejected
    assertThat(store.complete(List.of(Completion.succeeded(id, c.fence(), null))))
        .containsExactly(id);
    assertThat(store.heartbeat(List.of(new LeaseRef(id, c.fence(), null)), LEASE))
        .containsExactly(id);
    ClaimedJob next = claimOne("q");
    assertThat(next.job().attempt()).isEqualTo(2);
  }

  @Test
  void job_rescued_too_often_is_quarantined() {
    long id = enqueueOne(new NewJob("t", "q", "{}", 0, 10, Instant.now(), null, Set.of(), null));
    for (int i = 1; i <= 2; i++) {
      store.claim("q", 1, "n", Duration.ofSeconds(1));
      List<Rescue> r = new ArrayList<>();
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () -> {
                r.addAll(store.rescueExpired(2, 100));
                return !r.isEmpty();
              });
      if (i == 1) {
        assertThat(r.get(0).state()).isEqualTo(JobState.RETRYING);
      } else {
        assertThat(r.get(0).state()).isEqualTo(JobState.FAILED);
        assertThat(r.get(0).quarantined()).isTrue();
      }
    }
    Job j = get(id);
    assertThat(j.state()).isEqualTo(JobState.FAILED);
    assertThat(j.lastError()).contains("quarantined");
    assertThat(j.finishedAt()).isNotNull();
  }

  @Test
  void rescue_on_the_last_attempt_dead_letters_the_job() {
    long id = enqueueOne(new NewJob("t", "q", "{}", 0, 1, Instant.now(), null, Set.of(), null));
    store.claim("q", 1, "n", Duration.ofSeconds(1));
    List<Rescue> r = new ArrayList<>();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> {
              r.addAll(store.rescueExpired(5, 100));
              return !r.isEmpty();
            });
    assertThat(r.get(0).state()).isEqualTo(JobState.FAILED);
    assertThat(r.get(0).quarantined()).isFalse();
    assertThat(get(id).state()).isEqualTo(JobState.FAILED);
  }

  @Test
  void completion_racing_the_rescuer_leaves_one_outcome() throws Exception {
    int n = 40;
    List<NewJob> batch = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      batch.add(job("race"));
    }
    store.enqueue(batch);
    List<ClaimedJob> claimed = store.claim("race", n, "n1", Duration.ofSeconds(1));
    assertThat(claimed).hasSize(n);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> store.now().isAfter(claimed.get(0).job().startedAt().plusMillis(1200)));
    JobStore other = secondStore();
    CountDownLatch go = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    Future<Set<Long>> completing =
        pool.submit(
            () -> {
              go.await();
              List<Completion> cs = new ArrayList<>();
              for (ClaimedJob c : claimed) {
                cs.add(Completion.succeeded(c.job().id(), c.fence(), null));
              }
              return store.complete(cs);
            });
    Future<List<Rescue>> rescuing =
        pool.submit(
            () -> {
              go.await();
              return other.rescueExpired(3, 1000);
            });
    go.countDown();
    Set<Long> rejected = completing.get(30, TimeUnit.SECONDS);
    List<Rescue> rescued = rescuing.get(30, TimeUnit.SECONDS);
    pool.shutdownNow();
    Set<Long> rescuedIds = new HashSet<>();
    rescued.forEach(r -> rescuedIds.add(r.id()));
    assertThat(rejected).isEqualTo(rescuedIds);
    for (ClaimedJob c : claimed) {
      Job j = get(c.job().id());
      if (rescuedIds.contains(j.id())) {
        assertThat(j.state()).isEqualTo(JobState.RETRYING);
        assertThat(j.attempt()).isEqualTo(1);
      } else {
        assertThat(j.state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(j.rescues()).isZero();
      }
    }
  }

  @Test
  void manual_retry_racing_a_rescue_leaves_one_attempt() throws Exception {
    long id = enqueueOne(job("q"));
    ClaimedJob c = store.claim("q", 1, "n1", Duration.ofSeconds(1)).get(0);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> store.now().isAfter(c.job().startedAt().plusMillis(1200)));
    JobStore other = secondStore();
    ExecutorService pool = Executors.newFixedThreadPool(2);
    CountDownLatch go = new CountDownLatch(1);
    Future<Set<Long>> failing =
        pool.submit(
            () -> {
              go.await();
              return store.complete(
                  List.of(Completion.retry(id, c.fence(), store.now(), err(1, "boom"))));
            });
    Future<List<Rescue>> rescuing =
        pool.submit(
            () -> {
              go.await();
              return other.rescueExpired(3, 10);
            });
    go.countDown();
    boolean retried = failing.get(30, TimeUnit.SECONDS).isEmpty();
    boolean rescued = !rescuing.get(30, TimeUnit.SECONDS).isEmpty();
    pool.shutdownNow();
    assertThat(retried ^ rescued).as("exactly one of retry and rescue wins").isTrue();
    Job j = get(id);
    assertThat(j.state()).isEqualTo(JobState.RETRYING);
    assertThat(j.attempt()).isEqualTo(1);
    assertThat(j.errors()).hasSize(1);
    await().atMost(Duration.ofSeconds(10)).until(() -> !store.claim("q", 1, "n1", LEASE).isEmpty());
    assertThat(get(id).attempt()).isEqualTo(2);
  }

  // ------------------------------------------------------------------ attempts

  /**
   * Replaces job {@code id}'s stored error history with {@code json} exactly as an older Errand
   * wrote it. Stores that keep no stored form (the memory store keeps objects) skip the tests that
   * need it.
   */
  protected void writeStoredErrors(long id, String json) throws Exception {
    Assumptions.abort(getClass().getSimpleName() + " keeps no stored form of the error history");
  }

  /** An error whose times are nonsense: the store must replace them with its own. */
  protected static AttemptError errWithForeignTimes(int attempt, String kind, String msg) {
    return new AttemptError(attempt, Instant.EPOCH, Instant.EPOCH, kind, msg, "at x");
  }

  /** Claims the job of {@code queue} as soon as it is due. */
  protected ClaimedJob claimWhenDue(String queue) {
    List<ClaimedJob> claimed = new ArrayList<>();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> {
              claimed.addAll(store.claim(queue, 1, "n1", LEASE));
              return !claimed.isEmpty();
            });
    return claimed.get(0);
  }

  @Test
  void job_failing_twice_then_succeeding_has_three_timed_attempts_in_order() {
    long id = enqueueOne(job("q"));
    List<ClaimedJob> claims = new ArrayList<>();
    for (int attempt = 1; attempt <= 2; attempt++) {
      ClaimedJob c = claimWhenDue("q");
      claims.add(c);
      assertThat(c.job().attempts())
          .last()
          .satisfies(
              a -> {
                assertThat(a.outcome()).isEqualTo(Attempt.Outcome.RUNNING);
                assertThat(a.startedAt()).isEqualTo(c.job().startedAt());
                assertThat(a.finishedAt()).isNull();
                assertThat(a.duration()).isNull();
              });
      assertThat(
              store.complete(
                  List.of(
                      Completion.retry(
                          id,
                          c.fence(),
                          store.now(),
                          errWithForeignTimes(attempt, "error", "failure " + attempt)))))
          .isEmpty();
    }
    ClaimedJob last = claimWhenDue("q");
    claims.add(last);
    assertThat(store.complete(List.of(Completion.succeeded(id, last.fence(), null)))).isEmpty();

    Job j = get(id);
    List<Attempt> attempts = j.attempts();
    assertThat(attempts).extracting(Attempt::number).containsExactly(1, 2, 3);
    assertThat(attempts)
        .extracting(Attempt::outcome)
        .containsExactly(Attempt.Outcome.FAILED, Attempt.Outcome.FAILED, Attempt.Outcome.SUCCEEDED);
    assertThat(attempts.get(0).error().message()).isEqualTo("failure 1");
    assertThat(attempts.get(1).error().message()).isEqualTo("failure 2");
    assertThat(attempts.get(2).error()).isNull();
    for (int i = 0; i < 3; i++) {
      assertThat(attempts.get(i).startedAt())
          .as("attempt %s starts at its claim, on the store's clock", i + 1)
          .isEqualTo(claims.get(i).job().startedAt());
    }
    assertThat(attempts.get(2).finishedAt()).isEqualTo(j.finishedAt());
    AttemptAssertions.assertTimedInOrder(attempts);
    assertThat(j.errors()).extracting(AttemptError::startedAt).doesNotContainNull();
    assertThat(j.errors())
        .allSatisfy(
            e -> assertThat(e.duration()).isEqualTo(Duration.between(e.startedAt(), e.at())));
  }

  @Test
  void timed_out_attempt_is_recorded_with_its_start_and_end() {
    long id = enqueueOne(new NewJob("t", "q", "{}", 0, 1, Instant.now(), null, Set.of(), null));
    ClaimedJob c = claimOne("q");
    store.complete(
        List.of(
            Completion.fail(
                id, c.fence(), errWithForeignTimes(1, "timeout", "timed out after PT1S"))));
    Job j = get(id);
    assertThat(j.state()).isEqualTo(JobState.FAILED);
    assertThat(j.attempts())
        .singleElement()
        .satisfies(
            a -> {
              assertThat(a.outcome()).isEqualTo(Attempt.Outcome.TIMED_OUT);
              assertThat(a.error().kind()).isEqualTo("timeout");
              assertThat(a.startedAt()).isEqualTo(c.job().startedAt());
              assertThat(a.finishedAt()).isEqualTo(j.finishedAt());
            });
    AttemptAssertions.assertTimedInOrder(j.attempts());
  }

  @Test
  void rescued_attempt_ends_when_it_was_rescued_and_the_next_one_follows() {
    long id = enqueueOne(job("q"));
    ClaimedJob c = store.claim("q", 1, "dead-node", Duration.ofSeconds(1)).get(0);
    await().atMost(Duration.ofSeconds(10)).until(() -> !store.rescueExpired(3, 100).isEmpty());
    Job rescued = get(id);
    assertThat(rescued.attempts())
        .singleElement()
        .satisfies(
            a -> {
              assertThat(a.outcome()).isEqualTo(Attempt.Outcome.RESCUED);
              assertThat(a.error().kind()).isEqualTo("rescued");
              assertThat(a.error().message()).contains("dead-node");
              assertThat(a.startedAt()).isEqualTo(c.job().startedAt());
              assertThat(a.finishedAt())
                  .as("rescued only once the lease had expired")
                  .isAfter(c.job().leaseUntil());
            });
    ClaimedJob next = claimWhenDue("q");
    store.complete(List.of(Completion.succeeded(id, next.fence(), null)));
    Job j = get(id);
    assertThat(j.attempts())
        .extracting(Attempt::outcome)
        .containsExactly(Attempt.Outcome.RESCUED, Attempt.Outcome.SUCCEEDED);
    AttemptAssertions.assertTimedInOrder(j.attempts());
  }

  @Test
  void cancelled_running_attempt_ends_when_it_was_cancelled() {
    long id = enqueueOne(job("q"));
    ClaimedJob c = claimOne("q");
    assertThat(store.cancel(id)).isTrue();
    Job j = get(id);
    assertThat(j.attempts())
        .singleElement()
        .satisfies(
            a -> {
              assertThat(a.outcome()).isEqualTo(Attempt.Outcome.CANCELLED);
              assertThat(a.startedAt()).isEqualTo(c.job().startedAt());
              assertThat(a.finishedAt()).isEqualTo(j.finishedAt());
              assertThat(a.error()).isNull();
            });
    AttemptAssertions.assertTimedInOrder(j.attempts());
  }

  @Test
  void snoozed_and_released_runs_are_not_attempts() {
    long id = enqueueOne(job("q"));
    ClaimedJob c1 = claimOne("q");
    store.complete(List.of(Completion.snooze(id, c1.fence(), store.now())));
    assertThat(get(id).attempts()).isEmpty();
    ClaimedJob c2 = claimWhenDue("q");
    store.complete(List.of(Completion.release(id, c2.fence())));
    assertThat(get(id).attempts()).isEmpty();
    ClaimedJob c3 = claimWhenDue("q");
    store.complete(List.of(Completion.succeeded(id, c3.fence(), null)));
    assertThat(get(id).attempts())
        .singleElement()
        .satisfies(
            a -> {
              assertThat(a.number()).isEqualTo(1);
              assertThat(a.startedAt()).isEqualTo(c3.job().startedAt());
            });
  }

  @Test
  void error_stored_by_an_older_errand_without_a_start_reads_with_an_unknown_duration()
      throws Exception {
    long id = enqueueOne(job("q"));
    ClaimedJob c1 = claimOne("q");
    store.complete(
        List.of(Completion.retry(id, c1.fence(), store.now(), err(1, "before the upgrade"))));
    writeStoredErrors(
        id,
        "[{\"attempt\":1,\"at\":\"2026-01-02T03:04:05.123456Z\",\"kind\":\"error\","
            + "\"message\":\"before the upgrade\",\"stackTrace\":\"at x\"}]");
    Job old = get(id);
    assertThat(old.errors())
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.startedAt()).isNull();
              assertThat(e.at()).isEqualTo(Instant.parse("2026-01-02T03:04:05.123456Z"));
              assertThat(e.message()).isEqualTo("before the upgrade");
              assertThat(e.duration()).isNull();
            });
    ClaimedJob c2 = claimWhenDue("q");
    store.complete(List.of(Completion.fail(id, c2.fence(), err(2, "after the upgrade"))));
    Job j = get(id);
    assertThat(j.attempts()).extracting(Attempt::number).containsExactly(1, 2);
    assertThat(j.attempts().get(0).startedAt()).isNull();
    assertThat(j.attempts().get(0).duration()).isNull();
    assertThat(j.attempts().get(1).startedAt()).isEqualTo(c2.job().startedAt());
    AttemptAssertions.assertTimedInOrder(j.attempts().subList(1, 2));
  }

  // ------------------------------------------------------------------ management

  @Test
  void failed_job_can_be_retried_by_hand_with_one_more_attempt() {
    long id = enqueueOne(new NewJob("t", "q", "{}", 0, 1, Instant.now(), null, Set.of(), null));
    assertThat(store.retry(id)).as("queued jobs are not retried").isFalse();
    ClaimedJob c = claimOne("q");
    store.complete(List.of(Completion.fail(id, c.fence(), err(1, "x"))));
    assertThat(store.retry(id)).isTrue();
    Job j = get(id);
    assertThat(j.state()).isEqualTo(JobState.QUEUED);
    assertThat(j.maxAttempts()).isEqualTo(2);
    assertThat(j.finishedAt()).isNull();
    assertThat(claimOne("q").job().attempt()).isEqualTo(2);
  }

  @Test
  void cancel_stops_a_live_job_and_rejects_its_worker() {
    long waiting = enqueueOne(job("q"));
    assertThat(store.cancel(waiting)).isTrue();
    assertThat(get(waiting).state()).isEqualTo(JobState.CANCELLED);
    assertThat(store.cancel(waiting)).isFalse();
    long running = enqueueOne(job("q"));
    ClaimedJob c = claimOne("q");
    assertThat(store.cancel(running)).isTrue();
    assertThat(store.complete(List.of(Completion.succeeded(running, c.fence(), null))))
        .containsExactly(running);
    assertThat(store.heartbeat(List.of(new LeaseRef(running, c.fence(), null)), LEASE))
        .containsExactly(running);
    assertThat(get(running).state()).isEqualTo(JobState.CANCELLED);
    assertThat(store.retry(running)).isTrue();
    assertThat(get(running).state()).isEqualTo(JobState.QUEUED);
  }

  @Test
  void cancelled_unique_job_frees_its_key_and_retry_refuses_while_another_holds_it() {
    long first = enqueueOne(withKey("q", "u"));
    store.cancel(first);
    EnqueueResult second = store.enqueue(List.of(withKey("q", "u"))).get(0);
    assertThat(second.created()).isTrue();
    assertThat(store.retry(first)).isFalse();
    assertThat(get(first).state()).isEqualTo(JobState.CANCELLED);
  }

  @Test
  void running_job_cannot_be_deleted_others_can() {
    long running = enqueueOne(job("q"));
    claimOne("q");
    long queued = enqueueOne(job("q"));
    assertThat(store.delete(running)).isFalse();
    assertThat(store.delete(queued)).isTrue();
    assertThat(store.find(queued)).isEmpty();
    assertThat(store.delete(queued)).isFalse();
  }

  @Test
  void list_filters_and_pages_newest_first() {
    List<Long> ids = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      ids.add(
          enqueueOne(
              new NewJob(
                  i % 2 == 0 ? "even" : "odd",
                  "q" + (i % 3),
                  "{}",
                  0,
                  3,
                  Instant.now(),
                  null,
                  i == 3 ? Set.of("vip", "x_y") : Set.of(),
                  null)));
    }
    JobPage p1 = store.list(JobQuery.all().limit(3));
    assertThat(p1.jobs()).extracting(Job::id).containsExactly(ids.get(6), ids.get(5), ids.get(4));
    JobPage p2 = store.list(JobQuery.all().limit(3).before(p1.nextCursor()));
    assertThat(p2.jobs()).extracting(Job::id).containsExactly(ids.get(3), ids.get(2), ids.get(1));
    JobPage p3 = store.list(JobQuery.all().limit(3).before(p2.nextCursor()));
    assertThat(p3.jobs()).extracting(Job::id).containsExactly(ids.get(0));
    assertThat(p3.nextCursor()).isNull();
    assertThat(store.list(JobQuery.all().type("even")).jobs()).hasSize(4);
    assertThat(store.list(JobQuery.all().queue("q1")).jobs())
        .extracting(Job::id)
        .containsExactly(ids.get(4), ids.get(1));
    assertThat(store.list(JobQuery.all().tag("vip")).jobs())
        .extracting(Job::id)
        .containsExactly(ids.get(3));
    assertThat(store.list(JobQuery.all().tag("x%y")).jobs()).isEmpty();
    assertThat(store.list(JobQuery.all().tag("x_y")).jobs()).hasSize(1);
    claimOne("q0");
    assertThat(store.list(JobQuery.all().states(JobState.RUNNING)).jobs()).hasSize(1);
    assertThat(store.list(JobQuery.all().states(JobState.QUEUED, JobState.RUNNING)).jobs())
        .hasSize(7);
  }

  @Test
  void list_filters_by_enqueue_time_range_start_inclusive_end_exclusive() {
    List<Job> all = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      all.add(store.find(enqueueOne(job("q"))).orElseThrow());
    }
    Instant first = all.get(0).createdAt();
    Instant last = all.get(3).createdAt();
    Instant middle = all.get(2).createdAt();
    assertThat(store.list(JobQuery.all().created(first, null)).jobs()).hasSize(4);
    assertThat(store.list(JobQuery.all().created(null, first)).jobs()).isEmpty();
    assertThat(store.list(JobQuery.all().created(last.plusMillis(1), null)).jobs()).isEmpty();
    assertThat(store.list(JobQuery.all().created(null, last.plusMillis(1))).jobs()).hasSize(4);
    List<Long> fromMiddle =
        all.stream()
            .filter(j -> !j.createdAt().isBefore(middle))
            .map(Job::id)
            .sorted(Collections.reverseOrder())
            .toList();
    assertThat(store.list(JobQuery.all().created(middle, null)).jobs())
        .extracting(Job::id)
        .containsExactlyElementsOf(fromMiddle);
    List<Long> beforeMiddle =
        all.stream()
            .filter(j -> j.createdAt().isBefore(middle))
            .map(Job::id)
            .sorted(Collections.reverseOrder())
            .toList();
    assertThat(store.list(JobQuery.all().created(first, middle)).jobs())
        .extracting(Job::id)
        .containsExactlyElementsOf(beforeMiddle);
    JobPage page = store.list(JobQuery.all().created(first, null).limit(3));
    assertThat(page.jobs()).hasSize(3);
    assertThat(
            store
                .list(JobQuery.all().created(first, null).limit(3).before(page.nextCursor()))
                .jobs())
        .extracting(Job::id)
        .containsExactly(all.get(0).id());
    assertThatThrownBy(() -> JobQuery.all().created(last, first.minusMillis(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("time range is empty");
  }

  @Test
  void counts_group_by_queue_type_and_state() {
    enqueueOne(job("a"));
    enqueueOne(job("a"));
    enqueueOne(job("b"));
    ClaimedJob c = claimOne("b");
    store.complete(List.of(Completion.succeeded(c.job().id(), c.fence(), null)));
    JobCounts counts = store.counts();
    assertThat(counts.byState().get(JobState.QUEUED)).isEqualTo(2);
    assertThat(counts.byState().get(JobState.SUCCEEDED)).isEqualTo(1);
    assertThat(counts.byQueue().get("a").get(JobState.QUEUED)).isEqualTo(2);
    assertThat(store.liveCounts().count(JobState.SUCCEEDED)).isZero();
    assertThat(store.liveCounts().count(JobState.QUEUED)).isEqualTo(2);
  }

  @Test
  void finished_stats_count_the_windows_finished_jobs_by_queue_and_type() {
    Instant before = store.now().minusSeconds(1);
    ClaimedJob ok = claimOne(queueWith(job("a")));
    store.complete(List.of(Completion.succeeded(ok.job().id(), ok.fence(), null)));
    ClaimedJob slow = claimOne(queueWith(job("a")));
    AttemptError timeout =
        new AttemptError(1, null, Instant.now(), "timeout", "timed out after PT0.1S", "at x");
    store.complete(
        List.of(
            Completion.retry(
                slow.job().id(), slow.fence(), Instant.now().minusSeconds(1), timeout)));
    ClaimedJob again = claimOne("a");
    assertThat(again.job().id()).isEqualTo(slow.job().id());
    store.complete(List.of(Completion.succeeded(again.job().id(), again.fence(), null)));
    ClaimedJob bad =
        claimOne(
            queueWith(
                new NewJob(
                    "u", "b", "{}", 0, 1, Instant.now().minusMillis(1), null, Set.of(), null)));
    store.complete(List.of(Completion.fail(bad.job().id(), bad.fence(), err(1, "no"))));
    enqueueOne(job("a")); // waiting: not finished
    ClaimedJob cancelled = claimOne(queueWith(job("c")));
    store.cancel(cancelled.job().id()); // cancelled is not finished work

    FinishedStats s = store.finishedStats(before, store.now().plusSeconds(1));
    FinishedStats.Row all = s.total();
    assertThat(all.finished()).isEqualTo(3);
    assertThat(all.succeeded()).isEqualTo(2);
    assertThat(all.failed()).isEqualTo(1);
    assertThat(all.retried()).isEqualTo(1);
    assertThat(all.timedOut()).isEqualTo(1);
    assertThat(all.timed()).isEqualTo(3);
    assertThat(all.maxDurationMillis()).isGreaterThanOrEqualTo(0);
    assertThat(all.totalDurationMillis()).isBetween(0L, all.maxDurationMillis() * 3);
    assertThat(s.byQueue().keySet()).containsExactly("a", "b");
    assertThat(s.byQueue().get("a").succeeded()).isEqualTo(2);
    assertThat(s.byType().get("u").failed()).isEqualTo(1);
    assertThat(s.rows())
        .extracting(FinishedStats.Row::queue, FinishedStats.Row::type)
        .containsExactlyInAnyOrder(tuple("a", "t"), tuple("b", "u"));

    assertThat(store.finishedStats(before.minusSeconds(7200), before.minusSeconds(3600)).rows())
        .as("a window before everything finished")
        .isEmpty();
  }

  @Test
  void finished_series_counts_each_step_as_finished_stats_counts_its_window() {
    // six finished jobs, a cancelled one and a waiting one; the steps are placed on the jobs' own
    // finish times so that the boundaries are exercised: a step's start is in it, its end is not
    List<Instant> finished = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      ClaimedJob c = claimOne(queueWith(job("s" + i)));
      store.complete(
          List.of(
              i % 3 == 2
                  ? Completion.fail(c.job().id(), c.fence(), err(1, "no"))
                  : Completion.succeeded(c.job().id(), c.fence(), null)));
      finished.add(get(c.job().id()).finishedAt());
    }
    store.cancel(claimOne(queueWith(job("sc"))).job().id());
    enqueueOne(job("sw"));
    Collections.sort(finished);
    Instant first = finished.get(1); // the earliest job lies before the first step
    Instant end = finished.get(5); // the latest one is the last step's inclusive end
    Duration span = Duration.between(first, end);
    Duration step = Duration.ofNanos(Math.max(1_000, span.toNanos() / 3 / 1_000 * 1_000));
    int count = (int) Math.max(1, Math.min(4, span.toNanos() / step.toNanos()));

    FinishedSeries series = store.finishedSeries(first, step, count, end);
    assertThat(series.points()).hasSize(count);
    long total = 0;
    for (int i = 0; i < count; i++) {
      FinishedSeries.Point p = series.points().get(i);
      Instant from = first.plus(step.multipliedBy(i));
      Instant to = i == count - 1 ? end : from.plus(step).minusNanos(1);
      FinishedStats.Row expected = store.finishedStats(from, to).total();
      assertThat(p.from()).isEqualTo(from);
      assertThat(tuple(p.succeeded(), p.failed()))
          .as("step %d [%s, %s]", i, from, to)
          .isEqualTo(tuple(expected.succeeded(), expected.failed()));
      total += p.finished();
    }
    assertThat(total).as("all but the earliest job").isEqualTo(5);

    FinishedSeries empty =
        store.finishedSeries(
            first.minusSeconds(7200), Duration.ofMinutes(10), 6, first.minusSeconds(3600));
    assertThat(empty.points()).hasSize(6).allMatch(p -> p.finished() == 0);
    assertThatThrownBy(() -> store.finishedSeries(first, Duration.ZERO, 3, end))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("positive");
    assertThatThrownBy(() -> store.finishedSeries(first, step, 0, end))
        .hasMessageContaining("1 to " + FinishedSeries.MAX_POINTS);
    assertThatThrownBy(() -> store.finishedSeries(end, step, 3, first))
        .hasMessageContaining("before its last step's start");
  }

  /** Enqueues {@code j} and returns its queue, for {@link #claimOne}. */
  private String queueWith(NewJob j) {
    enqueueOne(j);
    return j.queue();
  }

  @Test
  void prune_deletes_only_old_jobs_of_the_state_in_batches() {
    List<NewJob> batch = new ArrayList<>();
    IntStream.range(0, 25).forEach(i -> batch.add(job("q")));
    store.enqueue(batch);
    List<ClaimedJob> cs = store.claim("q", 25, "n", LEASE);
    List<Completion> done = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      done.add(Completion.succeeded(cs.get(i).job().id(), cs.get(i).fence(), null));
    }
    for (int i = 20; i < 25; i++) {
      done.add(Completion.fail(cs.get(i).job().id(), cs.get(i).fence(), err(1, "x")));
    }
    store.complete(done);
    long live = enqueueOne(job("q"));
    Instant cutoff = store.now().plusSeconds(1);
    assertThat(store.prune(JobState.SUCCEEDED, store.now().minusSeconds(3600), 100)).isZero();
    assertThat(store.prune(JobState.SUCCEEDED, cutoff, 8)).isEqualTo(8);
    assertThat(store.prune(JobState.SUCCEEDED, cutoff, 100)).isEqualTo(12);
    assertThat(store.counts().count(JobState.FAILED)).isEqualTo(5);
    assertThat(store.find(live)).isPresent();
  }

  @Test
  void nodes_register_heartbeat_and_are_removed() {
    Node n = new Node("node-a", "host", 42, Instant.now(), Instant.now(), Map.of("default", 8));
    store.heartbeatNode(n);
    store.heartbeatNode(n);
    assertThat(store.nodes())
        .singleElement()
        .satisfies(
            x -> {
              assertThat(x.id()).isEqualTo("node-a");
              assertThat(x.pid()).isEqualTo(42);
              assertThat(x.queues()).containsEntry("default", 8);
            });
    assertThat(store.pruneNodes(Duration.ofMinutes(5))).isZero();
    store.removeNode("node-a");
    assertThat(store.nodes()).isEmpty();
  }

  @Test
  void stale_nodes_are_pruned() {
    store.heartbeatNode(new Node("old", "h", 1, Instant.now(), Instant.now(), Map.of()));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> store.pruneNodes(Duration.ofMillis(200)) == 1);
    assertThat(store.nodes()).isEmpty();
  }

  @Test
  void find_all_returns_existing_jobs_only() {
    long a = enqueueOne(job("q"));
    long b = enqueueOne(job("q"));
    assertThat(store.findAll(List.of(a, b, 123_456_789L)))
        .extracting(Job::id)
        .containsExactlyInAnyOrder(a, b);
  }

  @Test
  void transactional_store_refuses_nothing_and_memory_store_says_why() {
    if (!store.supportsTransactions()) {
      assertThatThrownBy(() -> store.enqueue((java.sql.Connection) null, List.of(job("q"))))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("transaction");
    }
  }
}
