package dev.errand.jdbc.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.errand.Enqueue;
import dev.errand.Errand;
import dev.errand.JobState;
import dev.errand.JobType;
import dev.errand.jdbc.PgTestDatabase;
import dev.errand.jdbc.PostgresJobStore;
import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * A node told by LISTEN/NOTIFY that another process enqueued claims on the notification thread
 * while its fetch loop sleeps (one thread hand-off less per job at low load), and that claim races
 * the loop's own claims, other nodes' claims and shutdown without running a job twice or losing
 * one.
 */
class NotificationClaimTest {
  /** A job's payload: its number. */
  record Item(int n) {}

  /** The thread of a PostgreSQL store's LISTEN connection. */
  static final String LISTEN_THREAD = "errand-pg-listen";

  /** Text of the store's claim statement, and of no other. */
  static final String CLAIM_MARK = "ready AS MATERIALIZED";

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
  void a_notification_claims_on_the_listen_connection_while_the_fetch_loop_sleeps() {
    OneWorker w = oneWorker();
    ClaimRecordingDataSource workerPool = w.pool();
    Map<Long, AtomicInteger> runs = w.runs();
    Errand producer = w.producer();
    JobType<Item> item = w.item();
    int probes = awaitListening(producer, item, List.of(workerPool));
    int taken = workerPool.connectionsTakenBy(LISTEN_THREAD);
    int claimsBefore = workerPool.claimsBy(LISTEN_THREAD);

    int jobs = 20;
    for (int n = 0; n < jobs; n++) {
      // one at a time, each once the last one's outcome is written: the worker's loop is asleep
      // when every notification arrives, as at low load
      awaitSucceeded(producer, producer.enqueue(item, new Item(n)).id());
    }

    int onListenThread = workerPool.claimsBy(LISTEN_THREAD) - claimsBefore;
    assertThat(onListenThread)
        .as("claims on the listen thread for %d jobs enqueued one at a time by another node", jobs)
        .isGreaterThanOrEqualTo(jobs * 3 / 4);
    assertThat(workerPool.connectionsTakenBy(LISTEN_THREAD))
        .as("connections the listen thread took from the pool: none more, it claims on its own")
        .isEqualTo(taken);
    assertThat(runs.values()).allSatisfy(c -> assertThat(c.get()).isEqualTo(1));
    assertThat(TestSql.states(db.dataSource()))
        .containsExactly(Map.entry("SUCCEEDED", (long) jobs + probes));
  }

