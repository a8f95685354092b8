package dev.errand.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.errand.AttemptError;
import dev.errand.Job;
import dev.errand.JobState;
import dev.errand.LeaseLostException;
import dev.errand.TestClock;
import dev.errand.spi.ClaimedJob;
import dev.errand.spi.Completion;
import dev.errand.spi.EnqueueResult;
import dev.errand.spi.NewJob;
import dev.errand.spi.Rescue;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the SQLite store adds to the contract suite: the file, WAL, transactions, processes. */
class SqliteJobStoreTest {
  @TempDir Path dir;
  private final List<SqliteJobStore> stores = new ArrayList<>();

  @AfterEach
  void closeStores() {
    stores.forEach(SqliteJobStore::close);
  }

  private Path file() {
    return dir.resolve("jobs.db");
  }

  private SqliteJobStore open(SqliteJobStore.Builder builder) {
    SqliteJobStore s = builder.build();
    stores.add(s);
    s.open();
    return s;
  }

  private SqliteJobStore open() {
    return open(SqliteJobStore.builder(file()));
  }

  private static NewJob job(String queue, int i) {
    return new NewJob("t", queue, "{\"i\":" + i + "}", 0, 3, Instant.now(), null, Set.of(), null);
  }

  private static AttemptError error(int attempt, String message) {
    return new AttemptError(attempt, null, Instant.now(), "error", message, "at x");
  }

  // ------------------------------------------------------------------ the file

  @Test
  void jobs_survive_closing_and_reopening_the_store() {
    SqliteJobStore first = open();
    NewJob keyed =
        new NewJob(
            "mail",
            "q",
            "{\"to\":\"a\"}",
            4,
            5,
            Instant.parse("2030-01-02T03:04:05.123456Z"),
            "key-1",
            Set.of("a", "b"),
            "s-1");
    long scheduled = first.enqueue(List.of(keyed)).get(0).id();
    long failing = first.enqueue(List.of(job("q", 1))).get(0).id();
    ClaimedJob c = first.claim("q", 1, "n1", Duration.ofMinutes(1)).get(0);
    first.complete(List.of(Completion.retry(failing, c.fence(), Instant.now(), error(1, "boom"))));
    first.setPaused("stopped", true);
    first.heartbeatNode(
        new dev.errand.Node("n1", "h", 7, Instant.now(), Instant.now(), Map.of("q", 2)));
    Job before = first.find(scheduled).orElseThrow();
    first.close();

    SqliteJobStore second = open();
    Job after = second.find(scheduled).orElseThrow();
    assertThat(after).isEqualTo(before);
    assertThat(after.state()).isEqualTo(JobState.SCHEDULED);
    assertThat(after.runAt()).isEqualTo(Instant.parse("2030-01-02T03:04:05.123456Z"));
    assertThat(second.enqueue(List.of(keyed)).get(0))
        .isEqualTo(new EnqueueResult(scheduled, false));
    Job retrying = second.find(failing).orElseThrow();
    assertThat(retrying.state()).isEqualTo(JobState.RETRYING);
    assertThat(retrying.errors()).extracting(AttemptError::message).containsExactly("boom");
    assertThat(second.pausedQueues()).containsExactly("stopped");
    assertThat(second.nodes()).extracting(dev.errand.Node::id).containsExactly("n1");
    ClaimedJob again = second.claim("q", 1, "n2", Duration.ofMinutes(1)).get(0);
    assertThat(again.job().id()).isEqualTo(failing);
    assertThat(again.fence()).isGreaterThan(c.fence());
    assertThat(again.job().attempt()).isEqualTo(2);
  }

  @Test
  void file_is_in_wal_mode_and_commits_are_fully_synced_by_default() throws Exception {
    SqliteJobStore store = open();
    try (Connection c = store.dataSource().getConnection()) {
      assertThat(pragma(c, "journal_mode")).isEqualTo("wal");
      assertThat(pragma(c, "synchronous")).isEqualTo("2"); // FULL
      assertThat(pragma(c, "busy_timeout")).isEqualTo("10000");
    }
    SqliteJobStore relaxed =
        open(
            SqliteJobStore.builder(dir.resolve("other.db"))
                .synchronous(SqliteJobStore.Synchronous.NORMAL)
                .busyTimeout(Duration.ofMillis(2500)));
    try (Connection c = relaxed.dataSource().getConnection()) {
      assertThat(pragma(c, "synchronous")).isEqualTo("1"); // NORMAL
      assertThat(pragma(c, "busy_timeout")).isEqualTo("2500");
    }
  }

