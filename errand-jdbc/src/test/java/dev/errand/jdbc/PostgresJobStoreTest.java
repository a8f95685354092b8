package dev.errand.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.errand.Job;
import dev.errand.JobState;
import dev.errand.LeaseLostException;
import dev.errand.spi.ClaimedJob;
import dev.errand.spi.Completion;
import dev.errand.spi.EnqueueResult;
import dev.errand.spi.LeaseRef;
import dev.errand.spi.NewJob;
import dev.errand.spi.Rescue;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;

/** What only PostgreSQL does: NOTIFY, the caller's transaction, plans, many nodes, migrations. */
class PostgresJobStoreTest {
  private static final Duration LEASE = Duration.ofSeconds(30);
  private static PgTestDatabase db;
  private static DataSource nodeTwo;
  private static DataSource listenPool;

  private PostgresJobStore store;
  private PostgresJobStore other;
  private final List<AutoCloseable> closeAfter = new ArrayList<>();

  @BeforeAll
  static void createDatabase() {
    db = PgTestDatabase.create();
    nodeTwo = db.newDataSource("errand-node-2");
    listenPool = db.newDataSource("errand-listen-test");
  }

  @AfterAll
  static void dropDatabase() {
    db.close();
  }

  @BeforeEach
  void openStores() {
    db.truncateErrandTables();
    store = PostgresJobStore.create(db.dataSource());
    store.open();
    other = PostgresJobStore.create(nodeTwo);
    other.open();
  }

  @AfterEach
  void closeStores() throws Exception {
    for (AutoCloseable c : closeAfter) {
      c.close();
    }
    store.close();
    other.close();
  }

  private static NewJob job(String queue) {
    return job(queue, Instant.now().minusMillis(1));
  }

  private static NewJob job(String queue, Instant runAt) {
    return new NewJob("t", queue, "{}", 0, 3, runAt, null, Set.of(), null);
  }

  private static NewJob keyed(String key) {
    return new NewJob("t", "q", "{}", 0, 3, Instant.now().minusMillis(1), key, Set.of(), null);
  }

  private PostgresListener subscribe(PostgresJobStore s, List<String> into) {
    PostgresListener l = (PostgresListener) s.subscribe(into::add);
    closeAfter.add(l);
    await().atMost(Duration.ofSeconds(10)).until(l::isListening);
    return l;
  }

  // ------------------------------------------------------------------ NOTIFY

  @Test
  void enqueue_on_one_store_wakes_a_subscriber_of_another() {
    List<String> heard = new CopyOnWriteArrayList<>();
    PostgresListener listener = subscribe(other, heard);

    store.enqueue(List.of(job("later", Instant.now().plusSeconds(3600))));
    store.enqueue(List.of(job("mail"), job("mail"), job("sms")));

    await().atMost(Duration.ofSeconds(10)).until(() -> heard.containsAll(List.of("mail", "sms")));
    // notifications arrive in commit order: a NOTIFY for the job due later would be here already
    assertThat(heard).containsExactlyInAnyOrder("mail", "sms");
    assertThat(Thread.getAllStackTraces().keySet())
        .anyMatch(t -> t.getName().equals(PostgresListener.THREAD_NAME) && t.isDaemon());

    ClaimedJob c = store.claim("mail", 1, "n1", LEASE).get(0);
    store.complete(List.of(Completion.release(c.job().id(), c.fence())));
    await().atMost(Duration.ofSeconds(10)).until(() -> heard.size() == 3);
    assertThat(heard.get(2)).isEqualTo("mail");

    listener.close();
    assertThat(listener.isListening()).isFalse();
  }

  @Test
  void event_messages_reach_every_listener_and_listeners_are_counted_while_they_listen()
      throws Exception {
    List<String> heard = new CopyOnWriteArrayList<>();
    await().atMost(Duration.ofSeconds(10)).until(() -> store.eventListeners() == 0);
    AutoCloseable sub = other.subscribeEvents(heard::add);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> store.eventListeners() == 1); // counted from pg_locks, refreshed each second
    store.publishEvents(List.of("{\"a\":1}", "{\"b\":\"ü\"}"));
    await().atMost(Duration.ofSeconds(10)).until(() -> heard.size() == 2);
    assertThat(heard).containsExactly("{\"a\":1}", "{\"b\":\"ü\"}");
    assertThatThrownBy(() -> store.publishEvents(List.of("x".repeat(8_000))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at most 7900 bytes");
    sub.close();
    await().atMost(Duration.ofSeconds(10)).until(() -> store.eventListeners() == 0);
  }

  @Test
  void a_lone_single_job_enqueue_notifies_in_its_own_commit() {
    List<String> heard = new CopyOnWriteArrayList<>();
    subscribe(other, heard);

    store.enqueue(List.of(job("alone")));
    store.enqueue(List.of(keyed("alone-with-a-key")));

    await().atMost(Duration.ofSeconds(10)).until(() -> heard.size() == 2);
    assertThat(heard).containsExactly("alone", "q");
    assertThat(store.notifiesAfterCommit()).as("no NOTIFY statement after the commit").isFalse();
  }

  @Test
  void a_single_job_enqueue_beside_another_write_notifies_after_its_commit() throws Exception {
    List<String> heard = new CopyOnWriteArrayList<>();
    subscribe(other, heard);

    try (AutoCloseable inFlight = store.holdEnqueueWrite()) {
      store.enqueue(List.of(job("beside")));
      store.enqueue(List.of(job("not-due", Instant.now().plusSeconds(3600))));
    }

    await().atMost(Duration.ofSeconds(10)).until(() -> heard.contains("beside"));
    assertThat(store.notifiesAfterCommit()).isTrue();
    assertThat(heard).containsExactly("beside");
  }

  @Test
  void a_store_whose_own_subscription_is_the_only_listener_sends_no_notify_until_another_listens()
      throws Exception {
    List<String> own = new CopyOnWriteArrayList<>();
    subscribe(store, own);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> !store.othersListenForJobs()); // counted from pg_locks, once a second

    store.enqueue(List.of(job("alone")));
    store.enqueue(List.of(job("batch"), job("batch")));
    try (AutoCloseable inFlight = store.holdEnqueueWrite()) {
      store.enqueue(List.of(job("beside")));
    }
    // the NOTIFY would reach this store's own listener within milliseconds
    await().during(Duration.ofMillis(800)).atMost(Duration.ofSeconds(5)).until(() -> own.isEmpty());
    assertThat(store.notifiesAfterCommit()).as("no NOTIFY statement after the commit").isFalse();

    List<String> heard = new CopyOnWriteArrayList<>();
    subscribe(other, heard);
    await().atMost(Duration.ofSeconds(10)).until(store::othersListenForJobs);
    store.enqueue(List.of(job("now-heard")));
    await().atMost(Duration.ofSeconds(10)).until(() -> heard.contains("now-heard"));
    assertThat(own).containsExactly("now-heard");
  }