  @Test
  void claims_on_notification_threads_race_loops_and_other_nodes_and_run_every_job_once()
      throws Exception {
    int nodes = 3;
    int producers = 4;
    int perProducer = 400;
    Map<Long, AtomicInteger> runs = new ConcurrentHashMap<>();
    List<ClaimRecordingDataSource> pools = new ArrayList<>();
    List<Errand> workers = new ArrayList<>();
    for (int i = 1; i <= nodes; i++) {
      ClaimRecordingDataSource pool = new ClaimRecordingDataSource(db.newDataSource("node-" + i));
      pools.add(pool);
      workers.add(node("node-" + i, pool, runs));
    }
    workers.forEach(Errand::start);
    Errand producer = producer();
    JobType<Item> item = producer.register(JobType.of("item", Item.class, (ctx, i) -> {}));
    int probes = awaitListening(producer, item, pools);

    // one job per call from several threads, with pauses that let the loops fall asleep, so that
    // notification-thread claims, loop claims after a cooldown and other nodes' claims interleave
    AtomicReference<Throwable> failure = new AtomicReference<>();
    List<Thread> threads = new ArrayList<>();
    for (int p = 0; p < producers; p++) {
      int base = p * perProducer;
      Thread t =
          new Thread(
              () -> {
                try {
                  for (int n = 0; n < perProducer; n++) {
                    producer.enqueue(item, new Item(base + n));
                    if (n % 7 == 0) {
                      sleep(3);
                    }
                  }
                } catch (Throwable e) {
                  failure.compareAndSet(null, e);
                }
              },
              "producer-" + p);
      threads.add(t);
      t.start();
    }
    // one node stops gracefully while jobs keep coming: what it holds goes back, unspent
    await("a first share of the jobs to run")
        .atMost(Duration.ofSeconds(60))
        .until(() -> runs.size() >= probes + 300);
    workers.get(0).close();
    for (Thread t : threads) {
      t.join(TimeUnit.SECONDS.toMillis(60));
    }
    assertThat(failure.get()).isNull();

    int total = producers * perProducer + probes;
    await("all " + total + " jobs SUCCEEDED")
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(50))
        .until(
            () ->
                TestSql.count(
                        db.dataSource(),
                        "SELECT count(*) FROM errand_jobs WHERE state = 'SUCCEEDED'")
                    == total);
    assertThat(TestSql.states(db.dataSource()))
        .containsExactly(Map.entry("SUCCEEDED", (long) total));
    assertThat(runs).hasSize(total);
    assertThat(runs.values())
        .allSatisfy(c -> assertThat(c.get()).as("runs of one job").isEqualTo(1));
    assertThat(
            TestSql.count(
                db.dataSource(),
                "SELECT count(*) FROM errand_jobs WHERE attempt <> 1 OR rescues <> 0"))
        .as("jobs that needed more than one attempt")
        .isZero();
    int listenClaims = 0;
    for (ClaimRecordingDataSource pool : pools) {
      listenClaims += pool.claimsBy(LISTEN_THREAD);
    }
    assertThat(listenClaims).as("claims made on notification threads").isPositive();
  }

  @Test
  void shutdown_waits_for_a_claim_on_the_listen_thread_and_leaves_its_job_ready_or_done()
      throws Exception {
    OneWorker w = oneWorker();
    ClaimRecordingDataSource workerPool = w.pool();
    Map<Long, AtomicInteger> runs = w.runs();
    Errand producer = w.producer();
    JobType<Item> item = w.item();
    awaitListening(producer, item, List.of(workerPool));

    CountDownLatch release = new CountDownLatch(1);
    long id = enqueueWithListenClaimHeld(workerPool, release, producer, item);

    Thread closer = new Thread(w.worker()::close, "closer");
    closer.start();
    // close has reached the queue's stop, and waits there for the held claim
    await("close to wait for the claim in flight")
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                w.worker().lifecycle() == Errand.Lifecycle.STOPPING
                    && closer.getState() == Thread.State.TIMED_WAITING);
    release.countDown();
    closer.join(TimeUnit.SECONDS.toMillis(60));
    assertThat(closer.isAlive()).as("close returned").isFalse();

    // the held claim went through before the queue stopped: its job either ran, or was handed
    // back without spending an attempt; it is never left RUNNING on a stopped node
    JobState state = producer.job(id).orElseThrow().state();
    assertThat(state).isIn(JobState.SUCCEEDED, JobState.QUEUED);
    if (state == JobState.QUEUED) {
      assertThat(producer.job(id).orElseThrow().attempt()).isZero();
    }
    assertThat(runs.getOrDefault(id, new AtomicInteger()).get()).isLessThanOrEqualTo(1);
  }

  @Test
  void a_notification_that_arrives_during_a_claim_on_the_listen_connection_is_still_delivered()
      throws Exception {
    ClaimRecordingDataSource pool = new ClaimRecordingDataSource(db.newDataSource("worker"));
    Map<Long, AtomicInteger> runs = new ConcurrentHashMap<>();
    // no polling to speak of: only notifications start these jobs
    Errand worker =
        track(
            Errand.builder()
                .scheduler(false)
                .store(PostgresJobStore.create(pool))
                .nodeId("worker")
                .queue("default", 4)
                .queue("other", 4)
                .pollInterval(Duration.ofHours(1))
                .build());
    worker.register(
        JobType.of(
            "item",
            Item.class,
            (ctx, it) ->
                runs.computeIfAbsent(ctx.jobId(), k -> new AtomicInteger()).incrementAndGet()));
    worker.start();
    Errand producer = producer();
    JobType<Item> item = producer.register(JobType.of("item", Item.class, (ctx, i) -> {}));
    awaitListening(producer, item, List.of(pool));

    try (Connection heard = db.connect()) {
      try (Statement st = heard.createStatement()) {
        st.execute("LISTEN errand_jobs");
      }
      CountDownLatch release = new CountDownLatch(1);
      long first = enqueueWithListenClaimHeld(pool, release, producer, item);
      // its NOTIFY goes to the LISTEN connection while that connection waits to run the claim;
      // once this session has it, PostgreSQL has sent it to every listener
      long second = producer.enqueue(item, new Item(2), Enqueue.now().queue("other")).id();
      PGConnection pg = heard.unwrap(PGConnection.class);
      await("PostgreSQL to send the second job's notification")
          .atMost(Duration.ofSeconds(30))
          .until(
              () -> {
                PGNotification[] got = pg.getNotifications(100);
                return got != null
                    && Arrays.stream(got).anyMatch(n -> n.getParameter().equals("other"));
              });
      release.countDown();
      awaitBothRan(runs, first, second);
    }
    assertThat(pool.claimsBy(LISTEN_THREAD)).isGreaterThanOrEqualTo(2);
  }

  private static void awaitBothRan(Map<Long, AtomicInteger> runs, long first, long second) {

    await("both jobs to run, the second woken by the notification that arrived meanwhile")
        .atMost(Duration.ofSeconds(30))
        .until(() -> runs.containsKey(first) && runs.containsKey(second));
  }

  /**
   * Enqueues one job and waits until the worker's listen thread, woken by its notification, is held
   * (until {@code release} opens) before it prepares the claim.
   */
  private static long enqueueWithListenClaimHeld(
      ClaimRecordingDataSource pool, CountDownLatch release, Errand producer, JobType<Item> item) {
    pool.holdListenThread(release);
    long id = producer.enqueue(item, new Item(1)).id();
    await("the listen thread to start its claim")
        .atMost(Duration.ofSeconds(30))
        .until(pool::listenThreadHeld);
    return id;
  }

  /** A started worker node on a recording pool, and a producer node with the job type. */
  private record OneWorker(
      ClaimRecordingDataSource pool,
      Map<Long, AtomicInteger> runs,
      Errand worker,
      Errand producer,
      JobType<Item> item) {}

  private OneWorker oneWorker() {
    ClaimRecordingDataSource pool = new ClaimRecordingDataSource(db.newDataSource("worker"));
    Map<Long, AtomicInteger> runs = new ConcurrentHashMap<>();
    Errand worker = node("worker", pool, runs);
    worker.start();
    Errand producer = producer();
    JobType<Item> item = producer.register(JobType.of("item", Item.class, (ctx, i) -> {}));
    return new OneWorker(pool, runs, worker, producer, item);
  }

  private Errand node(String name, DataSource pool, Map<Long, AtomicInteger> runs) {
    Errand e =
        track(
            Errand.builder()
                .scheduler(false)
                .store(PostgresJobStore.create(pool))
                .nodeId(name)
                .queue("default", 4)
                .build());
    e.register(
        JobType.of(
            "item",
            Item.class,
            (ctx, it) ->
                runs.computeIfAbsent(ctx.jobId(), k -> new AtomicInteger()).incrementAndGet()));
    return e;
  }

  private Errand producer() {
    return track(
        Errand.builder()
            .scheduler(false)
            .store(PostgresJobStore.create(db.newDataSource("producer")))
            .nodeId("producer")
            .build());
  }

  /** Waits until the producer's store knows that another engine listens, so that it notifies. */
  /**
   * Enqueues probe jobs one at a time until one of them was claimed on a listen thread of {@code
   * pools}: the producer's store then knows that another engine listens, and notifies. Returns how
   * many probes it enqueued (they run, and succeed, like any job).
   */
  private int awaitListening(
      Errand producer, JobType<Item> item, List<ClaimRecordingDataSource> pools) {
    AtomicInteger probes = new AtomicInteger();
    await("a probe job to be claimed on a listen thread")
        .atMost(Duration.ofSeconds(60))
        .until(
            () -> {
              awaitSucceeded(
                  producer, producer.enqueue(item, new Item(-probes.incrementAndGet())).id());
              return pools.stream().anyMatch(p -> p.claimsBy(LISTEN_THREAD) > 0);
            });
    return probes.get();
  }

  private static void awaitSucceeded(Errand producer, long id) {
    await("job " + id + " to succeed")
        .atMost(Duration.ofSeconds(30))
        .until(() -> producer.job(id).orElseThrow().state() == JobState.SUCCEEDED);
  }

  private Errand track(Errand e) {
    engines.add(e);
    return e;
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * A real connection pool whose connections record on which thread each claim statement was
   * prepared, and can hold the listen thread's next claim until a latch opens.
   */
  static final class ClaimRecordingDataSource implements DataSource {
    private final DataSource delegate;
    private final Map<String, AtomicInteger> claims = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> taken = new ConcurrentHashMap<>();
    private volatile CountDownLatch hold;
    private volatile boolean held;

    ClaimRecordingDataSource(DataSource delegate) {
      this.delegate = delegate;
    }

    /** Claim statements prepared on the thread {@code threadName}. */
    int claimsBy(String threadName) {
      AtomicInteger n = claims.get(threadName);
      return n == null ? 0 : n.get();
    }

    void holdListenThread(CountDownLatch until) {
      hold = until;
    }

    boolean listenThreadHeld() {
      return held;
    }

    /** Connections taken from the pool on the thread {@code threadName}. */
    int connectionsTakenBy(String threadName) {
      AtomicInteger n = taken.get(threadName);
      return n == null ? 0 : n.get();
    }

    @Override
    public Connection getConnection() throws SQLException {
      taken
          .computeIfAbsent(Thread.currentThread().getName(), k -> new AtomicInteger())
          .incrementAndGet();
      Connection real = delegate.getConnection();
      return (Connection)
          Proxy.newProxyInstance(
              Connection.class.getClassLoader(),
              new Class<?>[] {Connection.class},
              (proxy, method, args) -> {
                if (method.getName().equals("prepareStatement")
                    && args[0] instanceof String sql
                    && sql.contains(CLAIM_MARK)) {
                  claimPrepared();
                }
                try {
                  return method.invoke(real, args);
                } catch (InvocationTargetException e) {
                  throw e.getCause();
                }
              });
    }

    private void claimPrepared() throws SQLException {
      String name = Thread.currentThread().getName();
      claims.computeIfAbsent(name, k -> new AtomicInteger()).incrementAndGet();
      CountDownLatch h = hold;
      if (h != null && name.equals(LISTEN_THREAD)) {
        hold = null;
        held = true;
        try {
          h.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new SQLException("interrupted while held by the test", e);
        }
      }
    }

    @Override
    public Connection getConnection(String user, String password) throws SQLException {
      throw new SQLFeatureNotSupportedException("the store takes connections without a user");
    }

    @Override
    public PrintWriter getLogWriter() throws SQLException {
      return delegate.getLogWriter();
    }

    @Override
    public void setLogWriter(PrintWriter out) throws SQLException {
      delegate.setLogWriter(out);
    }

    @Override
    public void setLoginTimeout(int seconds) throws SQLException {
      delegate.setLoginTimeout(seconds);
    }

    @Override
    public int getLoginTimeout() throws SQLException {
      return delegate.getLoginTimeout();
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
      return delegate.getParentLogger();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
      return iface.isInstance(this) ? iface.cast(this) : delegate.unwrap(iface);
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) throws SQLException {
      return iface.isInstance(this) || delegate.isWrapperFor(iface);
    }
  }
}
