package dev.errand;

import static org.assertj.core.api.Assertions.assertThat;

import dev.errand.spi.ClaimedJob;
import dev.errand.spi.JobStore;
import dev.errand.spi.Materialization;
import dev.errand.spi.MaterializeResult;
import dev.errand.spi.NewJob;
import dev.errand.spi.ScheduleStore;
import dev.errand.spi.ScheduleWrite;
import dev.errand.spi.StoredSchedule;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The conformance suite of {@link ScheduleStore}: every store runs it against a real database
 * (memory, a SQLite file, PostgreSQL). {@link #secondStore()} is another instance on the same
 * database, like another node.
 */
public abstract class ScheduleStoreContract {
  protected JobStore store;
  private ScheduleStore schedules;

  /** A fresh, empty, not yet opened store. */
  protected abstract JobStore newStore() throws Exception;

  /** Another instance on the same database as {@link #store}, opened. */
  protected abstract JobStore secondStore() throws Exception;

  @BeforeEach
  void openStore() throws Exception {
    store = newStore();
    store.open();
    schedules = store.schedules();
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  private Instant now() {
    return store.now().truncatedTo(ChronoUnit.MILLIS);
  }

  private static StoredSchedule definition(String name, String payload, Instant cursor) {
    return new StoredSchedule(
        name,
        "t",
        "default",
        0,
        3,
        payload,
        Schedule.every(Duration.ofMinutes(1)),
        3,
        Misfire.runOnce(),
        false,
        cursor,
        null,
        null,
        null);
  }

  private static NewJob occurrence(String name, Instant fireTime) {
    return new NewJob(
        "t",
        "default",
        "{}",
        0,
        3,
        fireTime,
        "errand:schedule:" + name + "@" + fireTime,
        Set.of(),
        name);
  }

  private StoredSchedule stored(String name) {
    return schedules.find(name).orElseThrow();
  }

  /** Materializes {@code fireTimes} of {@code name} from its current cursor. */
  private MaterializeResult materialize(String name, Instant... fireTimes) {
    StoredSchedule s = stored(name);
    List<NewJob> jobs = new ArrayList<>();
    for (Instant f : fireTimes) {
      jobs.add(occurrence(name, f));
    }
    Instant through =
        fireTimes.length == 0 ? s.materializedThrough() : fireTimes[fireTimes.length - 1];
    return schedules
        .materialize(
            List.of(
                new Materialization(
                    name,
                    s.materializedThrough(),
                    through,
                    fireTimes.length == 0 ? null : fireTimes[0],
                    jobs,
                    List.of())))
        .get(0);
  }

  private JobState state(long id) {
    return store.find(id).orElseThrow().state();
  }

  @Test
  void a_new_schedule_is_stored_as_given_and_an_unchanged_definition_changes_nothing() {
    Instant cursor = now();
    assertThat(schedules.upsert(definition("report", "{}", cursor)))
        .isEqualTo(new ScheduleWrite(true, false, 0));
    StoredSchedule s = stored("report");
    assertThat(s.schedule()).isEqualTo(Schedule.every(Duration.ofMinutes(1)));
    assertThat(s.misfire()).isEqualTo(Misfire.runOnce());
    assertThat(s.materializedThrough()).isEqualTo(cursor);
    assertThat(s.refillAt()).isNull();
    assertThat(s.paused()).isFalse();
    assertThat(s.createdAt()).isNotNull();
    MaterializeResult m = materialize("report", cursor.plusSeconds(60));
    assertThat(m.applied()).isTrue();

    assertThat(schedules.upsert(definition("report", "{}", cursor.minusSeconds(3600))))
        .isEqualTo(new ScheduleWrite(false, false, 0));
    assertThat(stored("report").materializedThrough()).isEqualTo(cursor.plusSeconds(60));
    assertThat(state(m.enqueued().get(0).id())).isEqualTo(JobState.SCHEDULED);
    assertThat(schedules.list()).extracting(StoredSchedule::name).containsExactly("report");
    assertThat(schedules.find("nope")).isEmpty();
  }

  @Test
  void a_changed_definition_cancels_occurrences_after_now_and_moves_the_cursor_back_to_now() {
    Instant now = now();
    schedules.upsert(definition("report", "{}", now.minusSeconds(120)));
    MaterializeResult m =
        materialize("report", now.minusSeconds(60), now.plusSeconds(600), now.plusSeconds(660));
    ScheduleWrite w = schedules.upsert(definition("report", "{\"v\":2}", now));
    assertThat(w).isEqualTo(new ScheduleWrite(false, true, 2));
    assertThat(state(m.enqueued().get(0).id())).isEqualTo(JobState.QUEUED);
    assertThat(state(m.enqueued().get(1).id())).isEqualTo(JobState.CANCELLED);
    assertThat(state(m.enqueued().get(2).id())).isEqualTo(JobState.CANCELLED);
    StoredSchedule s = stored("report");
    assertThat(s.payload()).isEqualTo("{\"v\":2}");
    assertThat(s.materializedThrough()).isBetween(now.minusSeconds(1), store.now());
    assertThat(s.refillAt()).isNull();
  }

  @Test
  void materialize_enqueues_occurrences_with_the_schedule_id_and_lists_them_in_run_order() {
    Instant now = now();
    schedules.upsert(definition("report", "{}", now));
    MaterializeResult m =
        materialize("report", now.plusSeconds(60), now.plusSeconds(120), now.plusSeconds(180));
    assertThat(m.applied()).isTrue();
    assertThat(m.enqueued()).hasSize(3).allMatch(r -> r.created());
    List<Job> occ = schedules.occurrences("report", 10);
    assertThat(occ)
        .extracting(Job::runAt)
        .containsExactly(now.plusSeconds(60), now.plusSeconds(120), now.plusSeconds(180));
    assertThat(occ)
        .allSatisfy(
            j -> {
              assertThat(j.scheduleId()).isEqualTo("report");
              assertThat(j.state()).isEqualTo(JobState.SCHEDULED);
              assertThat(j.uniqueKey()).startsWith("errand:schedule:report@");
            });
    assertThat(schedules.occurrences("report", 2)).hasSize(2);
    StoredSchedule s = stored("report");
    assertThat(s.materializedThrough()).isEqualTo(now.plusSeconds(180));
    assertThat(s.refillAt()).isEqualTo(now.plusSeconds(60));
  }

  @Test
  void materialize_with_a_stale_cursor_writes_nothing() {
    Instant now = now();
    schedules.upsert(definition("report", "{}", now));
    Materialization step =
        new Materialization(
            "report",
            now,
            now.plusSeconds(60),
            now.plusSeconds(60),
            List.of(occurrence("report", now.plusSeconds(60))),
            List.of());
    assertThat(schedules.materialize(List.of(step)).get(0).applied()).isTrue();
    MaterializeResult again = schedules.materialize(List.of(step)).get(0);
    assertThat(again).isEqualTo(MaterializeResult.NOT_APPLIED);
    assertThat(schedules.occurrences("report", 10)).hasSize(1);
  }

  @Test
  void a_fire_time_whose_job_finished_and_was_pruned_is_not_materialized_again() {
    Instant now = now();
    schedules.upsert(definition("report", "{}", now.minusSeconds(61)));
    Instant fire = now.minusSeconds(60);
    materialize("report", fire);
    ClaimedJob c = store.claim("default", 10, "n1", Duration.ofSeconds(30)).get(0);
    store.complete(List.of(dev.errand.spi.Completion.succeeded(c.job().id(), c.fence(), null)));
    assertThat(store.prune(JobState.SUCCEEDED, store.now().plusSeconds(1), 10)).isEqualTo(1);
    Materialization stale =
        new Materialization(
            "report",
            now.minusSeconds(61),
            fire,
            null,
            List.of(occurrence("report", fire)),
            List.of());
    assertThat(schedules.materialize(List.of(stale)).get(0).applied()).isFalse();
    assertThat(schedules.occurrences("report", 10)).isEmpty();
  }

  @Test
  void a_paused_or_deleted_schedule_is_not_materialized() {
    Instant now = now();
    schedules.upsert(definition("paused", "{}", now));
    schedules.upsert(definition("deleted", "{}", now));
    schedules.setPaused("paused", true);
    Instant pausedCursor = stored("paused").materializedThrough();
    schedules.delete("deleted");
    List<MaterializeResult> r =
        schedules.materialize(
            List.of(
                new Materialization(
                    "paused",
                    pausedCursor,
                    now.plusSeconds(60),
                    null,
                    List.of(occurrence("paused", now.plusSeconds(60))),
                    List.of()),
                new Materialization(
                    "deleted",
                    now,
                    now.plusSeconds(60),
                    null,
                    List.of(occurrence("deleted", now.plusSeconds(60))),
                    List.of())));
    assertThat(r).containsExactly(MaterializeResult.NOT_APPLIED, MaterializeResult.NOT_APPLIED);
    assertThat(schedules.occurrences("paused", 10)).isEmpty();
    assertThat(schedules.occurrences("deleted", 10)).isEmpty();
  }

  @Test
  void delete_cancels_waiting_occurrences_reports_how_many_and_leaves_running_ones() {
    Instant now = now();
    schedules.upsert(definition("report", "{}", now.minusSeconds(61)));
    MaterializeResult m =
        materialize("report", now.minusSeconds(60), now.plusSeconds(60), now.plusSeconds(120));
    ClaimedJob running = store.claim("default", 10, "n1", Duration.ofSeconds(30)).get(0);
    long other =
        store
            .enqueue(
                List.of(
                    new NewJob(
                        "t", "default", "{}", 0, 3, now.plusSeconds(60), null, Set.of(), null)))
            .get(0)
            .id();
    assertThat(schedules.delete("report")).hasValue(2);
    assertThat(schedules.find("report")).isEmpty();
    assertThat(state(running.job().id())).isEqualTo(JobState.RUNNING);
    assertThat(state(m.enqueued().get(1).id())).isEqualTo(JobState.CANCELLED);
    assertThat(state(m.enqueued().get(2).id())).isEqualTo(JobState.CANCELLED);
    assertThat(state(other)).isEqualTo(JobState.SCHEDULED);
    assertThat(schedules.delete("report")).isEmpty();
  }

  @Test
  void pause_cancels_future_occurrences_and_resume_fires_from_now_on() {
    Instant now = now();
    schedules.upsert(definition("report", "{}", now));
    MaterializeResult m = materialize("report", now.plusSeconds(60), now.plusSeconds(120));
    assertThat(schedules.setPaused("report", true)).hasValue(2);
    assertThat(schedules.setPaused("report", true)).hasValue(0);
    StoredSchedule paused = stored("report");
    assertThat(paused.paused()).isTrue();
    assertThat(paused.materializedThrough()).isBetween(now.minusSeconds(1), store.now());
    assertThat(m.enqueued())
        .allSatisfy(r -> assertThat(state(r.id())).isEqualTo(JobState.CANCELLED));
    assertThat(schedules.due(store.now().plusSeconds(3600), "", 10)).isEmpty();

    assertThat(schedules.setPaused("report", false)).hasValue(0);
    StoredSchedule resumed = stored("report");
    assertThat(resumed.paused()).isFalse();
    assertThat(resumed.refillAt()).isNull();
    assertThat(resumed.materializedThrough()).isAfterOrEqualTo(paused.materializedThrough());
    assertThat(schedules.setPaused("nope", true)).isEmpty();
  }

  @Test
  void due_lists_unpaused_schedules_whose_refill_time_passed_by_name_in_pages() {
    Instant now = now();
    for (String n : List.of("c", "a", "b", "d")) {
      schedules.upsert(definition(n, "{}", now));
    }
    materialize("d", now.plusSeconds(3600));
    assertThat(schedules.due(now, "", 10))
        .extracting(StoredSchedule::name)
        .containsExactly("a", "b", "c");
    assertThat(schedules.due(now, "", 2))
        .extracting(StoredSchedule::name)
        .containsExactly("a", "b");
    assertThat(schedules.due(now, "b", 2)).extracting(StoredSchedule::name).containsExactly("c");
    assertThat(schedules.due(now.plusSeconds(3600), "", 10))
        .extracting(StoredSchedule::name)
        .containsExactly("a", "b", "c", "d");
  }

  @Test
  void a_misfire_step_cancels_only_the_listed_waiting_occurrences_of_its_schedule() {
    Instant now = now();
    schedules.upsert(definition("a", "{}", now.minusSeconds(300)));
    schedules.upsert(definition("b", "{}", now.minusSeconds(300)));
    MaterializeResult a = materialize("a", now.minusSeconds(240), now.minusSeconds(180));
    MaterializeResult b = materialize("b", now.minusSeconds(240));
    long a1 = a.enqueued().get(0).id();
    long a2 = a.enqueued().get(1).id();
    long b1 = b.enqueued().get(0).id();
    StoredSchedule s = stored("a");
    MaterializeResult r =
        schedules
            .materialize(
                List.of(
                    new Materialization(
                        "a",
                        s.materializedThrough(),
                        s.materializedThrough(),
                        null,
                        List.of(),
                        List.of(a2, b1))))
            .get(0);
    assertThat(r.applied()).isTrue();
    assertThat(r.cancelled()).isEqualTo(1);
    assertThat(state(a1)).isEqualTo(JobState.QUEUED);
    assertThat(state(a2)).isEqualTo(JobState.CANCELLED);
    assertThat(state(b1)).isEqualTo(JobState.QUEUED);
  }

  @Test
  void orphaned_occurrences_are_cancelled_and_others_are_left_alone() {
    Instant now = now();
    schedules.upsert(definition("kept", "{}", now));
    materialize("kept", now.plusSeconds(60));
    long orphan = store.enqueue(List.of(occurrence("gone", now.plusSeconds(60)))).get(0).id();
    long plain =
        store
            .enqueue(
                List.of(
                    new NewJob(
                        "t", "default", "{}", 0, 3, now.plusSeconds(60), null, Set.of(), null)))
            .get(0)
            .id();
    assertThat(schedules.cancelOrphans(100)).isEqualTo(1);
    assertThat(state(orphan)).isEqualTo(JobState.CANCELLED);
    assertThat(state(plain)).isEqualTo(JobState.SCHEDULED);
    assertThat(schedules.occurrences("kept", 10))
        .singleElement()
        .extracting(Job::state)
        .isEqualTo(JobState.SCHEDULED);
    assertThat(schedules.cancelOrphans(100)).isZero();
  }

  @Test
  void concurrent_steps_from_the_same_cursor_on_two_nodes_apply_exactly_once() throws Exception {
    Instant now = now();
    schedules.upsert(definition("race", "{}", now));
    ScheduleStore other = secondStore().schedules();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      for (int round = 0; round < 20; round++) {
        Instant cursor = stored("race").materializedThrough();
        Instant fire = cursor.plusSeconds(60);
        Materialization step =
            new Materialization(
                "race", cursor, fire, fire, List.of(occurrence("race", fire)), List.of());
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Boolean>> results = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
          ScheduleStore s = t % 2 == 0 ? schedules : other;
          Callable<Boolean> c =
              () -> {
                go.await();
                return s.materialize(List.of(step)).get(0).applied();
              };
          results.add(pool.submit(c));
        }
        go.countDown();
        int applied = 0;
        for (Future<Boolean> f : results) {
          applied += f.get() ? 1 : 0;
        }
        assertThat(applied).as("round %d", round).isEqualTo(1);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(schedules.occurrences("race", 100)).hasSize(20);
  }
}
