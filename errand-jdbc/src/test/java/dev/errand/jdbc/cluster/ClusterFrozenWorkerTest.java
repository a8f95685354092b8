package dev.errand.jdbc.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.errand.Enqueue;
import dev.errand.Errand;
import dev.errand.Job;
import dev.errand.JobState;
import dev.errand.JobType;
import dev.errand.jdbc.PostgresJobStore;
import dev.errand.jdbc.cluster.WorkerMain.Work;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * A worker JVM is frozen with SIGSTOP past its lease while it runs long jobs; another node rescues
 * and runs them; the frozen JVM is resumed with SIGCONT. Its late writes must change nothing, and
 * it must count each of them: either its heartbeat learns first that the lease is gone and stops
 * the handler ({@code errand.lease.lost}), or the handler returns first and the fenced completion
 * is rejected ({@code errand.lease.rejected}).
 */
class ClusterFrozenWorkerTest extends ClusterTestSupport {
  static final int JOBS = 4;
  static final int JOB_MS = 3_000;
  static final long LEASE_MS = 2_000;

  @Test
  void frozen_worker_resumed_after_its_lease_has_its_late_writes_rejected_and_counted() {
    DataSource ds = db.dataSource();
    Errand producer =
        track(
            Errand.builder()
                .scheduler(false)
                .store(PostgresJobStore.create(db.newDataSource("producer")))
                .nodeId("producer")
                .build());
    JobType<Work> work = producer.register(WorkerMain.workType(ds, "producer"));
    List<Work> payloads = new ArrayList<>();
    for (int n = 0; n < JOBS; n++) {
      payloads.add(new Work(n, JOB_MS));
    }
    producer.enqueueAll(work, payloads, Enqueue.now());

    ChildJvm frozen = track(ChildJvm.worker("frozen", db.jdbcUrl(), JOBS, LEASE_MS, 3));
    await("the frozen-to-be worker runs all " + JOBS + " jobs")
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(20))
        .until(
            () ->
                TestSql.count(ds, "SELECT count(*) FROM errand_test_runs WHERE node = 'frozen'")
                    == JOBS);
    frozen.signal("STOP");
    long stoppedAt = System.nanoTime();

    // Started only now, so that it cannot take the jobs before the frozen worker claims them.
    Errand other =
        track(
            Errand.builder()
                .scheduler(false)
                .store(PostgresJobStore.create(db.newDataSource("other")))
                .nodeId("other")
                .queue("default", JOBS)
                .lease(Duration.ofMillis(LEASE_MS))
                .rescueInterval(Duration.ofMillis(200))
                .pollInterval(Duration.ofMillis(200))
                .build());
    other.register(WorkerMain.workType(db.newDataSource("other-handlers"), "other"));
    other.start();

    await("the other node rescues the frozen worker's jobs")
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(20))
        .until(
            () -> TestSql.count(ds, "SELECT count(*) FROM errand_jobs WHERE rescues = 1") == JOBS);
    long rescuedNanos = System.nanoTime() - stoppedAt;
    await("the other node runs them to SUCCEEDED")
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(20))
        .until(
            () ->
                TestSql.count(ds, "SELECT count(*) FROM errand_jobs WHERE state = 'SUCCEEDED'")
                    == JOBS);
    long succeededNanos = System.nanoTime() - stoppedAt;
    List<Job> before = jobs(other);
    assertThat(frozen.isAlive()).as("still frozen, not dead").isTrue();

    frozen.signal("CONT");
    long resumedAt = System.nanoTime();
    await("the resumed worker counts every late write as rejected or lost")
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> frozen.stats().total() >= JOBS);
    long countedNanos = System.nanoTime() - resumedAt;
    ChildJvm.Stats stats = frozen.stats();
    // Stopped gracefully: it must not hold, release or complete anything on its way out.
    frozen.stopGracefully(Duration.ofSeconds(20));
    ChildJvm.Stats last = frozen.stats();

    System.out.printf(
        "MEASURED frozen: SIGSTOP->all rescued = %s, SIGSTOP->all SUCCEEDED on the"
            + " other node = %s (lease %d ms, jobs of %d ms)%n",
        TestSql.seconds(rescuedNanos), TestSql.seconds(succeededNanos), LEASE_MS, JOB_MS);
    System.out.printf(
        "MEASURED frozen: SIGCONT->all %d late writes counted = %s (rejected=%d" + " lost=%d)%n",
        JOBS, TestSql.seconds(countedNanos), stats.rejected(), stats.lost());

    assertThat(stats.total()).as("each job's late outcome is counted once").isEqualTo(JOBS);
    assertThat(last).isEqualTo(stats);
    List<Job> after = jobs(other);
    assertThat(after).as("the late writes changed nothing").isEqualTo(before);
    assertThat(after)
        .allSatisfy(
            j -> {
              assertThat(j.state()).isEqualTo(JobState.SUCCEEDED);
              assertThat(j.nodeId()).isEqualTo("other");
              assertThat(j.rescues()).isEqualTo(1);
              assertThat(j.attempt()).isEqualTo(2);
              assertThat(j.errors())
                  .singleElement()
                  .satisfies(
                      e -> {
                        assertThat(e.kind()).isEqualTo("rescued");
                        assertThat(e.message()).contains("lease expired on node frozen");
                      });
            });
    assertThat(TestSql.runsPerJob(ds))
        .hasSize(JOBS)
        .allSatisfy((id, n) -> assertThat(n).isEqualTo(2));
    assertThat(
            TestSql.count(
                ds,
                "SELECT count(*) FROM errand_test_runs WHERE node = 'other'"
                    + " AND done_at IS NOT NULL"))
        .isEqualTo(JOBS);
    assertThat(TestSql.states(ds)).containsExactly(Map.entry("SUCCEEDED", (long) JOBS));
  }

  private static List<Job> jobs(Errand e) {
    List<Job> all = new ArrayList<>(e.store().list(dev.errand.JobQuery.all().limit(100)).jobs());
    all.sort(Comparator.comparingLong(Job::id));
    return all;
  }
}
