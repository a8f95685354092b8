package dev.errand.jdbc.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.errand.Enqueue;
import dev.errand.Errand;
import dev.errand.Job;
import dev.errand.JobState;
import dev.errand.JobType;
import dev.errand.jdbc.PostgresJobStore;
import dev.errand.jdbc.StoreException;
import io.micrometer.core.instrument.Counter;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * PostgreSQL is stopped for about ten seconds while two worker nodes drain jobs, then started again
 * on the same port and data directory. The server is this test's own embedded PostgreSQL, not the
 * shared test server.
 *
 * <p>The two nodes differ in their lease: "long" holds its jobs for 30 s, longer than the outage,
 * so none of its jobs may run twice; "short" holds them for 3 s, so its jobs in flight are rescued
 * after the restart and may run again (at least once), but only those.
 */
class ClusterDatabaseOutageTest {
  static final int JOBS = 1_000;
  static final int JOB_MS = 40;
  static final int CONCURRENCY = 4;
  static final Duration OUTAGE = Duration.ofSeconds(10);

  /** Hikari's connectionTimeout: how long a store call waits for a connection. */
  static final Duration CONNECTION_TIMEOUT = Duration.ofSeconds(2);

  static final Duration POLL = Duration.ofSeconds(2);
  static final List<String> ENGINE_THREADS =
      List.of(
          "errand-fetch-default",
          "errand-completer",
          "errand-heartbeat-1",
          "errand-maintenance-1",
          "errand-pg-listen");

  /** A job's payload: its number. */
  record Item(int n) {}

  private Path dataDirectory;
  private int port;
  private EmbeddedPostgres server;
  private final List<HikariDataSource> pools = new ArrayList<>();
  private final List<Errand> engines = new ArrayList<>();

  /** The test's own pool for its queries. */
  private DataSource check;

