package dev.errand.jdbc.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.errand.AttemptError;
import dev.errand.Enqueue;
import dev.errand.Errand;
import dev.errand.Job;
import dev.errand.JobType;
import dev.errand.jdbc.PostgresJobStore;
import dev.errand.jdbc.cluster.WorkerMain.Work;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * A worker JVM is killed with {@code kill -9} in the middle of a drain; another node finishes.
 *
 * <p>What the killed JVM had in flight is exactly the set of jobs the database still shows RUNNING
 * under its node id right after the kill. Only jobs of that set can run twice, and only those its
 * handlers had started: every other job was either never claimed by the killed node, claimed ahead
 * but not started, or committed final by it. The engine bounds that set: at most {@code
 * concurrency} handlers run at once; a {@code QueueWorker} also claims ahead of its free slots (at
 * most {@code claimBatch}, by its handlers' pace); a slot is freed when its handler returns, before
 * the completer has committed the outcome; and a queue stops claiming while it holds {@code
 * concurrency + claimBatch + completionBatch} jobs. So at most 8 + 8 + 8 here. The test records
 * which handlers had returned ({@code errand_test_runs.done_at}) to report each part.
 */
class ClusterCrashTest extends ClusterTestSupport {
  static final int JOBS = 3_000;
  static final int JOB_MS = 3;
  static final int CONCURRENCY = 8;

  /** What the victim may claim ahead of its free slots. */
  static final int CLAIM_BATCH = 8;

  /** With the two above, bounds what the victim holds while its outcomes wait to be written. */
  static final int COMPLETION_BATCH = 8;

  static final int HELD_BOUND = CONCURRENCY + CLAIM_BATCH + COMPLETION_BATCH;
  static final long LEASE_MS = 2_000;
  static final int KILL_AFTER_RUNS = 400;

  @Test
  void worker_killed_mid_drain_loses_nothing_and_reruns_only_what_it_had_in_flight() {
    DataSource ds = db.dataSource();
    Errand producer =
        track(
            Errand.builder()
                .scheduler(false)
                .store(PostgresJobStore.create(db.newDataSource("producer")))
                .nodeId("producer")
                .build());
    JobType<Work> work = producer.register(WorkerMain.workType(ds, "producer"));
    for (int from = 0; from < JOBS; from += 1_000) {
      List<Work> batch = new ArrayList<>();
      for (int n = from; n < from + 1_000; n++) {
        batch.add(new Work(n, JOB_MS));
      }
      producer.enqueueAll(work, batch, Enqueue.now());
    }

    ChildJvm victim =
        track(
            ChildJvm.worker(
                "victim",
                db.jdbcUrl(),
                CONCURRENCY,
                LEASE_MS,
                3,
                "--claim-batch",
                Integer.toString(CLAIM_BATCH),
                "--completion-batch",
                Integer.toString(COMPLETION_BATCH)));
    await("the victim has run " + KILL_AFTER_RUNS + " jobs")
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(10))
        .until(() -> TestSql.count(ds, "SELECT count(*) FROM errand_test_runs") >= KILL_AFTER_RUNS);
    Instant killedAt = Instant.now();
    long killNanos = System.nanoTime();
    victim.kill();

    // What it held: RUNNING under its node id. Split by whether the handler had returned.
    Set<Long> inFlight =
        TestSql.ids(
            ds, "SELECT id FROM errand_jobs WHERE state = 'RUNNING' AND node_id = 'victim'");
    Set<Long> handlerRunning =
        TestSql.ids(
            ds,
            "SELECT j.id FROM errand_jobs j"
                + " JOIN errand_test_runs r ON r.job_id = j.id AND r.node = 'victim'"
                + " WHERE j.state = 'RUNNING' AND j.node_id = 'victim' AND r.done_at IS NULL");
    Set<Long> awaitingCompletion =
        TestSql.ids(
            ds,
            "SELECT j.id FROM errand_jobs j"
                + " JOIN errand_test_runs r ON r.job_id = j.id AND r.node = 'victim'"
                + " WHERE j.state = 'RUNNING' AND j.node_id = 'victim' AND r.done_at IS NOT NULL");
    long ranBeforeKill = TestSql.count(ds, "SELECT count(*) FROM errand_test_runs");
    assertThat(handlerRunning.size())
        .as("handlers running at the kill (QueueWorker claims at most" + " its free slots)")
        .isLessThanOrEqualTo(CONCURRENCY);
    assertThat(inFlight)
        .isNotEmpty()
        .containsAll(handlerRunning)
        .containsAll(awaitingCompletion)
        .as(
            "jobs held by the victim (a queue stops claiming at concurrency + claimBatch +"
                + " completionBatch)")
        .hasSizeLessThanOrEqualTo(HELD_BOUND);

    DataSource rescuerPool = db.newDataSource("rescuer");
    Errand rescuer =
        track(
            Errand.builder()
                .scheduler(false)
                .store(PostgresJobStore.create(rescuerPool))
                .nodeId("rescuer")
                .queue("default", CONCURRENCY)
                .lease(Duration.ofMillis(LEASE_MS))
                .rescueInterval(Duration.ofMillis(250))
                .pollInterval(Duration.ofMillis(250))
                .build());
    rescuer.register(WorkerMain.workType(db.newDataSource("rescuer-handlers"), "rescuer"));
    rescuer.start();

    await("no job RUNNING under the dead node once its leases expired")
        .atMost(Duration.ofMillis(LEASE_MS).plusSeconds(15))
        .pollInterval(Duration.ofMillis(50))
        .until(
            () ->
                TestSql.count(
                        ds,
                        "SELECT count(*) FROM errand_jobs WHERE state = 'RUNNING' AND node_id = 'victim'")
                    == 0);
    long noneRunningNanos = System.nanoTime() - killNanos;
    await("every job SUCCEEDED")
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(50))
        .until(
            () ->
                TestSql.count(ds, "SELECT count(*) FROM errand_jobs WHERE state = 'SUCCEEDED'")
                    == JOBS);

    assertThat(TestSql.states(ds)).containsExactly(Map.entry("SUCCEEDED", (long) JOBS));
    Map<Long, Integer> runs = TestSql.runsPerJob(ds);
    assertThat(runs).as("jobs that ran").hasSize(JOBS);
    Set<Long> duplicates = new HashSet<>();
    runs.forEach(
        (id, n) -> {
          if (n > 1) {
            duplicates.add(id);
          }
        });
    assertThat(runs.values()).allSatisfy(n -> assertThat(n).as("runs of one job").isBetween(1, 2));
    Set<Long> rescued = TestSql.ids(ds, "SELECT id FROM errand_jobs WHERE rescues > 0");
    Set<Long> ranOnVictim =
        TestSql.ids(ds, "SELECT job_id FROM errand_test_runs WHERE node = 'victim'");
    assertThat(duplicates)
        .as("jobs run twice are among those the victim had in flight")
        .isSubsetOf(inFlight)
        .hasSizeLessThanOrEqualTo(HELD_BOUND);
    assertThat(rescued).as("rescued jobs are those the victim held").isSubsetOf(inFlight);
    Set<Long> rescuedAfterRunning = new HashSet<>(rescued);
    rescuedAfterRunning.retainAll(ranOnVictim);
    assertThat(duplicates)
        .as("a job ran twice iff the victim ran it and it was rescued")
        .isEqualTo(rescuedAfterRunning);
    assertThat(TestSql.count(ds, "SELECT count(*) FROM errand_jobs WHERE rescues > 1")).isZero();

    // Rescue timing, from the rescued jobs' error entries (database clock) and finish times.
    Instant lastRescue = null;
    Instant lastRescuedFinished = null;
    for (Job j : rescuer.store().findAll(rescued)) {
      assertThat(j.state().name()).isEqualTo("SUCCEEDED");
      assertThat(j.nodeId()).isEqualTo("rescuer");
      AttemptError e = j.errors().get(j.errors().size() - 1);
      assertThat(e.kind()).isEqualTo("rescued");
      assertThat(e.message()).contains("lease expired on node victim");
      lastRescue = max(lastRescue, e.at());
      lastRescuedFinished = max(lastRescuedFinished, j.finishedAt());
    }
    Instant lastFinished = TestSql.instant(ds, "SELECT max(finished_at) FROM errand_jobs");

    System.out.printf(
        "MEASURED crash: killed after %d runs; in flight %d (handlers running %d,"
            + " returned but outcome not committed %d, claimed ahead and not started %d); rescued %d,"
            + " ran twice %d (bound: concurrency %d + claim batch %d + completion batch %d)%n",
        ranBeforeKill,
        inFlight.size(),
        handlerRunning.size(),
        awaitingCompletion.size(),
        inFlight.size() - handlerRunning.size() - awaitingCompletion.size(),
        rescued.size(),
        duplicates.size(),
        CONCURRENCY,
        CLAIM_BATCH,
        COMPLETION_BATCH);
    System.out.printf(
        "MEASURED crash: kill->nothing RUNNING on the dead node = %s (lease %d ms)%n",
        TestSql.seconds(noneRunningNanos), LEASE_MS);
    if (lastRescue != null) {
      System.out.printf(
          "MEASURED crash: kill->last rescue = %s, kill->last rescued job finished"
              + " = %s, kill->last job finished = %s%n",
          TestSql.seconds(Duration.between(killedAt, lastRescue)),
          TestSql.seconds(Duration.between(killedAt, lastRescuedFinished)),
          TestSql.seconds(Duration.between(killedAt, lastFinished)));
    }
  }

  private static Instant max(Instant a, Instant b) {
    return a == null || b.isAfter(a) ? b : a;
  }
}
