package dev.errand.jdbc.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.errand.Enqueue;
import dev.errand.Errand;
import dev.errand.Job;
import dev.errand.JobState;
import dev.errand.JobType;
import dev.errand.jdbc.PgTestDatabase;
import dev.errand.jdbc.PostgresJobStore;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Faults in the write of attempt outcomes, which the engine batches: one outcome the database
 * cannot take must hold back no other, and outcomes that cannot be written for a while must not let
 * a node claim without bound (each claimed job is one more to run again if the node dies).
 */
class ClusterOutcomeWriteTest {
  /** A job's payload: its number. */
  record Item(int n) {}

  private PgTestDatabase db;
  private final List<AutoCloseable> resources = new ArrayList<>();

  @BeforeEach
  void createDatabase() {
    db = PgTestDatabase.create();
  }

  @AfterEach
  void cleanUp() throws Exception {
    for (int i = resources.size() - 1; i >= 0; i--) {
      resources.get(i).close();
    }
    db.close();
  }

  @Test
  void handler_error_containing_a_nul_character_is_recorded_and_holds_back_nothing() {
    Errand worker = worker(Errand.builder().scheduler(false).queue("default", 2));
    JobType<Item> item =
        worker.register(
            JobType.of(
                    "item",
                    Item.class,
                    (ctx, i) -> {
                      if (i.n() == 0) {
                        // PostgreSQL text and jsonb cannot hold U+0000; an exception message can.
                        throw new IllegalArgumentException("unexpected byte \u0000 in input");
                      }
                    })
                .maxAttempts(1));
    long first = worker.enqueueAll(item, items(50), Enqueue.now()).get(0).id();
    worker.start();

    await("every job final")
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(20))
        .until(
            () ->
                TestSql.count(
                        db.dataSource(),
                        "SELECT count(*) FROM errand_jobs WHERE state IN ('SUCCEEDED', 'FAILED')")
                    == 50);
    assertThat(TestSql.states(db.dataSource()))
        .containsExactly(Map.entry("FAILED", 1L), Map.entry("SUCCEEDED", 49L));
    Job failed = worker.job(first).orElseThrow();
    assertThat(failed.state()).isEqualTo(JobState.FAILED);
    assertThat(failed.lastError())
        .isEqualTo("java.lang.IllegalArgumentException: unexpected byte \uFFFD in input");
    assertThat(failed.errors())
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.message()).isEqualTo(failed.lastError());
              assertThat(e.stackTrace())
                  .contains("unexpected byte \uFFFD in input")
                  .doesNotContain("\u0000");
            });
  }

  @Test
  void outcome_the_database_refuses_holds_back_no_other_and_its_job_is_rescued() throws Exception {
    Errand worker =
        worker(
            Errand.builder()
                .scheduler(false)
                .queue("default", 2)
                .lease(Duration.ofSeconds(2))
                .rescueInterval(Duration.ofMillis(200))
                .quarantineAfterRescues(1));
    JobType<Item> item = worker.register(JobType.of("item", Item.class, (ctx, i) -> {}));
    List<Long> ids = new ArrayList<>();
    worker.enqueueAll(item, items(60), Enqueue.now()).forEach(h -> ids.add(h.id()));
    long refused = ids.get(13);
    try (Connection c = db.connect();
        Statement st = c.createStatement()) {
      // Stands for any outcome a database refuses for good: a constraint, a trigger, a limit.
      st.execute(
          "CREATE FUNCTION errand_test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$"
              + " BEGIN RAISE EXCEPTION 'test: the outcome of job % is refused', NEW.id; END $$");
      st.execute(
          "CREATE TRIGGER errand_test_refuse BEFORE UPDATE ON errand_jobs FOR EACH ROW"
              + " WHEN (NEW.state = 'SUCCEEDED' AND NEW.id = "
              + refused
              + ")"
              + " EXECUTE FUNCTION errand_test_refuse()");
    }
    worker.start();

    await("every other job SUCCEEDED")
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(20))
        .until(
            () ->
                TestSql.count(
                        db.dataSource(),
                        "SELECT count(*) FROM errand_jobs WHERE state = 'SUCCEEDED'")
                    == 59);
    await("the refused job is rescued when its lease expires, and quarantined")
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> worker.job(refused).orElseThrow().state() == JobState.FAILED);
    Job j = worker.job(refused).orElseThrow();
    assertThat(j.rescues()).isEqualTo(1);
    assertThat(j.lastError()).startsWith("quarantined");
    assertThat(counter(worker, "errand.outcomes.unwritten")).isEqualTo(1);
  }

  @Test
  void node_holds_at_most_concurrency_plus_claim_and_completion_batch_while_outcomes_are_stuck()
      throws Exception {
    int concurrency = 2;
    int claimBatch = 3;
    int completionBatch = 4;
    CountDownLatch gateRunning = new CountDownLatch(1);
    CountDownLatch rowLocked = new CountDownLatch(1);
    Map<Integer, AtomicInteger> runs = new ConcurrentHashMap<>();
    Errand worker =
        worker(
            Errand.builder()
                .scheduler(false)
                .queue("default", concurrency)
                .claimBatch(claimBatch)
                .completionBatch(completionBatch)
                .lease(Duration.ofSeconds(30)));
    JobType<Item> item =
        worker.register(
            JobType.of(
                "item",
                Item.class,
                (ctx, i) -> {
                  runs.computeIfAbsent(i.n(), n -> new AtomicInteger()).incrementAndGet();
                  if (i.n() == 0) {
                    gateRunning.countDown();
                    assertThat(rowLocked.await(30, TimeUnit.SECONDS)).isTrue();
                  }
                }));
    long gate = worker.enqueue(item, new Item(0)).id();
    DataSource ds = db.dataSource();

    try (Connection lock = db.connect()) {
      worker.start();
      assertThat(gateRunning.await(30, TimeUnit.SECONDS)).isTrue();
      // Hold the gate job's row: the outcome write that includes it waits, like a write stuck
      // behind a long transaction; claims skip locked rows and go on.
      lock.setAutoCommit(false);
      try (PreparedStatement ps =
          lock.prepareStatement("SELECT id FROM errand_jobs WHERE id = ? FOR UPDATE")) {
        ps.setLong(1, gate);
        ps.executeQuery().close();
      }
      rowLocked.countDown();
      // Only now the rest of the work: all of it arrives while no outcome can be written.
      List<Item> rest = new ArrayList<>();
      for (int n = 1; n < 100; n++) {
        rest.add(new Item(n));
      }
      worker.enqueueAll(item, rest, Enqueue.now());
      int bound = concurrency + claimBatch + completionBatch;
      await("the node holds at most " + bound + " jobs while no outcome can be written")
          .during(Duration.ofSeconds(1))
          .atMost(Duration.ofSeconds(10))
          .pollInterval(Duration.ofMillis(20))
          .until(
              () ->
                  TestSql.count(ds, "SELECT count(*) FROM errand_jobs WHERE state = 'RUNNING'")
                      <= bound);
      System.out.printf(
          "MEASURED outcome stall: RUNNING on the node %d (bound %d), handlers run"
              + " %d of 100%n",
          TestSql.count(ds, "SELECT count(*) FROM errand_jobs WHERE state = 'RUNNING'"),
          bound,
          runs.size());
      lock.rollback();
    }
    await("every job SUCCEEDED once the row is free")
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(20))
        .until(
            () ->
                TestSql.count(ds, "SELECT count(*) FROM errand_jobs WHERE state = 'SUCCEEDED'")
                    == 100);
    assertThat(runs).hasSize(100);
    assertThat(runs.values()).allSatisfy(n -> assertThat(n.get()).isEqualTo(1));
  }

  private Errand worker(Errand.Builder b) {
    Errand e =
        b.store(PostgresJobStore.create(db.newDataSource("worker"))).nodeId("worker").build();
    resources.add(e);
    return e;
  }

  private static List<Item> items(int count) {
    List<Item> out = new ArrayList<>();
    for (int n = 0; n < count; n++) {
      out.add(new Item(n));
    }
    return out;
  }

  private static double counter(Errand e, String name) {
    var c = e.meterRegistry().find(name).counter();
    return c == null ? 0 : c.count();
  }
}