  @Test
  void a_listener_that_starts_makes_the_other_stores_notify_again_without_waiting_for_a_count() {
    List<String> own = new CopyOnWriteArrayList<>();
    subscribe(store, own);
    await().atMost(Duration.ofSeconds(10)).until(() -> !store.othersListenForJobs());
    long forgotten = store.listenerCountsForgotten();

    subscribe(other, new CopyOnWriteArrayList<>());

    // the new listener's announcement reaches this store's listener, which forgets its count
    await().atMost(Duration.ofSeconds(10)).until(() -> store.listenerCountsForgotten() > forgotten);
    assertThat(own).as("the announcement is not a queue to wake").isEmpty();
    await().atMost(Duration.ofSeconds(10)).until(store::othersListenForJobs);
  }

  @Test
  void two_subscriptions_on_one_store_are_two_engines_and_both_hear_its_enqueues() {
    List<String> first = new CopyOnWriteArrayList<>();
    List<String> second = new CopyOnWriteArrayList<>();
    subscribe(store, first);
    subscribe(store, second);
    await().atMost(Duration.ofSeconds(10)).until(() -> store.jobListeners() == 2);
    assertThat(store.othersListenForJobs()).isTrue();

    store.enqueue(List.of(job("shared")));

    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> first.contains("shared") && second.contains("shared"));
  }

  @Test
  void closing_the_store_stops_its_listen_threads() {
    PostgresJobStore s = PostgresJobStore.create(listenPool);
    List<String> heard = new CopyOnWriteArrayList<>();
    PostgresListener a = (PostgresListener) s.subscribe(heard::add);
    PostgresListener b = (PostgresListener) s.subscribe(heard::add);
    await().atMost(Duration.ofSeconds(10)).until(() -> a.isListening() && b.isListening());
    s.close();
    assertThat(a.isListening()).isFalse();
    assertThat(b.isListening()).isFalse();
    assertThat(Thread.getAllStackTraces().keySet())
        .noneMatch(t -> t.getName().equals(PostgresListener.THREAD_NAME) && t.isAlive());
  }

  @Test
  void listener_reconnects_by_itself_when_its_connection_is_killed() throws Exception {
    PostgresJobStore listening = PostgresJobStore.create(listenPool);
    closeAfter.add(listening);
    List<String> heard = new CopyOnWriteArrayList<>();
    subscribe(listening, heard);
    int before = listenBackend();

    try (Connection c = db.connect();
        PreparedStatement ps = c.prepareStatement("SELECT pg_terminate_backend(?)")) {
      ps.setInt(1, before);
      ps.execute();
    }

    // notifications sent while it is down are lost; keep sending until one arrives
    AtomicInteger sent = new AtomicInteger();
    await()
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> {
              store.enqueue(List.of(job("after-outage-" + sent.incrementAndGet())));
              return heard.stream().anyMatch(q -> q.startsWith("after-outage-"));
            });
    assertThat(listenBackend()).isNotEqualTo(before);
  }

  @Test
  void a_listener_whose_live_connection_fails_gives_it_back_neither_listening_nor_locked()
      throws Exception {
    // the failure is injected in the driver call the listener waits in; the connection underneath
    // is a real pooled one and stays alive, as after a driver or network hiccup
    AtomicBoolean failNext = new AtomicBoolean();
    PostgresJobStore listening =
        PostgresJobStore.create(failingNotifications(listenPool, failNext, new AtomicBoolean()));
    PostgresListener l = (PostgresListener) listening.subscribe(q -> {});
    try {
      await().atMost(Duration.ofSeconds(10)).until(l::isListening);
      failNext.set(true);
      await().atMost(Duration.ofSeconds(10)).until(() -> !failNext.get()); // thrown once
      await().atMost(Duration.ofSeconds(20)).until(l::isListening); // and listening again
    } finally {
      listening.close();
    }
    assertNoSessionHoldsTheListenerLock();
  }

  @Test
  void a_listener_whose_unlisten_fails_too_aborts_its_connection_instead_of_giving_it_back()
      throws Exception {
    AtomicBoolean failNext = new AtomicBoolean();
    AtomicBoolean failUnlisten = new AtomicBoolean();
    PostgresJobStore listening =
        PostgresJobStore.create(failingNotifications(listenPool, failNext, failUnlisten));
    PostgresListener l = (PostgresListener) listening.subscribe(q -> {});
    try {
      await().atMost(Duration.ofSeconds(10)).until(l::isListening);
      int backend = listenBackend();
      failUnlisten.set(true);
      failNext.set(true);
      await().atMost(Duration.ofSeconds(10)).until(() -> !failNext.get() && !failUnlisten.get());
      await().atMost(Duration.ofSeconds(20)).until(l::isListening); // on another connection
      // the failed connection is still LISTENing and locked on the server: only aborting it (its
      // backend ends) keeps the pool from handing it out like that
      awaitCountZero(
          "SELECT count(*) FROM pg_stat_activity WHERE pid = ?",
          "backend " + backend + " of the aborted connection",
          backend);
    } finally {
      listening.close();
    }
    assertNoSessionHoldsTheListenerLock();
  }

  /** The pool keeps its connections open: none of them may still hold the listener lock. */
  private static void assertNoSessionHoldsTheListenerLock() throws SQLException {
    awaitCountZero(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
            + " AND classid::bigint = ? AND objid::bigint = ? AND objsubid = 2",
        "sessions holding the listener lock",
        PostgresJobStore.EVENTS_LOCK_CLASS,
        PostgresJobStore.JOBS_LOCK_ID);
  }

  /** Waits up to 5 s until {@code countSql} with {@code params} counts 0, else fails {@code as}. */
  private static void awaitCountZero(String countSql, String as, long... params)
      throws SQLException {
    try (Connection c = db.connect();
        PreparedStatement ps = c.prepareStatement(countSql)) {
      for (int i = 0; i < params.length; i++) {
        ps.setLong(i + 1, params[i]);
      }
      await()
          .atMost(Duration.ofSeconds(5))
          .untilAsserted(
              () -> {
                try (ResultSet rs = ps.executeQuery()) {
                  rs.next();
                  assertThat(rs.getInt(1)).as(as).isZero();
                }
              });
    }
  }

  /**
   * {@code pool}, whose connections' {@code PGConnection.getNotifications(timeout)} throws once
   * each time {@code failNext} is set (and clears it).
   */
  private static DataSource failingNotifications(
      DataSource pool, AtomicBoolean failNext, AtomicBoolean failUnlisten) {
    return (DataSource)
        Proxy.newProxyInstance(
            DataSource.class.getClassLoader(),
            new Class<?>[] {DataSource.class},
            (proxy, method, args) -> {
              Object result = invoke(pool, method, args);
              return method.getName().equals("getConnection")
                  ? failingConnection((Connection) result, failNext, failUnlisten)
                  : result;
            });
  }

  private static Connection failingConnection(
      Connection real, AtomicBoolean failNext, AtomicBoolean failUnlisten) {
    return (Connection)
        Proxy.newProxyInstance(
            Connection.class.getClassLoader(),
            new Class<?>[] {Connection.class},
            (proxy, method, args) -> {
              if (method.getName().equals("unwrap") && args[0] == PGConnection.class) {
                PGConnection pg = real.unwrap(PGConnection.class);
                return Proxy.newProxyInstance(
                    PGConnection.class.getClassLoader(),
                    new Class<?>[] {PGConnection.class},
                    (p2, m2, a2) -> {
                      if (m2.getName().equals("getNotifications")
                          && a2 != null
                          && failNext.compareAndSet(true, false)) {
                        throw new SQLException("injected failure", "08006");
                      }
                      return invoke(pg, m2, a2);
                    });
              }
              if (method.getName().equals("createStatement") && args == null) {
                Statement st = real.createStatement();
                return Proxy.newProxyInstance(
                    Statement.class.getClassLoader(),
                    new Class<?>[] {Statement.class},
                    (p2, m2, a2) -> {
                      if (m2.getName().equals("execute")
                          && "UNLISTEN *".equals(a2[0])
                          && failUnlisten.compareAndSet(true, false)) {
                        throw new SQLException("injected UNLISTEN failure", "08006");
                      }
                      return invoke(st, m2, a2);
                    });
              }
              return invoke(real, method, args);
            });
  }

  private static Object invoke(Object target, Method method, Object[] args) throws Throwable {
    try {
      return method.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  /** The pid of the one backend of the listen pool that has run LISTEN. */
  private static int listenBackend() throws SQLException {
    try (Connection c = db.connect();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT pid FROM pg_stat_activity"
                    + " WHERE application_name = 'errand-listen-test' AND query LIKE 'LISTEN%'"
                    + " AND datname = current_database()")) {
      List<Integer> pids = new ArrayList<>();
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () -> {
                pids.clear();
                try (ResultSet rs = ps.executeQuery()) {
                  while (rs.next()) {
                    pids.add(rs.getInt(1));
                  }
                }
                return pids.size() == 1;
              });
      return pids.get(0);
    }
  }

  // ------------------------------------------------------------------ the caller's transaction

  @Test
  void enqueue_on_the_callers_connection_exists_only_if_the_caller_commits() throws Exception {
    List<String> heard = new CopyOnWriteArrayList<>();
    subscribe(other, heard);
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      long rolledBack = store.enqueue(c, List.of(job("rolled-back"))).get(0).id();
      assertThat(store.find(rolledBack)).as("invisible before the caller commits").isEmpty();
      c.rollback();
      assertThat(store.find(rolledBack)).isEmpty();

      List<EnqueueResult> kept = store.enqueue(c, List.of(job("committed"), job("committed")));
      assertThat(c.isClosed()).isFalse();
      assertThat(c.getAutoCommit()).isFalse();
      assertThat(store.find(kept.get(0).id())).isEmpty();
      c.commit();
      assertThat(store.findAll(List.of(kept.get(0).id(), kept.get(1).id()))).hasSize(2);
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> heard.contains("committed"));
    assertThat(heard).containsExactly("committed");
  }

  @Test
  void work_in_the_completing_transaction_commits_with_success_and_rolls_back_without_it()
      throws Exception {
    try (Connection c = db.connect();
        Statement st = c.createStatement()) {
      st.execute("CREATE TABLE IF NOT EXISTS ledger (job BIGINT PRIMARY KEY)");
      st.execute("TRUNCATE ledger");
    }
    store.enqueue(List.of(job("tx"), job("tx"), job("tx")));
    List<ClaimedJob> cs = store.claim("tx", 3, "n1", LEASE);

    ClaimedJob ok = cs.get(0);
    String r =
        store.completeInTransaction(
            Completion.succeeded(ok.job().id(), ok.fence(), "{\"ok\":1}"),
            c -> {
              assertThat(c.getAutoCommit()).isFalse();
              insertLedger(c, ok.job().id());
              return "done";
            });
    assertThat(r).isEqualTo("done");
    assertThat(store.find(ok.job().id()).orElseThrow().state()).isEqualTo(JobState.SUCCEEDED);

    ClaimedJob cancelled = cs.get(1);
    store.cancel(cancelled.job().id());
    assertThatThrownBy(
            () ->
                store.completeInTransaction(
                    Completion.succeeded(cancelled.job().id(), cancelled.fence(), null),
                    c -> insertLedger(c, cancelled.job().id())))
        .isInstanceOf(LeaseLostException.class)
        .satisfies(
            e -> assertThat(((LeaseLostException) e).jobId()).isEqualTo(cancelled.job().id()));
    assertThat(store.find(cancelled.job().id()).orElseThrow().state())
        .isEqualTo(JobState.CANCELLED);

    ClaimedJob failing = cs.get(2);
    assertThatThrownBy(
            () ->
                store.completeInTransaction(
                    Completion.succeeded(failing.job().id(), failing.fence(), null),
                    c -> {
                      insertLedger(c, failing.job().id());
                      throw new IOException("handler's own failure");
                    }))
        .isInstanceOf(IOException.class)
        .hasMessage("handler's own failure");
    assertThat(store.find(failing.job().id()).orElseThrow().state()).isEqualTo(JobState.RUNNING);

    assertThat(ledger()).containsExactly(ok.job().id());
  }

  private static int insertLedger(Connection c, long id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO ledger (job) VALUES (?)")) {
      ps.setLong(1, id);
      return ps.executeUpdate();
    }
  }

  private static List<Long> ledger() throws SQLException {
    List<Long> out = new ArrayList<>();
    try (Connection c = db.connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT job FROM ledger ORDER BY job")) {
      while (rs.next()) {
        out.add(rs.getLong(1));
      }
    }
    return out;
  }

  // ------------------------------------------------------------------ plans

  @Test
  void claim_reads_the_partial_index_however_many_jobs_have_finished() throws Exception {
    try (Connection c = db.connect();
        Statement st = c.createStatement()) {
      st.execute(
          "INSERT INTO errand_jobs (type, queue, payload, state, max_attempts, run_at,"
              + " created_at, finished_at, attempt)"
              + " SELECT 't', 'q' || (g % 4), '{}', 'SUCCEEDED', 3, now() - interval '1 day',"
              + " now() - interval '1 day', now() - interval '1 hour', 1"
              + " FROM generate_series(1, 100000) g");
    }
    store.enqueue(List.of(job("q1"), job("q1"), job("q2")));
    store.enqueue(List.of(job("q1", Instant.now().plusSeconds(3600))));
    try (Connection c = db.connect();
        Statement st = c.createStatement()) {
      st.execute("ANALYZE errand_jobs");
    }

    String claimPlan =
        explain(PostgresJobStore.CLAIM_SQL, "q1", 10, "q1", 10, 30_000_000L, "n1", "q1", 10);
    // due jobs only: QUEUED ones in claim order, waiting ones by a range on their due time
    assertThat(claimPlan)
        .contains("errand_jobs_ready")
        .contains("errand_jobs_waiting")
        .contains("(run_at <= now())")
        .doesNotContain("Seq Scan on errand_jobs");
    String rescuePlan = explain(PostgresJobStore.RESCUE_SQL, 3, 100);
    assertThat(rescuePlan)
        .contains("errand_jobs_running")
        .doesNotContain("Seq Scan on errand_jobs");

    assertThat(store.claim("q1", 10, "n1", LEASE)).hasSize(2);
    assertThat(store.liveCounts().byState().get(JobState.RUNNING)).isEqualTo(2);
  }

  @Test
  void enqueues_without_unique_keys_insert_without_the_speculative_conflict_check()
      throws Exception {
    Object[] one = {"t", "q", "{}", 0, 3, null, "", null, "2026-01-01T00:00:00Z"};
    Object[] batch = new Object[9];
    // the plans are taken without running the statements; the arrays only need their types
    try (Connection c = db.connect()) {
      batch[0] = c.createArrayOf("text", new String[] {"t"});
      batch[1] = c.createArrayOf("text", new String[] {"q"});
      batch[2] = c.createArrayOf("text", new String[] {"{}"});
      batch[3] = c.createArrayOf("int4", new Integer[] {0});
      batch[4] = c.createArrayOf("int4", new Integer[] {3});
      batch[5] = c.createArrayOf("text", new String[] {"2026-01-01T00:00:00Z"});
      batch[6] = c.createArrayOf("text", new String[] {null});
      batch[7] = c.createArrayOf("text", new String[] {""});
      batch[8] = c.createArrayOf("text", new String[] {null});
    }
    for (String keyed :
        List.of(PostgresJobStore.ENQUEUE_ONE_SQL, PostgresJobStore.ENQUEUE_ONE_QUIET_SQL)) {
      assertThat(explain(keyed, one)).contains("Conflict Arbiter Indexes: errand_jobs_unique_live");
    }
    for (String keyed : List.of(PostgresJobStore.ENQUEUE_SQL, PostgresJobStore.ENQUEUE_QUIET_SQL)) {
      assertThat(explain(keyed, batch))
          .contains("Conflict Arbiter Indexes: errand_jobs_unique_live");
    }
    for (String keyless :
        List.of(
            PostgresJobStore.ENQUEUE_ONE_KEYLESS_SQL,
            PostgresJobStore.ENQUEUE_ONE_KEYLESS_QUIET_SQL)) {
      assertThat(explain(keyless, one))
          .contains("Insert on errand_jobs")
          .doesNotContain("Conflict");
    }
    for (String keyless :
        List.of(PostgresJobStore.ENQUEUE_KEYLESS_SQL, PostgresJobStore.ENQUEUE_KEYLESS_QUIET_SQL)) {
      assertThat(explain(keyless, batch))
          .contains("Insert on errand_jobs")
          .doesNotContain("Conflict");
    }
    assertThat(PostgresJobStore.ENQUEUE_ONE_KEYLESS_SQL)
        .isEqualTo(
            PostgresJobStore.ENQUEUE_ONE_SQL.replaceAll(
                "\\s+ON CONFLICT [^)]*\\) WHERE [^)]*\\) DO NOTHING", ""));
    assertThatThrownBy(() -> PostgresJobStore.withoutConflictClause("INSERT INTO t VALUES (1)"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("no ON CONFLICT clause");

    // keyed and keyless jobs in one batch take the keyed statement, and the key still holds
    long first = store.enqueue(List.of(keyed("k1"))).get(0).id();
    List<EnqueueResult> mixed = store.enqueue(List.of(job("q"), keyed("k1"), job("q")));
    assertThat(mixed).extracting(EnqueueResult::created).containsExactly(true, false, true);
    assertThat(mixed.get(1).id()).isEqualTo(first);
    assertThat(store.enqueue(List.of(job("q"), job("q"))))
        .extracting(EnqueueResult::created)
        .containsExactly(true, true);
    assertThat(store.liveCounts().byState().get(JobState.QUEUED)).isEqualTo(5);
  }

  private static String explain(String sql, Object... params) throws SQLException {
    try (Connection c = db.connect();
        PreparedStatement ps = c.prepareStatement("EXPLAIN " + sql)) {
      for (int i = 0; i < params.length; i++) {
        ps.setObject(i + 1, params[i]);
      }
      StringBuilder plan = new StringBuilder();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          plan.append(rs.getString(1)).append('\n');
        }
      }
      return plan.toString();
    }
  }

  @Test
  void heartbeat_is_a_hot_update() throws Exception {
    store.enqueue(List.of(job("hot")));
    ClaimedJob c = store.claim("hot", 1, "n1", LEASE).get(0);
    try (Connection conn = db.connect()) {
      conn.setAutoCommit(false);
      try (PreparedStatement ps = conn.prepareStatement(PostgresJobStore.HEARTBEAT_SQL)) {
        ps.setArray(1, conn.createArrayOf("int8", new Long[] {c.job().id()}));
        ps.setArray(2, conn.createArrayOf("int8", new Long[] {c.fence()}));
        ps.setArray(3, conn.createArrayOf("int4", new Integer[] {50}));
        ps.setLong(4, 60_000_000L);
        ps.executeQuery().close();
      }
      try (Statement st = conn.createStatement();
          ResultSet rs =
              st.executeQuery(
                  "SELECT pg_stat_get_xact_tuples_updated('errand_jobs'::regclass),"
                      + " pg_stat_get_xact_tuples_hot_updated('errand_jobs'::regclass)")) {
        rs.next();
        assertThat(rs.getLong(1)).isEqualTo(1);
        assertThat(rs.getLong(2)).as("HOT updates").isEqualTo(1);
      }
      conn.commit();
    }
    assertThat(store.find(c.job().id()).orElseThrow().progress()).isEqualTo(50);
  }

  /**
   * The mixed benchmark logged "deadlock detected" between a heartbeat and the completer: each
   * batch update held some of the node's rows and waited for one the other held. Here another
   * transaction holds job B and then asks for job A while a heartbeat of A and B runs; a heartbeat
   * that waited for B while holding A closed that cycle.
   */
  @Test
  void a_heartbeat_skips_a_row_another_transaction_holds_and_does_not_report_it_lost()
      throws Exception {
    store.enqueue(List.of(job("hb"), job("hb")));
    List<ClaimedJob> claimed = store.claim("hb", 2, "n1", LEASE);
    assertThat(claimed).hasSize(2);
    ClaimedJob a = claimed.get(0);
    ClaimedJob b = claimed.get(1);
    Instant leaseOfB = store.find(b.job().id()).orElseThrow().leaseUntil();
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try (Connection other = db.connect()) {
      other.setAutoCommit(false);
      try (PreparedStatement lock =
          other.prepareStatement("SELECT id FROM errand_jobs WHERE id = ? FOR UPDATE")) {
        lock.setLong(1, b.job().id());
        lock.executeQuery().close();
      }
      Future<Set<Long>> beat =
          pool.submit(
              () ->
                  store.heartbeat(
                      List.of(
                          new LeaseRef(a.job().id(), a.fence(), 10),
                          new LeaseRef(b.job().id(), b.fence(), 20)),
                      Duration.ofMinutes(10)));
      // a heartbeat that waits for B never returns while B is held
      assertThat(beat.get(60, TimeUnit.SECONDS)).as("lost").isEmpty();
      // and A is free for the other transaction at once: no cycle left to close
      try (PreparedStatement lock =
          other.prepareStatement("SELECT id FROM errand_jobs WHERE id = ? FOR UPDATE NOWAIT")) {
        lock.setLong(1, a.job().id());
        lock.executeQuery().close();
      }
      other.rollback();
    } finally {
      pool.shutdownNow();
    }
    Job renewed = store.find(a.job().id()).orElseThrow();
    assertThat(renewed.progress()).isEqualTo(10);
    assertThat(renewed.leaseUntil()).isAfter(Instant.now().plus(Duration.ofMinutes(5)));
    Job skipped = store.find(b.job().id()).orElseThrow();
    assertThat(skipped.leaseUntil()).as("left for the next heartbeat").isEqualTo(leaseOfB);
    assertThat(skipped.progress()).isNull();
    // the next heartbeat, with B free again, renews it
    assertThat(store.heartbeat(List.of(new LeaseRef(b.job().id(), b.fence(), 20)), LEASE))
        .isEmpty();
    assertThat(store.find(b.job().id()).orElseThrow().progress()).isEqualTo(20);
    // a fenced-out lease is still reported lost, locked or not
    assertThat(store.heartbeat(List.of(new LeaseRef(b.job().id(), b.fence() + 1, null)), LEASE))
        .containsExactly(b.job().id());
  }

  // ------------------------------------------------------------------ many nodes

  @Test
  void eight_claimers_on_two_stores_never_get_the_same_job() throws Exception {
    int total = 3000;
    List<NewJob> batch = new ArrayList<>();
    for (int i = 0; i < total; i++) {
      batch.add(job("race"));
    }
    store.enqueue(batch);
    Map<Long, String> claimedBy = new ConcurrentHashMap<>();
    List<Long> duplicates = Collections.synchronizedList(new ArrayList<>());
    ExecutorService pool = Executors.newFixedThreadPool(8);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<?>> fs = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      PostgresJobStore s = t % 2 == 0 ? store : other;
      String node = "w" + t;
      fs.add(
          pool.submit(
              () -> {
                go.await();
                while (true) {
                  List<ClaimedJob> got = s.claim("race", 10, node, LEASE);
                  if (got.isEmpty()) {
                    return null;
                  }
                  List<Completion> done = new ArrayList<>();
                  for (ClaimedJob c : got) {
                    if (claimedBy.putIfAbsent(c.job().id(), node) != null) {
                      duplicates.add(c.job().id());
                    }
                    done.add(Completion.succeeded(c.job().id(), c.fence(), null));
                  }
                  assertThat(s.complete(done)).isEmpty();
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
    assertThat(new HashSet<>(claimedBy.values())).hasSizeGreaterThan(1);
    assertThat(store.counts().count(JobState.SUCCEEDED)).isEqualTo(total);
  }

  @Test
  void two_rescuers_rescue_each_expired_job_once() throws Exception {
    int n = 60;
    List<NewJob> batch = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      batch.add(job("lease"));
    }
    store.enqueue(batch);
    List<ClaimedJob> claimed = store.claim("lease", n, "dead", Duration.ofMillis(1));
    Instant expiry =
        claimed.stream().map(c -> c.job().leaseUntil()).max(Instant::compareTo).orElseThrow();
    await().atMost(Duration.ofSeconds(10)).until(() -> store.now().isAfter(expiry));

    ExecutorService pool = Executors.newFixedThreadPool(2);
    CountDownLatch go = new CountDownLatch(1);
    Future<List<Rescue>> a =
        pool.submit(
            () -> {
              go.await();
              return store.rescueExpired(3, 1000);
            });
    Future<List<Rescue>> b =
        pool.submit(
            () -> {
              go.await();
              return other.rescueExpired(3, 1000);
            });
    go.countDown();
    List<Rescue> all = new ArrayList<>(a.get(30, TimeUnit.SECONDS));
    all.addAll(b.get(30, TimeUnit.SECONDS));
    pool.shutdownNow();
    assertThat(all).hasSize(n);
    assertThat(all.stream().map(Rescue::id).distinct()).hasSize(n);
    for (Job j : store.findAll(claimed.stream().map(c -> c.job().id()).toList())) {
      assertThat(j.rescues()).isEqualTo(1);
      assertThat(j.errors()).hasSize(1);
      assertThat(j.state()).isEqualTo(JobState.RETRYING);
    }
  }

  @Test
  void rescue_writes_the_same_error_entries_as_the_memory_store() {
    NewJob n = new NewJob("t", "q", "{}", 0, 5, Instant.now(), null, Set.of(), null);
    long id = store.enqueue(List.of(n)).get(0).id();
    for (int round = 1; round <= 2; round++) {
      ClaimedJob c = store.claim("q", 1, "node-" + round, Duration.ofMillis(1)).get(0);
      List<Rescue> r = new ArrayList<>();
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () -> {
                r.addAll(store.rescueExpired(2, 10));
                return !r.isEmpty();
              });
      assertThat(r.get(0).attempt()).isEqualTo(c.job().attempt());
    }
    Job j = store.find(id).orElseThrow();
    assertThat(j.errors()).hasSize(2);
    assertThat(j.errors().get(0).kind()).isEqualTo("rescued");
    assertThat(j.errors().get(0).message())
        .isEqualTo("lease expired on node node-1 (node presumed dead)");
    assertThat(j.errors().get(0).attempt()).isEqualTo(1);
    assertThat(j.errors().get(1).kind()).isEqualTo("quarantined");
    assertThat(j.errors().get(1).message())
        .isEqualTo("quarantined: the lease expired 2 times (limit 2), last on node node-2");
    assertThat(j.errors().get(1).attempt()).isEqualTo(2);
    assertThat(j.errors().get(1).at()).isBetween(j.startedAt(), store.now());
    assertThat(j.lastError()).isEqualTo(j.errors().get(1).message());
    assertThat(j.state()).isEqualTo(JobState.FAILED);
  }

  @Test
  void unique_enqueues_racing_completions_always_name_a_job_with_that_key() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(5);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<List<EnqueueResult>>> enqueuers = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      PostgresJobStore s = t % 2 == 0 ? store : other;
      enqueuers.add(
          pool.submit(
              () -> {
                go.await();
                List<EnqueueResult> out = new ArrayList<>();
                for (int i = 0; i < 150; i++) {
                  out.add(s.enqueue(List.of(keyed("hot-key"))).get(0));
                }
                return out;
              }));
    }
    AtomicInteger finished = new AtomicInteger();
    Future<?> finisher =
        pool.submit(
            () -> {
              go.await();
              while (!enqueuers.stream().allMatch(Future::isDone)) {
                for (ClaimedJob c : other.claim("q", 10, "n", LEASE)) {
                  other.complete(List.of(Completion.succeeded(c.job().id(), c.fence(), null)));
                  finished.incrementAndGet();
                }
              }
              return null;
            });
    go.countDown();
    Set<Long> ids = new HashSet<>();
    for (Future<List<EnqueueResult>> f : enqueuers) {
      f.get(60, TimeUnit.SECONDS).forEach(r -> ids.add(r.id()));
    }
    finisher.get(60, TimeUnit.SECONDS);
    pool.shutdownNow();
    assertThat(finished.get()).isPositive();
    for (Job j : store.findAll(ids)) {
      assertThat(j.uniqueKey()).isEqualTo("hot-key");
    }
    assertThat(store.findAll(ids)).hasSameSizeAs(ids);
    assertThat(store.liveCounts().rows().stream().mapToLong(r -> r.count()).sum())
        .isLessThanOrEqualTo(1);
  }

  // ------------------------------------------------------------------ enqueue

  @Test
  void batch_of_ten_thousand_returns_ids_in_input_order() {
    store.enqueue(List.of(job("warm-up")));
    List<NewJob> batch = new ArrayList<>();
    for (int i = 0; i < 10_000; i++) {
      batch.add(
          new NewJob(
              "t",
              "bulk",
              "{\"i\":" + i + "}",
              i % 3,
              3,
              Instant.now(),
              null,
              Set.of("t" + (i % 5)),
              null));
    }
    long start = System.nanoTime();
    List<EnqueueResult> r = store.enqueue(batch);
    long nanos = System.nanoTime() - start;
    System.out.printf(
        "enqueued 10,000 jobs in one batch in %d ms (%,.0f jobs/s)%n",
        nanos / 1_000_000, 10_000 / (nanos / 1e9));
    assertThat(r).hasSize(10_000).allMatch(EnqueueResult::created);
    for (int i = 1; i < r.size(); i++) {
      assertThat(r.get(i).id()).isGreaterThan(r.get(i - 1).id());
    }
    Map<Long, Integer> indexOf = new java.util.HashMap<>();
    for (int i = 0; i < r.size(); i++) {
      indexOf.put(r.get(i).id(), i);
    }
    List<Job> stored = store.findAll(indexOf.keySet());
    assertThat(stored).hasSize(10_000);
    for (Job j : stored) {
      int i = indexOf.get(j.id());
      assertThat(j.payload()).isEqualTo("{\"i\":" + i + "}");
      assertThat(j.tags()).containsExactly("t" + (i % 5));
    }
  }

  @Test
  void instants_round_trip_exactly_in_a_non_utc_session() throws Exception {
    try (Connection c = db.dataSource().getConnection();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SHOW TimeZone")) {
      rs.next();
      assertThat(rs.getString(1)).isEqualTo(PgTestDatabase.SESSION_TIME_ZONE);
    }
    // 02:30 on this day does not exist in New York (spring forward)
    Instant inTheGap = Instant.parse("2030-03-10T07:30:00.123456Z");
    Instant nanos = Instant.parse("2031-01-01T00:00:00.123456789Z");
    long a = store.enqueue(List.of(job("tz", inTheGap))).get(0).id();
    long b = store.enqueue(List.of(job("tz", nanos))).get(0).id();
    assertThat(store.find(a).orElseThrow().runAt()).isEqualTo(inTheGap);
    assertThat(store.find(b).orElseThrow().runAt())
        .isEqualTo(Instant.parse("2031-01-01T00:00:00.123456Z"));

    Instant dbNow = store.now();
    assertThat(Duration.between(dbNow, Instant.now()).abs()).isLessThan(Duration.ofSeconds(5));
    store.enqueue(List.of(job("tz2")));
    ClaimedJob c = store.claim("tz2", 1, "n1", Duration.ofMinutes(10)).get(0);
    assertThat(Duration.between(c.job().startedAt(), c.job().leaseUntil()))
        .isEqualTo(Duration.ofMinutes(10));
  }

  // ------------------------------------------------------------------ migrations

  @Test
  void schema_modes_validate_name_pending_versions_and_concurrent_migrations_apply_once()
      throws Exception {
    try (PgTestDatabase fresh = PgTestDatabase.create()) {
      PostgresJobStore none =
          PostgresJobStore.builder(fresh.dataSource()).schemaMode(SchemaMode.NONE).build();
      none.open();
      assertThat(tableExists(fresh, "errand_jobs")).isFalse();

      PostgresJobStore validate =
          PostgresJobStore.builder(fresh.dataSource()).schemaMode(SchemaMode.VALIDATE).build();
      assertThatThrownBy(validate::open)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("V1 (V1__jobs.sql)")
          .hasMessageContaining("SchemaMode.MIGRATE");

      ExecutorService pool = Executors.newFixedThreadPool(4);
      CountDownLatch go = new CountDownLatch(1);
      List<Future<?>> fs = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        fs.add(
            pool.submit(
                () -> {
                  go.await();
                  PostgresJobStore.create(fresh.dataSource()).open();
                  return null;
                }));
      }
      go.countDown();
      for (Future<?> f : fs) {
        f.get(30, TimeUnit.SECONDS);
      }
      pool.shutdownNow();
      validate.open();
      try (Connection c = fresh.connect();
          Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT count(*) FROM errand_schema_version")) {
        rs.next();
        assertThat(rs.getInt(1)).isEqualTo(Migrations.scripts("postgresql").size());
      }
      assertThat(tableExists(fresh, "errand_jobs")).isTrue();
    }
  }

  /**
   * V4: the claim steps over the dead entries its earlier claims left at the head of the ready
   * index until a vacuum removes them, so errand_jobs is vacuumed after a fixed number of dead
   * rows, and always with its index pass. PostgreSQL's default (INDEX_CLEANUP AUTO) skips that pass
   * when the dead rows sit on under 2 % of the table's pages, as the claimed jobs of a table full
   * of finished ones do.
   */
  @Test
  void errand_jobs_is_vacuumed_after_a_fixed_count_of_dead_rows_and_always_with_its_indexes()
      throws Exception {
    try (PgTestDatabase fresh = PgTestDatabase.create()) {
      PostgresJobStore s = PostgresJobStore.create(fresh.dataSource());
      s.open();
      try (Connection c = fresh.connect();
          Statement st = c.createStatement()) {
        try (ResultSet rs =
            st.executeQuery(
                "SELECT unnest(reloptions) FROM pg_class WHERE oid = 'errand_jobs'::regclass")) {
          List<String> options = new ArrayList<>();
          while (rs.next()) {
            options.add(rs.getString(1));
          }
          assertThat(options)
              .contains(
                  "autovacuum_vacuum_scale_factor=0",
                  "autovacuum_vacuum_threshold=10000",
                  "vacuum_index_cleanup=on");
        }
        st.execute(
            "INSERT INTO errand_jobs (type, queue, payload, state, max_attempts, run_at,"
                + " finished_at) SELECT 't', 'old', '{}', 'SUCCEEDED', 3, now(), now()"
                + " FROM generate_series(1, 100000)");
        st.execute("VACUUM errand_jobs");

        String with = vacuumAfterClaims(s, st, "with");
        assertThat(indexPassRan(with)).as(with).isTrue();
        assertThat(with).doesNotContain("index scan bypassed");
        st.execute("ALTER TABLE errand_jobs RESET (vacuum_index_cleanup)");
        String without = vacuumAfterClaims(s, st, "without");
        assertThat(without)
            .as("PostgreSQL's default, for comparison")
            .contains("index scan bypassed");
        assertThat(indexPassRan(without)).as(without).isFalse();
      } finally {
        s.close();
      }
    }
  }

  /** Whether a {@code VACUUM (VERBOSE)} report shows the index pass (PostgreSQL 15+ or 14). */
  private static boolean indexPassRan(String report) {
    return report.contains("index scan needed")
        || report.contains("scanned index \"errand_jobs_ready\"");
  }

  /** Claims and completes 50 jobs, then returns what {@code VACUUM (VERBOSE)} reported. */
  private static String vacuumAfterClaims(PostgresJobStore s, Statement st, String queue)
      throws SQLException {
    List<NewJob> jobs = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      jobs.add(job(queue));
    }
    s.enqueue(jobs);
    List<Completion> done = new ArrayList<>();
    for (ClaimedJob c : s.claim(queue, 50, "n1", LEASE)) {
      done.add(Completion.succeeded(c.job().id(), c.fence(), null));
    }
    assertThat(done).hasSize(50);
    s.complete(done);
    st.clearWarnings();
    st.execute("VACUUM (VERBOSE) errand_jobs");
    StringBuilder out = new StringBuilder();
    for (SQLWarning w = st.getWarnings(); w != null; w = w.getNextWarning()) {
      out.append(w.getMessage()).append('\n');
    }
    return out.toString();
  }

  private static boolean tableExists(PgTestDatabase d, String table) throws SQLException {
    try (Connection c = d.connect();
        PreparedStatement ps = c.prepareStatement("SELECT to_regclass(?)")) {
      ps.setString(1, table);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getString(1) != null;
      }
    }
  }
}
