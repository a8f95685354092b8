package dev.errand.jdbc.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.errand.Enqueue;
import dev.errand.Errand;
import dev.errand.JobHandle;
import dev.errand.JobState;
import dev.errand.JobType;
import dev.errand.jdbc.PostgresJobStore;
import dev.errand.jdbc.cluster.WorkerMain.Work;
import java.sql.Connection;
import java.time.Duration;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Enqueue on the caller's connection: the job exists if and only if the caller's transaction
 * commits, and a committed job runs even when nothing was there to hear its wake-up.
 */
class ClusterTransactionalEnqueueTest extends ClusterTestSupport {
  /** Long enough that a prompt run cannot come from a periodic poll. */
  static final Duration NO_POLL = Duration.ofSeconds(60);

  @Test
  void commit_by_a_process_that_dies_at_once_runs_on_an_engine_started_after_it_died() {
    ChildJvm child =
        track(
            ChildJvm.start(
                "enqueuer", EnqueueThenDieMain.class, "--url", db.jdbcUrl(), "--n", "7"));
    assertThat(child.waitForExit(Duration.ofSeconds(60))).isEqualTo(137);
    long id = committedId(child);
    assertThat(
            TestSql.count(
                db.dataSource(),
                "SELECT count(*) FROM errand_jobs WHERE id = ? AND state = 'QUEUED'",
                id))
        .isEqualTo(1);

    // Nobody listened when the NOTIFY fired: only the new engine's own first claim can find it.
    long start = System.nanoTime();
    Errand worker = worker(NO_POLL).start();
    await("the job runs")
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(10))
        .until(() -> worker.job(id).orElseThrow().state() == JobState.SUCCEEDED);
    long nanos = System.nanoTime() - start;
    System.out.printf(
        "MEASURED tx-enqueue: enqueuer halted after commit; engine start->job"
            + " SUCCEEDED = %s (poll interval %s, so by its first claim)%n",
        TestSql.seconds(nanos), NO_POLL);
    assertThat(Duration.ofNanos(nanos)).isLessThan(NO_POLL);
    assertThat(
            TestSql.count(
                db.dataSource(),
                "SELECT count(*) FROM errand_test_runs WHERE job_id = ? AND n = 7",
                id))
        .isEqualTo(1);
  }

  @Test
  void delayed_job_whose_only_wake_up_died_with_its_enqueuer_runs_through_polling() {
    Duration poll = Duration.ofMillis(500);
    Errand worker = worker(poll).start();
    long delayMs = 1_000;
    // A delayed job sends no NOTIFY (it is not due yet); the enqueuing JVM would have woken its
    // own workers with a timer, and it dies. A running engine elsewhere must find it by polling.
    ChildJvm child =
        track(
            ChildJvm.start(
                "enqueuer",
                EnqueueThenDieMain.class,
                "--url",
                db.jdbcUrl(),
                "--n",
                "8",
                "--delay-ms",
                Long.toString(delayMs)));
    assertThat(child.waitForExit(Duration.ofSeconds(60))).isEqualTo(137);
    long id = committedId(child);
    await("the job runs")
        .atMost(Duration.ofSeconds(15))
        .pollInterval(Duration.ofMillis(10))
        .until(() -> worker.job(id).orElseThrow().state() == JobState.SUCCEEDED);
    var job = worker.job(id).orElseThrow();
    Duration dueToStart = Duration.between(job.runAt(), job.startedAt());
    System.out.printf(
        "MEASURED tx-enqueue: delayed job of a halted enqueuer: due->started = %s"
            + " (poll interval %s)%n",
        TestSql.seconds(dueToStart), poll);
    assertThat(dueToStart).isLessThan(poll.plusSeconds(2));
    assertThat(
            TestSql.count(
                db.dataSource(), "SELECT count(*) FROM errand_test_runs WHERE job_id = ?", id))
        .isEqualTo(1);
  }

  @Test
  void rollback_leaves_no_job_and_commit_runs_it_at_once_on_another_node() throws Exception {
    Errand worker = worker(NO_POLL).start();
    Errand producer =
        track(
            Errand.builder()
                .scheduler(false)
                .store(PostgresJobStore.create(db.newDataSource("producer")))
                .nodeId("producer")
                .build());
    JobType<Work> work = producer.register(WorkerMain.workType(db.dataSource(), "producer"));

    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      JobHandle rolledBack = producer.enqueue(c, work, new Work(1, 0), Enqueue.now());
      c.rollback();
      assertThat(producer.job(rolledBack.id())).as("job of a rolled-back transaction").isEmpty();

      JobHandle committed = producer.enqueue(c, work, new Work(2, 0), Enqueue.now());
      assertThat(producer.job(committed.id())).as("invisible before the commit").isEmpty();
      c.commit();
      long start = System.nanoTime();
      // The worker's first claim found nothing and it polls once a minute: only the NOTIFY sent
      // by the commit can wake it in time.
      await("the committed job runs")
          .atMost(Duration.ofSeconds(10))
          .pollInterval(Duration.ofMillis(5))
          .until(() -> producer.job(committed.id()).orElseThrow().state() == JobState.SUCCEEDED);
      long nanos = System.nanoTime() - start;
      System.out.printf(
          "MEASURED tx-enqueue: commit->SUCCEEDED on another node = %s%n", TestSql.seconds(nanos));
      assertThat(producer.job(rolledBack.id())).isEmpty();
    }
    DataSource ds = db.dataSource();
    assertThat(TestSql.states(ds)).containsExactly(Map.entry("SUCCEEDED", 1L));
    assertThat(TestSql.ids(ds, "SELECT n FROM errand_test_runs")).containsExactly(2L);
  }

  private Errand worker(Duration poll) {
    Errand e =
        track(
            Errand.builder()
                .scheduler(false)
                .store(PostgresJobStore.create(db.newDataSource("worker")))
                .nodeId("worker")
                .queue("default", 2)
                .pollInterval(poll)
                .build());
    e.register(WorkerMain.workType(db.newDataSource("worker-handlers"), "worker"));
    return e;
  }

  private static long committedId(ChildJvm child) {
    return child.output().stream()
        .filter(l -> l.startsWith("COMMITTED "))
        .map(l -> Long.parseLong(l.substring("COMMITTED ".length()).trim()))
        .findFirst()
        .orElseThrow(
            () -> new AssertionError("no COMMITTED line from " + child + ": " + child.output()));
  }
}
