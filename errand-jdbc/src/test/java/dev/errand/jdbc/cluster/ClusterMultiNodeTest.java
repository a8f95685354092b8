package dev.errand.jdbc.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.errand.Enqueue;
import dev.errand.Errand;
import dev.errand.JobType;
import dev.errand.jdbc.PgTestDatabase;
import dev.errand.jdbc.PostgresJobStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Four engines on one PostgreSQL database, each with its own store and connection pool as four
 * nodes would have, drain 20,000 jobs: every job runs exactly once, and every node does a share.
 */
class ClusterMultiNodeTest {
  static final int NODES = 4;
  static final int CONCURRENCY = 8;
  static final int JOBS = 20_000;
  static final int BATCH = 1_000;

  /** A job's payload: its number. */
  record Item(int n) {}

  private PgTestDatabase db;
  private final List<Errand> engines = new ArrayList<>();

  @BeforeEach
  void createDatabase() {
    db = PgTestDatabase.create();
  }

  @AfterEach
  void stop() {
    engines.forEach(Errand::close);
    db.close();
  }

  @Test
  void four_nodes_drain_twenty_thousand_jobs_running_each_exactly_once() {
    Map<Long, AtomicInteger> runs = new ConcurrentHashMap<>();
    Map<String, LongAdder> perNode = new ConcurrentHashMap<>();

    Errand producer =
        track(
            Errand.builder()
                .scheduler(false)
                .store(PostgresJobStore.create(db.newDataSource("producer")))
                .nodeId("producer")
                .build());
    JobType<Item> item = producer.register(JobType.of("item", Item.class, (ctx, i) -> {}));
    long enqueueStart = System.nanoTime();
    for (int from = 0; from < JOBS; from += BATCH) {
      List<Item> batch = new ArrayList<>(BATCH);
      for (int n = from; n < from + BATCH; n++) {
        batch.add(new Item(n));
      }
      assertThat(producer.enqueueAll(item, batch, Enqueue.now())).hasSize(BATCH);
    }
    long enqueueNanos = System.nanoTime() - enqueueStart;

    List<Errand> nodes = new ArrayList<>();
    for (int i = 1; i <= NODES; i++) {
      String node = "node-" + i;
      Errand e =
          track(
              Errand.builder()
                  .scheduler(false)
                  .store(PostgresJobStore.create(db.newDataSource(node)))
                  .nodeId(node)
                  .queue("default", CONCURRENCY)
                  .build());
      e.register(
          JobType.of(
              "item",
              Item.class,
              (ctx, it) -> {
                runs.computeIfAbsent(ctx.jobId(), id -> new AtomicInteger()).incrementAndGet();
                perNode.computeIfAbsent(ctx.nodeId(), n -> new LongAdder()).increment();
              }));
      nodes.add(e);
    }
    long drainStart = System.nanoTime();
    nodes.forEach(Errand::start);
    await("all " + JOBS + " jobs SUCCEEDED")
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(50))
        .until(
            () ->
                TestSql.count(
                        db.dataSource(),
                        "SELECT count(*) FROM errand_jobs WHERE state = 'SUCCEEDED'")
                    == JOBS);
    long drainNanos = System.nanoTime() - drainStart;

    Map<String, Long> shares = new java.util.TreeMap<>();
    perNode.forEach((n, c) -> shares.put(n, c.sum()));
    System.out.printf(
        "MEASURED multi-node: enqueue %d jobs in batches of %d = %s (%.0f jobs/s)%n",
        JOBS, BATCH, TestSql.seconds(enqueueNanos), JOBS / (enqueueNanos / 1e9));
    System.out.printf(
        "MEASURED multi-node: drain %d jobs on %d nodes x %d = %s (%.0f jobs/s),"
            + " per node %s%n",
        JOBS, NODES, CONCURRENCY, TestSql.seconds(drainNanos), JOBS / (drainNanos / 1e9), shares);

    assertThat(TestSql.states(db.dataSource()))
        .containsExactly(Map.entry("SUCCEEDED", (long) JOBS));
    assertThat(runs).hasSize(JOBS);
    assertThat(runs.values())
        .allSatisfy(c -> assertThat(c.get()).as("runs of one job").isEqualTo(1));
    assertThat(
            TestSql.count(
                db.dataSource(),
                "SELECT count(*) FROM errand_jobs WHERE attempt <> 1 OR rescues <> 0 OR errors <> '[]'::jsonb"))
        .as("jobs that needed more than one attempt")
        .isZero();
    assertThat(TestSql.count(db.dataSource(), "SELECT count(DISTINCT node_id) FROM errand_jobs"))
        .isEqualTo(NODES);
    assertThat(shares).hasSize(NODES);
    assertThat(shares.values()).allSatisfy(c -> assertThat(c).as("jobs one node ran").isPositive());
    assertThat(shares.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(JOBS);
  }

  private Errand track(Errand e) {
    engines.add(e);
    return e;
  }
}
