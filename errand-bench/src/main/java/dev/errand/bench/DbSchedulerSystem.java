package dev.errand.bench;

import com.github.kagkarlsson.scheduler.Scheduler;
import com.github.kagkarlsson.scheduler.SchedulerClient;
import com.github.kagkarlsson.scheduler.task.TaskInstance;
import com.github.kagkarlsson.scheduler.task.helper.OneTimeTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * db-scheduler with the settings its README recommends for high throughput: lock-and-fetch polling
 * ({@code SELECT … FOR UPDATE SKIP LOCKED}, PostgreSQL only), immediate execution, a short polling
 * interval. Its DDL ships only in its test resources, so the benchmark creates the table itself,
 * column for column as those scripts do.
 */
final class DbSchedulerSystem implements JobSystem {
  static final String TASK = "bench-noop";
  static final String FILLER_TASK = "bench-filler";
  static final Duration POLLING_INTERVAL = Duration.ofMillis(100);
  static final double LOWER_LIMIT = 1.0;
  static final double UPPER_LIMIT = 4.0;

  @Override
  public String name() {
    return "db-scheduler";
  }

  @Override
  public Optional<String> unsupported(StoreKind kind) {
    if (kind == StoreKind.SQLITE) {
      return Optional.of(
          "db-scheduler 16.7.1 has no SQLite support: its auto-detection falls back"
              + " to the default JDBC customization, whose due-query ends in 'OFFSET 0 ROWS FETCH FIRST n"
              + " ROWS ONLY', which SQLite rejects (\"near OFFSET: syntax error\"), so no job ever runs");
    }
    return Optional.empty();
  }

  @Override
  public String configuration(StoreKind kind, int threads) {
    String polling =
        ".pollUsingLockAndFetch("
            + LOWER_LIMIT
            + ", "
            + UPPER_LIMIT
            + ") (README:"
            + " 'for high throughput, set to for example 1.0, 4.0')";
    return "Scheduler.create(HikariCP pool of "
        + Database.POOL_SIZE
        + ", task).threads("
        + threads
        + ")"
        + polling
        + ".enableImmediateExecution().pollingInterval("
        + POLLING_INTERVAL.toMillis()
        + " ms); one-time task with Long data (Java serialization,"
        + " the default); enqueue through the Scheduler once it runs (so immediate execution applies),"
        + " through SchedulerClient before and in a producer-only JVM";
  }

  @Override
  public String bloatEquivalent() {
    return "db-scheduler deletes a one-time execution when it completes, so its table never holds"
        + " finished jobs; the closest fair load is 1 row per finished job of another task that is"
        + " not due (execution_time one year ahead), which its due-query and index must skip";
  }

  @Override
  public Session open(Database db, int threads) throws Exception {
    createTable(db);
    OneTimeTask<Long> task =
        Tasks.oneTime(TASK, Long.class)
            .execute((instance, ctx) -> Probe.current().started(Long.parseLong(instance.getId())));
    OneTimeTask<Long> filler =
        Tasks.oneTime(FILLER_TASK, Long.class).execute((instance, ctx) -> {});
    SchedulerClient client = SchedulerClient.Builder.create(db.dataSource(), task, filler).build();
    return new DbSchedulerSession(db, threads, task, filler, client);
  }

  private static void createTable(Database db) throws Exception {
    boolean pg = db.kind == StoreKind.POSTGRES;
    String ts = pg ? "TIMESTAMP WITH TIME ZONE" : "TIMESTAMP";
    try (Connection c = db.connect();
        Statement st = c.createStatement()) {
      st.execute(
          "CREATE TABLE IF NOT EXISTS scheduled_tasks ("
              + " task_name TEXT NOT NULL, task_instance TEXT NOT NULL, task_data "
              + (pg ? "BYTEA" : "BLOB")
              + ","
              + " execution_time "
              + ts
              + " NOT NULL, picked BOOLEAN NOT NULL, picked_by TEXT,"
              + " last_success "
              + ts
              + ", last_failure "
              + ts
              + ", consecutive_failures INT,"
              + " last_heartbeat "
              + ts
              + ", version BIGINT NOT NULL, priority SMALLINT,"
              + " PRIMARY KEY (task_name, task_instance))");
      st.execute(
          "CREATE INDEX IF NOT EXISTS execution_time_idx ON scheduled_tasks (execution_time)");
      st.execute(
          "CREATE INDEX IF NOT EXISTS last_heartbeat_idx ON scheduled_tasks (last_heartbeat)");
      st.execute(
          "CREATE INDEX IF NOT EXISTS priority_execution_time_idx"
              + " ON scheduled_tasks (priority DESC, execution_time ASC)");
    }
  }

  private static final class DbSchedulerSession implements Session {
    private final Database db;
    private final int threads;
    private final OneTimeTask<Long> task;
    private final OneTimeTask<Long> filler;
    private volatile SchedulerClient client;
    private Scheduler scheduler;

    DbSchedulerSession(
        Database db,
        int threads,
        OneTimeTask<Long> task,
        OneTimeTask<Long> filler,
        SchedulerClient client) {
      this.db = db;
      this.threads = threads;
      this.task = task;
      this.filler = filler;
      this.client = client;
    }

    @Override
    public void enqueue(long seq, long enqueuedMicros) {
      client.schedule(task.instance(Long.toString(seq), enqueuedMicros), Instant.now());
    }

    @Override
    public void enqueueBatch(long firstSeq, int count, long enqueuedMicros) {
      List<TaskInstance<?>> batch = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        batch.add(task.instance(Long.toString(firstSeq + i), enqueuedMicros));
      }
      client.scheduleBatch(batch, Instant.now());
    }

    @Override
    public void startWorkers() {
      scheduler =
          Scheduler.create(db.dataSource(), task, filler)
              .threads(threads)
              .pollUsingLockAndFetch(LOWER_LIMIT, UPPER_LIMIT)
              .enableImmediateExecution()
              .pollingInterval(POLLING_INTERVAL)
              .build();
      scheduler.start();
      client = scheduler;
    }

    @Override
    public long unfinished() throws Exception {
      try (Connection c = db.connect();
          PreparedStatement ps =
              c.prepareStatement("SELECT count(*) FROM scheduled_tasks WHERE task_name = ?")) {
        ps.setString(1, TASK);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          return rs.getLong(1);
        }
      }
    }

    @Override
    public void insertFinished(int n) throws Exception {
      String sql =
          db.kind == StoreKind.POSTGRES
              ? "INSERT INTO scheduled_tasks (task_name, task_instance, execution_time, picked, version)"
                  + " SELECT ?, 'f' || g, now() + interval '365 days', false, 1"
                  + " FROM generate_series(1, ?) g"
              : "INSERT INTO scheduled_tasks (task_name, task_instance, execution_time, picked, version)"
                  + " WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < ?2)"
                  + " SELECT ?1, 'f' || i, "
                  + (System.currentTimeMillis() + Duration.ofDays(365).toMillis())
                  + ", 0, 1 FROM g";
      try (Connection c = db.connect();
          PreparedStatement ps = c.prepareStatement(sql)) {
        ps.setString(1, FILLER_TASK);
        ps.setInt(2, n);
        ps.executeUpdate();
      }
    }

    @Override
    public void close() {
      if (scheduler != null) {
        scheduler.stop();
      }
    }
  }
}