  @Test
  void the_wal_is_checkpointed_in_the_background_not_in_commits() {
    SqliteJobStore store = open();
    // the writer would checkpoint inside a commit only past the backstop
    assertThat(store.writerPragma("wal_autocheckpoint"))
        .isEqualTo(Integer.toString(SqliteCheckpointer.BACKSTOP_PAGES));
    assertThat(Thread.getAllStackTraces().keySet())
        .anyMatch(t -> t.getName().equals(SqliteCheckpointer.THREAD_NAME) && t.isDaemon());
    SqliteCheckpointer checkpointer = store.checkpointer();
    for (int batch = 0; batch < 10; batch++) {
      List<NewJob> jobs = new ArrayList<>();
      for (int i = 0; i < 500; i++) {
        jobs.add(job("q", batch * 500 + i));
      }
      store.enqueue(jobs);
    }
    long after = checkpointer.checkpoints();
    // a checkpoint that starts after the last commit copies the whole WAL into the file
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                checkpointer.checkpoints() > after + 1
                    && checkpointer.walFrames() > 0
                    && checkpointer.copiedFrames() == checkpointer.walFrames());
    assertThat(store.counts().count(JobState.QUEUED)).isEqualTo(5_000);
    store.close();
    assertThat(Thread.getAllStackTraces().keySet())
        .noneMatch(t -> t.getName().equals(SqliteCheckpointer.THREAD_NAME) && t.isAlive());
  }

  private static String pragma(Connection c, String name) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("PRAGMA " + name)) {
      rs.next();
      return rs.getString(1);
    }
  }

  @Test
  void open_creates_missing_parent_directories_and_is_idempotent() {
    SqliteJobStore store = open(SqliteJobStore.builder(dir.resolve("a/b/jobs.db")));
    store.open();
    assertThat(store.path()).exists();
    assertThat(store.enqueue(List.of(job("q", 1)))).hasSize(1);
  }

  @Test
  void closed_store_refuses_work_and_says_so() {
    SqliteJobStore store = open();
    store.close();
    store.close();
    assertThatThrownBy(() -> store.find(1))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
  }

  @Test
  void builder_rejects_bad_settings_naming_the_value() {
    assertThatThrownBy(() -> SqliteJobStore.builder(file()).readConnections(0))
        .hasMessageContaining("got 0");
    assertThatThrownBy(() -> SqliteJobStore.builder(file()).busyTimeout(Duration.ZERO))
        .hasMessageContaining("PT0S");
    assertThatThrownBy(() -> SqliteJobStore.builder(Path.of("jobs.db?mode=memory")).build())
        .hasMessageContaining("jobs.db?mode=memory");
  }

  // ------------------------------------------------------------------ schema

  @Test
  void migrations_run_once_and_a_second_store_on_the_file_finds_the_schema_current()
      throws Exception {
    SqliteJobStore first = open();
    SqliteJobStore second = open(SqliteJobStore.builder(file()).schemaMode(SchemaMode.VALIDATE));
    assertThat(second.counts().rows()).isEmpty();
    try (Connection c = first.dataSource().getConnection();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery("SELECT version, name FROM errand_schema_version ORDER BY version")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getInt(1)).isEqualTo(1);
      assertThat(rs.getString(2)).isEqualTo("V1__jobs.sql");
      assertThat(rs.next()).isTrue();
      assertThat(rs.getInt(1)).isEqualTo(2);
      assertThat(rs.getString(2)).isEqualTo("V2__schedules.sql");
      assertThat(rs.next()).isTrue();
      assertThat(rs.getInt(1)).isEqualTo(3);
      assertThat(rs.getString(2)).isEqualTo("V3__claim_indexes.sql");
      assertThat(rs.next()).isFalse();
    }
  }

  @Test
  void validate_mode_fails_on_a_new_file_naming_the_pending_migrations() {
    SqliteJobStore store = SqliteJobStore.builder(file()).schemaMode(SchemaMode.VALIDATE).build();
    stores.add(store);
    assertThatThrownBy(store::open)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("V1__jobs.sql")
        .hasMessageContaining("SchemaMode.MIGRATE");
  }

  @Test
  void none_mode_leaves_the_schema_to_the_user() {
    SqliteJobStore store = open(SqliteJobStore.builder(file()).schemaMode(SchemaMode.NONE));
    assertThatThrownBy(() -> store.enqueue(List.of(job("q", 1))))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("no such table");
  }

  // ------------------------------------------------------------------ transactions

  @Test
  void job_enqueued_on_the_callers_connection_exists_only_if_that_transaction_commits()
      throws Exception {
    SqliteJobStore store = open();
    try (Connection c = store.dataSource().getConnection();
        Statement st = c.createStatement()) {
      st.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, note TEXT NOT NULL)");
    }

    long rolledBack;
    try (Connection c = store.dataSource().getConnection()) {
      c.setAutoCommit(false);
      insertOrder(c, "lost");
      rolledBack = store.enqueue(c, List.of(job("q", 1))).get(0).id();
      assertThat(store.find(rolledBack)).as("invisible before commit").isEmpty();
      c.rollback();
    }
    assertThat(store.counts().rows()).isEmpty();

    long committed;
    try (Connection c = store.dataSource().getConnection()) {
      c.setAutoCommit(false);
      insertOrder(c, "kept");
      committed = store.enqueue(c, List.of(job("q", 2))).get(0).id();
      c.commit();
    }
    assertThat(store.find(committed)).get().extracting(Job::payload).isEqualTo("{\"i\":2}");
    assertThat(store.counts().count(JobState.QUEUED)).isEqualTo(1);
    try (Connection c = store.dataSource().getConnection();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT note FROM orders")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getString(1)).isEqualTo("kept");
      assertThat(rs.next()).isFalse();
    }
    assertThat(store.claim("q", 10, "n", Duration.ofMinutes(1))).hasSize(1);
  }

  @Test
  void a_callers_commit_wakes_the_subscribers_of_the_queues_it_enqueued_and_a_rollback_does_not()
      throws Exception {
    SqliteJobStore store = open();
    List<String> woken = new java.util.concurrent.CopyOnWriteArrayList<>();
    AutoCloseable sub = store.subscribe(woken::add);
    try (Connection c = store.dataSource().getConnection()) {
      c.setAutoCommit(false);
      store.enqueue(c, List.of(job("rolled-back", 1)));
      c.rollback();
      store.enqueue(c, List.of(job("q", 1), job("q", 2), job("other", 3)));
      assertThat(woken).as("nothing before the commit").isEmpty();
      c.commit();
      assertThat(woken).containsExactlyInAnyOrder("q", "other");
      woken.clear();
      store.enqueue(
          c,
          List.of(
              new NewJob(
                  "t",
                  "later",
                  "{}",
                  0,
                  3,
                  Instant.now().plusSeconds(3600),
                  null,
                  Set.of(),
                  null)));
      c.commit();
      assertThat(woken).as("a job due later wakes nobody now").isEmpty();
    }
    // through a pool, as applications hold their connections
    com.zaxxer.hikari.HikariConfig h = new com.zaxxer.hikari.HikariConfig();
    h.setDataSource(store.dataSource());
    h.setMaximumPoolSize(1);
    try (com.zaxxer.hikari.HikariDataSource pool = new com.zaxxer.hikari.HikariDataSource(h);
        Connection c = pool.getConnection()) {
      c.setAutoCommit(false);
      store.enqueue(c, List.of(job("pooled", 1)));
      c.commit();
      assertThat(woken).containsExactly("pooled");
    }
    sub.close();
    woken.clear();
    try (Connection c = store.dataSource().getConnection()) {
      c.setAutoCommit(false);
      store.enqueue(c, List.of(job("q", 9)));
      c.commit();
    }
    assertThat(woken).as("unsubscribed").isEmpty();
  }

  private static void insertOrder(Connection c, String note) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO orders (note) VALUES (?)")) {
      ps.setString(1, note);
      ps.executeUpdate();
    }
  }

  @Test
  void enqueue_on_a_connection_outside_a_transaction_or_to_another_file_is_refused()
      throws Exception {
    SqliteJobStore store = open();
    try (Connection c = store.dataSource().getConnection()) {
      assertThatThrownBy(() -> store.enqueue(c, List.of(job("q", 1))))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("auto-commit");
    }
    SqliteJobStore other = open(SqliteJobStore.builder(dir.resolve("other.db")));
    try (Connection c = other.dataSource().getConnection()) {
      c.setAutoCommit(false);
      assertThatThrownBy(() -> store.enqueue(c, List.of(job("q", 1))))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("other.db")
          .hasMessageContaining("dataSource()");
    }
  }

  @Test
  void work_and_success_commit_together() throws Exception {
    SqliteJobStore store = open();
    createNotes(store);
    ClaimedJob c = claimOne(store);
    long id = c.job().id();
    String out =
        store.completeInTransaction(
            Completion.succeeded(id, c.fence(), "{\"r\":1}"),
            conn -> {
              assertThat(conn.getAutoCommit()).isFalse();
              insertNote(conn, "done");
              return "ok";
            });
    assertThat(out).isEqualTo("ok");
    assertThat(store.find(id).orElseThrow().state()).isEqualTo(JobState.SUCCEEDED);
    assertThat(store.find(id).orElseThrow().result()).isEqualTo("{\"r\":1}");
    assertThat(notes(store)).containsExactly("done");
  }

  @Test
  void jobs_enqueued_on_the_works_connection_commit_with_it_and_plain_writes_are_refused()
      throws Exception {
    SqliteJobStore store = open();
    ClaimedJob c = claimOne(store);
    long id = c.job().id();
    long followUp =
        store.completeInTransaction(
            Completion.succeeded(id, c.fence(), null),
            conn -> {
              assertThatThrownBy(() -> store.enqueue(List.of(job("q", 3))))
                  .isInstanceOf(IllegalStateException.class)
                  .hasMessageContaining("enqueue(connection, jobs)");
              return store.enqueue(conn, List.of(job("next", 2))).get(0).id();
            });
    assertThat(store.find(followUp)).get().extracting(Job::queue).isEqualTo("next");
    assertThat(store.find(id).orElseThrow().state()).isEqualTo(JobState.SUCCEEDED);
    assertThat(store.counts().rows()).hasSize(2);
  }

  @Test
  void lost_lease_rolls_the_work_back_and_throws() throws Exception {
    SqliteJobStore store = open();
    createNotes(store);
    ClaimedJob c = claimOne(store);
    long id = c.job().id();
    store.cancel(id);
    List<String> ran = new ArrayList<>();
    assertThatThrownBy(
            () ->
                store.completeInTransaction(
                    Completion.succeeded(id, c.fence(), null),
                    conn -> {
                      ran.add("work");
                      insertNote(conn, "should not stay");
                      return null;
                    }))
        .isInstanceOf(LeaseLostException.class)
        .hasMessageContaining("job " + id)
        .satisfies(e -> assertThat(((LeaseLostException) e).jobId()).isEqualTo(id));
    assertThat(ran).isEmpty();
    assertThat(notes(store)).isEmpty();
    assertThat(store.find(id).orElseThrow().state()).isEqualTo(JobState.CANCELLED);
  }

  @Test
  void work_that_changes_its_own_job_row_rolls_back_and_throws() throws Exception {
    SqliteJobStore store = open();
    createNotes(store);
    ClaimedJob c = claimOne(store);
    long id = c.job().id();
    assertThatThrownBy(
            () ->
                store.completeInTransaction(
                    id,
                    c.fence(),
                    conn -> {
                      insertNote(conn, "should not stay");
                      try (var st = conn.createStatement()) {
                        st.executeUpdate(
                            "UPDATE errand_jobs SET fence = fence + 1 WHERE id = " + id);
                      }
                      return null;
                    },
                    () -> null))
        .isInstanceOf(LeaseLostException.class)
        .hasMessageContaining("changed by the transaction's own work");
    assertThat(notes(store)).isEmpty();
    Job after = store.find(id).orElseThrow();
    assertThat(after.state()).isEqualTo(JobState.RUNNING);
  }

  @Test
  void failing_work_rolls_back_its_writes_and_the_success() throws Exception {
    SqliteJobStore store = open();
    createNotes(store);
    ClaimedJob c = claimOne(store);
    long id = c.job().id();
    assertThatThrownBy(
            () ->
                store.completeInTransaction(
                    Completion.succeeded(id, c.fence(), null),
                    conn -> {
                      insertNote(conn, "half");
                      throw new IllegalStateException("handler failed");
                    }))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("handler failed");
    assertThat(notes(store)).isEmpty();
    assertThat(store.find(id).orElseThrow().state()).isEqualTo(JobState.RUNNING);
    assertThat(store.complete(List.of(Completion.succeeded(id, c.fence(), null)))).isEmpty();
  }

  @Test
  void work_cannot_end_the_stores_transaction_or_keep_its_connection() throws Exception {
    SqliteJobStore store = open();
    ClaimedJob c = claimOne(store);
    long id = c.job().id();
    List<Connection> leaked = new ArrayList<>();
    assertThatThrownBy(
            () ->
                store.completeInTransaction(
                    Completion.succeeded(id, c.fence(), null),
                    conn -> {
                      leaked.add(conn);
                      conn.commit();
                      return null;
                    }))
        .isInstanceOf(SQLException.class)
        .hasMessageContaining("commit() is not allowed");
    assertThat(store.find(id).orElseThrow().state()).isEqualTo(JobState.RUNNING);
    store.completeInTransaction(
        Completion.succeeded(id, c.fence(), null),
        conn -> {
          leaked.add(conn);
          return null;
        });
    assertThatThrownBy(() -> leaked.get(1).createStatement())
        .isInstanceOf(SQLException.class)
        .hasMessageContaining("after the transaction");
    // the store still works
    assertThat(store.enqueue(List.of(job("q", 2)))).hasSize(1);
  }

  /** Enqueues one job on queue {@code q} and claims it for node {@code n}. */
  private static ClaimedJob claimOne(SqliteJobStore store) {
    store.enqueue(List.of(job("q", 1)));
    return store.claim("q", 1, "n", Duration.ofMinutes(1)).get(0);
  }

  private static void createNotes(SqliteJobStore store) throws SQLException {
    try (Connection c = store.dataSource().getConnection();
        Statement st = c.createStatement()) {
      st.execute("CREATE TABLE notes (text TEXT NOT NULL)");
    }
  }

  private static void insertNote(Connection c, String text) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO notes (text) VALUES (?)")) {
      ps.setString(1, text);
      ps.executeUpdate();
    }
  }

  private static List<String> notes(SqliteJobStore store) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Connection c = store.dataSource().getConnection();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT text FROM notes")) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return out;
  }

  // ------------------------------------------------------------------ concurrency

  @Test
  void four_threads_claiming_concurrently_never_get_the_same_job() throws Exception {
    SqliteJobStore store = open();
    int total = 2_000;
    List<NewJob> batch = new ArrayList<>();
    for (int i = 0; i < total; i++) {
      batch.add(job("race", i));
    }
    store.enqueue(batch);
    Map<Long, String> claimedBy = new ConcurrentHashMap<>();
    List<Long> duplicates = Collections.synchronizedList(new ArrayList<>());
    ExecutorService pool = Executors.newFixedThreadPool(4);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<?>> workers = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      String node = "w" + t;
      workers.add(
          pool.submit(
              () -> {
                go.await();
                List<ClaimedJob> got;
                while (!(got = store.claim("race", 5, node, Duration.ofMinutes(1))).isEmpty()) {
                  for (ClaimedJob c : got) {
                    if (claimedBy.putIfAbsent(c.job().id(), node) != null) {
                      duplicates.add(c.job().id());
                    }
                  }
                  store.complete(
                      got.stream()
                          .map(c -> Completion.succeeded(c.job().id(), c.fence(), null))
                          .toList());
                }
                return null;
              }));
    }
    go.countDown();
    for (Future<?> w : workers) {
      w.get(60, TimeUnit.SECONDS);
    }
    pool.shutdownNow();
    assertThat(duplicates).isEmpty();
    assertThat(claimedBy).hasSize(total);
    assertThat(claimedBy.values().stream().distinct().count())
        .as("every thread got work")
        .isGreaterThan(1);
    assertThat(store.counts().count(JobState.SUCCEEDED)).isEqualTo(total);
  }

  @Test
  void readers_do_not_wait_for_a_writer_and_writers_wait_for_the_lock() throws Exception {
    SqliteJobStore store = open();
    long id = store.enqueue(List.of(job("q", 1))).get(0).id();
    CompletableFuture<List<EnqueueResult>> blocked;
    try (Connection holder = store.dataSource().getConnection()) {
      holder.setAutoCommit(false); // BEGIN IMMEDIATE: holds SQLite's write lock
      blocked = CompletableFuture.supplyAsync(() -> store.enqueue(List.of(job("q", 2))));
      long started = System.nanoTime();
      assertThat(store.find(id)).isPresent();
      assertThat(store.list(dev.errand.JobQuery.all()).jobs()).hasSize(1);
      assertThat(store.counts().count(JobState.QUEUED)).isEqualTo(1);
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(2));
      assertThat(blocked).isNotDone();
      holder.setAutoCommit(true);
    }
    assertThat(blocked.get(10, TimeUnit.SECONDS)).hasSize(1);
    assertThat(store.counts().count(JobState.QUEUED)).isEqualTo(2);
  }

  // ------------------------------------------------------------------ speed and plans

  @Test
  void batch_of_ten_thousand_jobs_is_stored_in_one_call_with_ids_in_input_order() {
    SqliteJobStore store = open();
    store.enqueue(batch(1_000, "warm-up")); // JIT and page cache
    List<NewJob> jobs = batch(10_000, "q");
    long started = System.nanoTime();
    List<EnqueueResult> results = store.enqueue(jobs);
    Duration took = Duration.ofNanos(System.nanoTime() - started);
    System.out.printf(
        "enqueued 10,000 jobs in %d ms (%.0f jobs/s)%n",
        took.toMillis(), 10_000 / (took.toNanos() / 1e9));

    assertThat(results).hasSize(10_000).allMatch(EnqueueResult::created);
    List<Long> ids = results.stream().map(EnqueueResult::id).toList();
    assertThat(ids).isSorted().doesNotHaveDuplicates();
    Map<Long, String> payloads =
        store.findAll(ids).stream().collect(Collectors.toMap(Job::id, Job::payload));
    for (int i = 0; i < jobs.size(); i++) {
      assertThat(payloads.get(ids.get(i))).isEqualTo(jobs.get(i).payload());
    }
    // generous: catches a statement per job prepared anew or a commit per job, not a slow disk
    assertThat(took).isLessThan(Duration.ofSeconds(3));
  }

  @Test
  void ids_are_never_reused_even_after_the_newest_job_is_deleted() throws Exception {
    SqliteJobStore store = open();
    long first = store.enqueue(List.of(job("q", 1))).get(0).id();
    long newest = store.enqueue(List.of(job("q", 2))).get(0).id();
    assertThat(store.delete(newest)).isTrue();
    long next = store.enqueue(List.of(job("q", 3))).get(0).id();
    assertThat(next).isGreaterThan(newest);
    try (Connection c = store.dataSource().getConnection()) {
      c.setAutoCommit(false);
      long inCallers = store.enqueue(c, List.of(job("q", 4), job("q", 5))).get(1).id();
      assertThat(inCallers).isEqualTo(next + 2);
      c.commit();
    }
    assertThat(store.enqueue(List.of(job("q", 6))).get(0).id()).isEqualTo(next + 3);
    assertThat(first).isLessThan(newest);
  }

  private static List<NewJob> batch(int n, String queue) {
    List<NewJob> jobs = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      jobs.add(
          new NewJob(
              "t",
              queue,
              "{\"i\":" + i + "}",
              i % 3,
              3,
              Instant.now(),
              i % 10 == 0 ? queue + "-key-" + i : null,
              Set.of("x"),
              null));
    }
    return jobs;
  }

  @Test
  void claim_rescue_and_prune_read_their_indexes() throws Exception {
    SqliteJobStore store = open();
    store.enqueue(batch(2_000, "q"));
    try (Connection c = store.dataSource().getConnection()) {
      // due jobs only: QUEUED ones in claim order, waiting ones by a range on their due time
      assertThat(plan(c, SqliteJobStore.CLAIM_READY))
          .contains("INDEX errand_jobs_ready (queue=?)")
          .doesNotContain("SCAN errand_jobs")
          .doesNotContain("TEMP B-TREE");
      assertThat(plan(c, SqliteJobStore.CLAIM_WAITING))
          .contains("USING INDEX errand_jobs_waiting (queue=? AND run_at<?)")
          .doesNotContain("SCAN errand_jobs");
      // the chosen ids by primary key, not by reading every QUEUED row off the state index
      assertThat(plan(c, SqliteJobStore.CLAIM_IDS))
          .contains("INTEGER PRIMARY KEY (rowid=?)")
          .doesNotContain("errand_jobs_state")
          .doesNotContain("SCAN errand_jobs");
      assertThat(plan(c, SqliteJobStore.EXPIRED))
          .contains("USING INDEX errand_jobs_lease (lease_until<?)");
      assertThat(plan(c, SqliteJobStore.PRUNE))
          .contains("errand_jobs_state (state=? AND finished_at<?)")
          .doesNotContain("TEMP B-TREE");
      assertThat(
              plan(
                  c,
                  "SELECT id FROM errand_jobs WHERE unique_key = ? AND state IN"
                      + " ('SCHEDULED', 'QUEUED', 'RUNNING', 'RETRYING')"))
          .contains("errand_jobs_unique_live");
    }
  }

  @Test
  void a_claim_takes_due_jobs_in_order_however_many_wait_for_later() {
    SqliteJobStore store = open();
    Instant later = Instant.now().plusSeconds(3_600);
    List<NewJob> future = new ArrayList<>();
    for (int i = 0; i < 20_000; i++) {
      future.add(new NewJob("t", "q", "{}", 9, 3, later.plusSeconds(i), null, Set.of(), null));
    }
    store.enqueue(future);
    Instant now = Instant.now();
    long low =
        store
            .enqueue(List.of(new NewJob("t", "q", "{}", 0, 3, now, null, Set.of(), null)))
            .get(0)
            .id();
    long high =
        store
            .enqueue(List.of(new NewJob("t", "q", "{}", 5, 3, now, null, Set.of(), null)))
            .get(0)
            .id();
    // a retry that is due competes with QUEUED jobs by priority
    long retry =
        store
            .enqueue(List.of(new NewJob("t", "q", "{}", 7, 3, now, null, Set.of(), null)))
            .get(0)
            .id();
    ClaimedJob r = store.claim("q", 1, "n1", Duration.ofMinutes(1)).get(0);
    assertThat(r.job().id()).isEqualTo(retry);
    store.complete(
        List.of(
            Completion.retry(retry, r.fence(), Instant.now().minusSeconds(1), error(1, "again"))));
    List<ClaimedJob> claimed = store.claim("q", 10, "n1", Duration.ofMinutes(1));
    assertThat(claimed).extracting(cj -> cj.job().id()).containsExactly(retry, high, low);
    assertThat(store.claim("q", 10, "n1", Duration.ofMinutes(1))).isEmpty();
  }

  private static String plan(Connection c, String sql) throws SQLException {
    StringBuilder out = new StringBuilder();
    try (PreparedStatement ps = c.prepareStatement("EXPLAIN QUERY PLAN " + sql);
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.append(rs.getString("detail")).append('\n');
      }
    }
    return out.toString();
  }

  // ------------------------------------------------------------------ the store's clock

  @Test
  void due_times_leases_and_rescues_follow_the_stores_clock() {
    TestClock clock = new TestClock(Instant.parse("2025-03-01T12:00:00Z"));
    SqliteJobStore store = open(SqliteJobStore.builder(file()).clock(clock));
    assertThat(store.now()).isEqualTo(Instant.parse("2025-03-01T12:00:00Z"));
    long id =
        store
            .enqueue(
                List.of(
                    new NewJob(
                        "t",
                        "q",
                        "{}",
                        0,
                        3,
                        clock.instant().plus(Duration.ofHours(1)),
                        null,
                        Set.of(),
                        null)))
            .get(0)
            .id();
    assertThat(store.find(id).orElseThrow().state()).isEqualTo(JobState.SCHEDULED);
    assertThat(store.claim("q", 1, "n", Duration.ofSeconds(30))).isEmpty();

    clock.advance(Duration.ofHours(1));
    ClaimedJob c = store.claim("q", 1, "n", Duration.ofSeconds(30)).get(0);
    assertThat(c.job().startedAt()).isEqualTo(clock.instant());
    assertThat(c.job().leaseUntil()).isEqualTo(clock.instant().plusSeconds(30));

    clock.advance(Duration.ofSeconds(30));
    assertThat(store.rescueExpired(3, 10)).as("lease ends now, not before").isEmpty();
    clock.advance(Duration.ofMillis(1));
    List<Rescue> rescued = store.rescueExpired(3, 10);
    assertThat(rescued).extracting(Rescue::id).containsExactly(id);
    Job j = store.find(id).orElseThrow();
    assertThat(j.runAt()).isEqualTo(clock.instant());
    assertThat(j.errors())
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.at()).isEqualTo(clock.instant());
              assertThat(e.message()).isEqualTo("lease expired on node n (node presumed dead)");
            });
  }

  // ------------------------------------------------------------------ kill -9

  @Test
  void process_killed_mid_run_loses_no_acknowledged_job() throws Exception {
    // far more than the child can enqueue before the kill, even on a disk that syncs in 0.1 ms,
    // so that "killed before it finished" never depends on the disk's speed
    int n = 10_000_000;
    SqliteJobStore reader = open(); // this JVM has the file open while the other one writes
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process child =
        new ProcessBuilder(
                java.toString(),
                "-cp",
                System.getProperty("java.class.path"),
                SqliteEnqueueMain.class.getName(),
                file().toString(),
                Integer.toString(n))
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    List<Long> acknowledged = Collections.synchronizedList(new ArrayList<>());
    List<String> markers = Collections.synchronizedList(new ArrayList<>());
    Thread pump =
        new Thread(
            () -> {
              try (BufferedReader in =
                  new BufferedReader(
                      new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                  if (line.startsWith("ACK ")) {
                    acknowledged.add(Long.parseLong(line.substring(4).trim()));
                  } else if (line.equals("READY") || line.equals("DONE")) {
                    markers.add(line);
                  }
                }
              } catch (java.io.IOException e) {
                // the pipe breaks when the process dies: everything read so far counts
              }
            },
            "child-stdout");
    pump.start();
    try {
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(10))
          .until(() -> acknowledged.size() >= 100);
      // the other process is writing right now; this one reads the same file
      assertThat(reader.counts().count(JobState.QUEUED)).isGreaterThanOrEqualTo(100);
      child.destroyForcibly(); // SIGKILL
      assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
    } finally {
      child.destroyForcibly();
    }
    pump.join(60_000);
    assertThat(pump.isAlive()).as("the child's stdout reached its end after the kill").isFalse();
    System.out.printf(
        "killed the writer after %d of %d acknowledged enqueues%n", acknowledged.size(), n);
    assertThat(markers).as("killed before it finished").containsExactly("READY");
    assertThat(acknowledged).hasSizeLessThan(n);

    reader.close();
    SqliteJobStore reopened = open();
    List<Job> found = reopened.findAll(acknowledged);
    assertThat(found).extracting(Job::id).containsExactlyInAnyOrderElementsOf(acknowledged);
    long stored = reopened.counts().count(JobState.QUEUED);
    Set<Long> ack = Set.copyOf(acknowledged);
    List<String> unacknowledged =
        reopened.list(dev.errand.JobQuery.all().limit(500)).jobs().stream()
            .filter(j -> !ack.contains(j.id()))
            .map(j -> "id " + j.id() + " " + j.payload() + " created " + j.createdAt())
            .toList();
    assertThat(stored)
        .as(
            "at most the one enqueue in flight was committed unacknowledged; acknowledged %d,"
                + " the last %s; stored but not acknowledged: %s",
            acknowledged.size(),
            acknowledged.isEmpty() ? "none" : acknowledged.get(acknowledged.size() - 1),
            unacknowledged)
        .isBetween((long) acknowledged.size(), acknowledged.size() + 1L);
    try (Connection c = reopened.dataSource().getConnection()) {
      assertThat(pragma(c, "integrity_check")).isEqualTo("ok");
    }
  }
}