  @BeforeEach
  void startServer() throws IOException {
    dataDirectory = Files.createTempDirectory("errand-outage-pg");
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      port = s.getLocalPort();
    }
    server = startPostgres();
    check = pool("check");
  }

  @AfterEach
  void stopAll() throws IOException {
    engines.forEach(Errand::close);
    pools.forEach(HikariDataSource::close);
    if (server != null) {
      server.close();
    }
    try (Stream<Path> files = Files.walk(dataDirectory)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  /** Same data directory and port every time, so a restart is the same server coming back. */
  private EmbeddedPostgres startPostgres() throws IOException {
    return EmbeddedPostgres.builder()
        .setDataDirectory(dataDirectory)
        .setCleanDataDirectory(false)
        .setPort(port)
        .setServerConfig("fsync", "off")
        .start();
  }

  @Test
  void workers_and_listen_survive_a_ten_second_outage_losing_nothing() throws Exception {
    Map<Integer, List<String>> runs = new ConcurrentHashMap<>();
    Errand producer =
        engine(
            Errand.builder()
                .scheduler(false)
                .store(PostgresJobStore.create(pool("producer")))
                .nodeId("producer"));
    JobType<Item> item = producer.register(JobType.of("item", Item.class, (ctx, i) -> {}));
    Errand longLease = worker("long", Duration.ofSeconds(30), runs);
    Errand shortLease = worker("short", Duration.ofSeconds(3), runs);
    Map<String, Long> threadsBeforeStart = engineThreads();

    List<Item> items = new ArrayList<>();
    for (int n = 0; n < JOBS; n++) {
      items.add(new Item(n));
    }
    producer.enqueueAll(item, items, Enqueue.now());
    longLease.start();
    shortLease.start();
    Map<String, Long> threadsBefore = engineThreads();
    threadsBefore.forEach(
        (name, n) ->
            assertThat(n - threadsBeforeStart.get(name))
                .as("threads named %s of the two nodes", name)
                .isEqualTo(2));
    await("some jobs done before the outage")
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> succeeded() >= 150);

    // ---- outage
    server.close();
    long outageStart = System.nanoTime();
    long doneBefore = runs.size();

    long enqueueStart = System.nanoTime();
    Throwable refused = catchThrowable(() -> producer.enqueue(item, new Item(-1), Enqueue.now()));
    Duration enqueueWait = Duration.ofNanos(System.nanoTime() - enqueueStart);
    assertThat(refused)
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("errand store operation 'enqueue' failed");
    assertThat(((StoreException) refused).operation()).isEqualTo("enqueue");
    assertThat(enqueueWait)
        .as("an enqueue waits for a connection up to Hikari's connectionTimeout")
        .isBetween(CONNECTION_TIMEOUT.minusMillis(100), CONNECTION_TIMEOUT.plusSeconds(3));

    await(
            "the outage lasts "
                + OUTAGE.toSeconds()
                + " s while both nodes keep failing and retrying")
        .atMost(OUTAGE.plusSeconds(20))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () ->
                System.nanoTime() - outageStart >= OUTAGE.toNanos()
                    && storeErrors(longLease, "claim") >= 2
                    && storeErrors(shortLease, "claim") >= 2
                    && storeErrors(longLease, "complete") + storeErrors(shortLease, "complete") >= 1
                    && storeErrors(longLease, "heartbeat") + storeErrors(shortLease, "heartbeat")
                        >= 1);
    assertThat(engineThreads()).as("engine threads during the outage").isEqualTo(threadsBefore);
    long ranDuringOutage = runs.size() - doneBefore;

    server = startPostgres();
    long restarted = System.nanoTime();
    Duration outage = Duration.ofNanos(restarted - outageStart);
    long succeededAtRestart = succeeded();

    // ---- recovery
    await("jobs complete again")
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> succeeded() > succeededAtRestart);
    long firstCompletion = System.nanoTime() - restarted;
    await("both nodes LISTEN again")
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> listening() == 2);
    long listenBack = System.nanoTime() - restarted;
    await("every job enqueued before the outage SUCCEEDED")
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> succeeded() == JOBS);
    long allDone = System.nanoTime() - restarted;

    // A job enqueued now from another store instance, while both workers are idle. Their poll
    // interval is POLL; a pick-up well below it, every time, means the NOTIFY woke them.
    List<Long> probeMillis = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      long id = producer.enqueue(item, new Item(JOBS + i), Enqueue.now()).id();
      await("probe job " + i + " runs")
          .atMost(Duration.ofSeconds(10))
          .pollInterval(Duration.ofMillis(5))
          .until(() -> producer.job(id).orElseThrow().state() == JobState.SUCCEEDED);
      Job probe = producer.job(id).orElseThrow();
      probeMillis.add(Duration.between(probe.createdAt(), probe.startedAt()).toMillis());
    }
    boolean pushed = probeMillis.stream().allMatch(ms -> ms < 300);

    System.out.printf(
        "MEASURED outage: PostgreSQL down %s; enqueue during it failed after %s"
            + " (Hikari connectionTimeout %s) with: %s%n",
        TestSql.seconds(outage),
        TestSql.seconds(enqueueWait),
        CONNECTION_TIMEOUT,
        refused.getMessage());
    System.out.printf(
        "MEASURED outage: restart->first completion = %s, restart->LISTEN back on"
            + " both nodes = %s, restart->all %d jobs SUCCEEDED = %s; jobs started while the"
            + " database was down %d%n",
        TestSql.seconds(firstCompletion),
        TestSql.seconds(listenBack),
        JOBS,
        TestSql.seconds(allDone),
        ranDuringOutage);
    System.out.printf(
        "MEASURED outage: probe enqueue->start after recovery %s ms (poll %s): %s%n",
        probeMillis, POLL, pushed ? "woken by LISTEN/NOTIFY" : "picked up by polling");
    for (Errand e : List.of(longLease, shortLease)) {
      System.out.printf(
          "MEASURED outage: node %s store errors %s, lease rejected %d, lost %d," + " rescued %d%n",
          e.nodeId(),
          storeErrors(e),
          (long) counter(e, "errand.lease.rejected"),
          (long) counter(e, "errand.lease.lost"),
          (long) counter(e, "errand.jobs.rescued"));
    }

    assertThat(TestSql.states(check)).containsExactly(Map.entry("SUCCEEDED", JOBS + 3L));
    assertThat(engineThreads()).as("engine threads after the outage").isEqualTo(threadsBefore);
    assertThat(runs).as("every job ran").hasSize(JOBS + 3);
    List<Integer> twice = new ArrayList<>();
    runs.forEach(
        (n, nodes) -> {
          if (nodes.size() > 1) {
            twice.add(n);
            assertThat(nodes.get(0))
                .as("job %d ran more than once: %s", n, nodes)
                .isEqualTo("short");
          }
        });
    System.out.printf(
        "MEASURED outage: jobs run twice %d (all first run on the short-lease node)%n",
        twice.size());
    assertThat(pushed)
        .as(
            "LISTEN wakes the workers again after the restart: probe pick-ups %s ms"
                + " with a poll interval of %s",
            probeMillis, POLL)
        .isTrue();
  }

  private Errand worker(String node, Duration lease, Map<Integer, List<String>> runs) {
    Errand e =
        engine(
            Errand.builder()
                .scheduler(false)
                .store(PostgresJobStore.create(pool(node)))
                .nodeId(node)
                .queue("default", CONCURRENCY)
                .lease(lease)
                .rescueInterval(Duration.ofMillis(500))
                .pollInterval(POLL));
    e.register(
        JobType.of(
            "item",
            Item.class,
            (ctx, i) -> {
              runs.computeIfAbsent(i.n(), k -> new CopyOnWriteArrayList<>()).add(ctx.nodeId());
              Thread.sleep(JOB_MS);
            }));
    return e;
  }

  private Errand engine(Errand.Builder b) {
    Errand e = b.build();
    engines.add(e);
    return e;
  }

  private DataSource pool(String name) {
    HikariConfig c = new HikariConfig();
    c.setJdbcUrl("jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=postgres");
    c.setPoolName(name);
    c.setMaximumPoolSize(10);
    c.setMinimumIdle(2);
    c.setConnectionTimeout(CONNECTION_TIMEOUT.toMillis());
    c.setValidationTimeout(1_000);
    c.addDataSourceProperty("ApplicationName", name);
    HikariDataSource ds = new HikariDataSource(c);
    pools.add(ds);
    return ds;
  }

  private long succeeded() {
    return TestSql.count(check, "SELECT count(*) FROM errand_jobs WHERE state = 'SUCCEEDED'");
  }

  /**
   * Sessions of the two worker nodes that hold the listeners' advisory lock and have gone on to
   * LISTEN (their last statement is LISTEN, or a claim run on that connection since).
   */
  private long listening() {
    return TestSql.count(
        check,
        "SELECT count(*) FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid"
            + " WHERE a.application_name IN ('long', 'short') AND l.locktype = 'advisory'"
            + " AND l.granted AND l.classid = x'45524e44'::int AND l.objid = 1"
            + " AND a.query NOT ILIKE '%pg_advisory_lock_shared%'");
  }

  private static double storeErrors(Errand e, String operation) {
    Counter c = e.meterRegistry().find("errand.store.errors").tag("operation", operation).counter();
    return c == null ? 0 : c.count();
  }

  private static Map<String, Long> storeErrors(Errand e) {
    Map<String, Long> out = new TreeMap<>();
    e.meterRegistry()
        .find("errand.store.errors")
        .counters()
        .forEach(c -> out.put(c.getId().getTag("operation"), (long) c.count()));
    return out;
  }

  private static double counter(Errand e, String name) {
    return e.meterRegistry().find(name).counters().stream().mapToDouble(Counter::count).sum();
  }

  /** Live threads by engine thread name (the producer never starts, so it has none of these). */
  private static Map<String, Long> engineThreads() {
    Map<String, Long> out = new TreeMap<>();
    ENGINE_THREADS.forEach(n -> out.put(n, 0L));
    Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .filter(t -> ENGINE_THREADS.contains(t.getName()))
        .forEach(t -> out.merge(t.getName(), 1L, Long::sum));
    return out;
  }
}
