package dev.errand.jdbc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.errand.AttemptError;
import dev.errand.FinishedSeries;
import dev.errand.FinishedStats;
import dev.errand.Job;
import dev.errand.JobCounts;
import dev.errand.JobPage;
import dev.errand.JobQuery;
import dev.errand.JobState;
import dev.errand.LeaseLostException;
import dev.errand.Node;
import dev.errand.TransactionWork;
import dev.errand.spi.ClaimedJob;
import dev.errand.spi.Completion;
import dev.errand.spi.EnqueueResult;
import dev.errand.spi.JobStore;
import dev.errand.spi.LeaseRef;
import dev.errand.spi.NewJob;
import dev.errand.spi.Rescue;
import dev.errand.spi.ScheduleStore;
import dev.errand.spi.StoreCodec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.StringJoiner;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteCommitListener;
import org.sqlite.SQLiteConnection;

/**
 * The embedded job store: every job, paused queue and node in one SQLite file. The default store of
 * a single-node Errand.
 *
 * <pre>{@code
 * JobStore store = SqliteJobStore.file(Path.of("errand.db"));
 * // or
 * SqliteJobStore store = SqliteJobStore.builder(Path.of("errand.db"))
 *     .synchronous(SqliteJobStore.Synchronous.NORMAL)
 *     .build();
 * }</pre>
 *
 * <h2>Guarantees</h2>
 *
 * <ul>
 *   <li>Every {@link JobStore} method is one SQLite transaction (except {@link #enqueue(Connection,
 *       List)}, which joins the caller's): it happens completely or not at all, and a method that
 *       returned has committed.
 *   <li>A claim is one {@code UPDATE … WHERE id IN (SELECT … LIMIT n) RETURNING …} under SQLite's
 *       write lock: two claimers, in this process or another, never get the same job. Every claim
 *       increments the job's fence, and every later write about that run ({@link #complete}, {@link
 *       #heartbeat}, {@link #completeInTransaction}) applies only if the job is still RUNNING under
 *       that fence.
 *   <li>A unique key is held by at most one live (SCHEDULED, QUEUED, RUNNING, RETRYING) job; a
 *       partial unique index enforces it.
 *   <li>{@link #enqueue(Connection, List)} writes with the caller's connection: the jobs exist if
 *       and only if the caller's transaction commits.
 *   <li>Job ids increase in enqueue order and are never reused, not even after the newest job was
 *       deleted or pruned.
 * </ul>
 *
 * <h2>Durability</h2>
 *
 * The file is in WAL journal mode. The default {@link Synchronous#FULL} fsyncs the WAL on every
 * commit: once a method such as {@link #enqueue(List)} has returned, its jobs survive the process
 * being killed ({@code kill -9}) <em>and</em> a power loss or OS crash. That is the promise a
 * durable job queue makes, and its cost is small where it matters, because the engine batches
 * claims and completions into few commits. {@link Synchronous#NORMAL} skips that fsync (the WAL is
 * synced at checkpoints): commits still survive a killed process, but the last ones before a power
 * loss or OS crash may be lost (the file stays consistent). Choose it only when losing the latest
 * acknowledged jobs on a machine crash is acceptable. The same setting applies to connections of
 * {@link #dataSource()}, which is what makes a transactional enqueue durable.
 *
 * <p>Claims, heartbeats, rescues, attempt outcomes and pruning commit without fsync even under
 * FULL: losing one of them to a power loss is harmless under at-least-once delivery (a lost claim
 * leaves the job waiting; a lost outcome makes the job run again; a lost heartbeat or rescue is
 * redone), and the next FULL commit syncs the WAL through them anyway. Enqueues, outcomes written
 * with {@link #completeInTransaction} (they carry the handler's own effects), cancels, retries and
 * deletes are FULL.
 *
 * <h2>Threads and processes</h2>
 *
 * <p>Every method is safe to call from any number of threads. All writes of this store go through
 * one dedicated write connection, in {@code BEGIN IMMEDIATE} transactions, one at a time under a
 * Java lock (SQLite allows one writer). Reads ({@link #find}, {@link #findAll}, {@link #list},
 * {@link #counts}, {@link #liveCounts}, {@link #pausedQueues}, {@link #nodes}) use a small pool of
 * read-only connections ({@link Builder#readConnections}, default {@value
 * #DEFAULT_READ_CONNECTIONS}) and, thanks to WAL, never wait behind a writer; they see the last
 * committed state.
 *
 * <p>Several processes on the same machine may open the same file (a restarted process, a second
 * engine, a CLI): SQLite's lock serializes their writes, and a writer waits up to the busy timeout
 * (default 10 s) for another process's transaction. The file must be on a local file system (WAL
 * needs shared memory). Leases, due times, rescues and every attempt's start and end use this
 * store's {@link Clock} ({@link Builder#clock}, default the system UTC clock), which on one machine
 * is the same for every process.
 *
 * <h2>Your own transactions</h2>
 *
 * Get connections to the same file from {@link #dataSource()}: they begin {@code IMMEDIATE}
 * transactions (the write lock is taken by {@code setAutoCommit(false)}, so a transaction that
 * reads and then writes cannot fail half-way on a busy lock), with this store's busy timeout and
 * synchronous setting. Open one per unit of work and close it (or restore auto-commit) right after
 * {@code commit()}: sqlite-jdbc begins the next transaction as soon as one commits, and that holds
 * the write lock. Inside such a transaction, call {@code errand.enqueue(connection, …)}, not the
 * plain enqueue: the plain one waits for the write lock your transaction holds, and fails after the
 * busy timeout.
 *
 * <p>{@link #completeInTransaction} runs its work on this store's write connection, holding the
 * write lock: every other write of this store waits for it, so keep it short, and write only
 * through the connection it is given.
 *
 * <h2>Schema</h2>
 *
 * Versioned migrations ({@code dev/errand/jdbc/migrations/sqlite/} in this jar) are applied by
 * {@link #open()} in one {@code BEGIN IMMEDIATE} transaction ({@link SchemaMode#MIGRATE}, the
 * default), checked ({@link SchemaMode#VALIDATE}) or left alone ({@link SchemaMode#NONE}). Times
 * are {@code INTEGER} microseconds since the epoch (UTC).
 */
public final class SqliteJobStore implements JobStore {
  /** Default {@link Builder#synchronous}: {@link Synchronous#FULL}. */
  public static final Synchronous DEFAULT_SYNCHRONOUS = Synchronous.FULL;

  /** Default {@link Builder#busyTimeout}: how long a write waits for another process's lock. */
  public static final Duration DEFAULT_BUSY_TIMEOUT = Duration.ofSeconds(10);

  /** Default {@link Builder#readConnections}. */
  public static final int DEFAULT_READ_CONNECTIONS = 4;

  /** SQLite's {@code PRAGMA synchronous} for the WAL journal mode this store uses. */
  public enum Synchronous {
    /**
     * fsync on every commit: an acknowledged write survives a killed process and a power loss. The
     * default.
     */
    FULL,
    /**
     * fsync only at WAL checkpoints: an acknowledged write survives a killed process; the last
     * commits before a power loss or OS crash may be lost. Faster for many small commits.
     */
    NORMAL
  }

  private static final Logger log = LoggerFactory.getLogger(SqliteJobStore.class);
  private static final String DIALECT = "sqlite";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<Map<String, Integer>> QUEUES = new TypeReference<>() {};

  private static final String LIVE = "('SCHEDULED', 'QUEUED', 'RUNNING', 'RETRYING')";

  private static final String COLUMNS =
      "id, type, queue, payload, state, priority, attempt,"
          + " max_attempts, run_at, unique_key, lease_until, node_id, created_at, started_at,"
          + " finished_at, last_error, errors, progress, result, schedule_id, tags, rescues, fence";

  private static final String FIND_LIVE_KEY =
      "SELECT id FROM errand_jobs WHERE unique_key = ? AND state IN " + LIVE;

  /** The next job id: AUTOINCREMENT's rule (never reuse an id, even of a deleted job). */
  private static final String NEXT_ID =
      "SELECT max(coalesce((SELECT seq FROM sqlite_sequence"
          + " WHERE name = 'errand_jobs'), 0), coalesce((SELECT max(id) FROM errand_jobs), 0)) + 1";

  /** Largest number of rows one INSERT statement writes; a power of two. */
  private static final int INSERT_CHUNK = 128;

  /** {@code INSERTS[k]} inserts 2^k rows. */
  private static final String[] INSERTS =
      new String[Integer.numberOfTrailingZeros(INSERT_CHUNK) + 1];

  static {
    for (int k = 0; k < INSERTS.length; k++) {
      StringJoiner rows = new StringJoiner(", ");
      for (int r = 0; r < 1 << k; r++) {
        rows.add("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
      }
      INSERTS[k] =
          "INSERT INTO errand_jobs (id, type, queue, payload, state, priority,"
              + " max_attempts, run_at, unique_key, created_at, schedule_id, tags) VALUES "
              + rows;
    }
  }

  // INDEXED BY pins the plans of the hot statements to their partial indexes: without
  // statistics the planner may prefer errand_jobs_state (state = ?), which also holds finished
  // rows; and if an index is missing the statement fails loudly instead of scanning the table.
  /*
   * A claim is four statements in one write transaction (the writer lock is held throughout, so
   * nothing changes in between): is the queue paused, the due QUEUED jobs in claim order, the due
   * waiting (SCHEDULED, RETRYING) ones, and an UPDATE of the chosen ids. The two candidate lists
   * are merged here. One statement doing all of it (a UNION of both under an ORDER BY ... LIMIT,
   * with two sorters) cost about 130 us more per claim of a few jobs, on the path from enqueue to
   * start.
   */

  static final String CLAIM_PAUSED = "SELECT 1 FROM errand_queues WHERE name = ? AND paused = 1";

  /** Due QUEUED jobs of a queue in claim order: parameters queue, now, limit. */
  static final String CLAIM_READY =
      "SELECT id, priority, run_at FROM errand_jobs INDEXED BY errand_jobs_ready"
          + " WHERE queue = ? AND state = 'QUEUED' AND run_at <= ?"
          + " ORDER BY priority DESC, run_at, id LIMIT ?";

  /** Due SCHEDULED and RETRYING jobs of a queue in claim order: parameters queue, now, limit. */
  static final String CLAIM_WAITING =
      "SELECT id, priority, run_at FROM errand_jobs INDEXED BY errand_jobs_waiting"
          + " WHERE queue = ? AND state IN ('SCHEDULED', 'RETRYING') AND run_at <= ?"
          + " ORDER BY priority DESC, run_at, id LIMIT ?";

  /**
   * Claims the jobs whose ids are in a JSON array: parameters lease end, node, now, ids. {@code
   * +state} keeps the planner on the primary key (by the state index it would read every QUEUED
   * row).
   */
  static final String CLAIM_IDS =
      "UPDATE errand_jobs SET state = 'RUNNING', attempt = attempt + 1,"
          + " fence = fence + 1, lease_until = ?, node_id = ?, started_at = ?"
          + " WHERE id IN (SELECT value FROM json_each(?))"
          + " AND +state IN ('QUEUED', 'SCHEDULED', 'RETRYING')"
          + " RETURNING "
          + COLUMNS;

  private static final String IF_HELD = " WHERE id = ? AND state = 'RUNNING' AND fence = ?";

  /** A row if the job is RUNNING under the fence: parameters id, fence. */
  private static final String HELD = "SELECT 1 FROM errand_jobs" + IF_HELD;

  private static final String APPEND_ERROR =
      "last_error = ?, errors = json_insert(errors, '$[#]', json(?))";

  /** The row's {@code started_at} (microseconds) as the ISO-8601 UTC text the codec reads. */
  private static final String STARTED_AT_ISO =
      "strftime('%Y-%m-%dT%H:%M:%S', started_at / 1000000, 'unixepoch')"
          + " || printf('.%06dZ', started_at % 1000000)";

  /**
   * Appends an attempt's error with its start taken from the row (the claim's time) and its end
   * bound as ISO-8601 text (this write's time): parameters last_error, error JSON, end.
   */
  private static final String APPEND_ATTEMPT_ERROR =
      "last_error = ?, errors = json_insert(errors, '$[#]', json_set(json(?), '$.startedAt', "
          + STARTED_AT_ISO
          + ", '$.at', ?))";

  private static final String SUCCEED =
      "UPDATE errand_jobs SET state = 'SUCCEEDED',"
          + " lease_until = NULL, finished_at = ?, result = ?"
          + IF_HELD;
  private static final String RETRY =
      "UPDATE errand_jobs SET state = 'RETRYING',"
          + " lease_until = NULL, run_at = ?, "
          + APPEND_ATTEMPT_ERROR
          + IF_HELD;
  private static final String FAIL =
      "UPDATE errand_jobs SET state = 'FAILED',"
          + " lease_until = NULL, finished_at = ?, "
          + APPEND_ATTEMPT_ERROR
          + IF_HELD;
  private static final String GIVE_BACK =
      "UPDATE errand_jobs SET state = ?,"
          + " lease_until = NULL, run_at = ?, attempt = attempt - 1"
          + IF_HELD;
  private static final String EXTEND =
      "UPDATE errand_jobs SET lease_until = ?," + " progress = coalesce(?, progress)" + IF_HELD;
  static final String EXPIRED =
      "SELECT id, type, queue, attempt, max_attempts, rescues, node_id, started_at"
          + " FROM errand_jobs INDEXED BY errand_jobs_lease"
          + " WHERE state = 'RUNNING' AND lease_until < ? ORDER BY id LIMIT ?";
  private static final String RESCUE =
      "UPDATE errand_jobs SET state = ?, rescues = ?,"
          + " lease_until = NULL, run_at = coalesce(?, run_at), finished_at = ?, "
          + APPEND_ERROR
          + " WHERE id = ?";
  private static final String RETRY_BY_HAND =
      "UPDATE errand_jobs SET state = 'QUEUED',"
          + " run_at = ?, finished_at = NULL, max_attempts = max(max_attempts, attempt + 1)"
          + " WHERE id = ? AND state IN ('FAILED', 'CANCELLED')"
          + " AND (unique_key IS NULL OR NOT EXISTS (SELECT 1 FROM errand_jobs other"
          + " WHERE other.unique_key = errand_jobs.unique_key AND other.state IN "
          + LIVE
          + "))";
  private static final String CANCEL =
      "UPDATE errand_jobs SET state = 'CANCELLED',"
          + " finished_at = ?, lease_until = NULL WHERE id = ? AND state IN "
          + LIVE;
  private static final String DELETE =
      "DELETE FROM errand_jobs WHERE id = ? AND state <> 'RUNNING'";
  static final String PRUNE =
      "DELETE FROM errand_jobs WHERE id IN (SELECT id FROM errand_jobs"
          + " WHERE state = ? AND finished_at < ? ORDER BY finished_at LIMIT ?)";
  private static final String COUNTS = "SELECT queue, type, state, count(*) FROM errand_jobs";
  private static final String GROUP = " GROUP BY queue, type, state";

  /** Claim order of {id, priority, run_at} candidates: priority first, then due time, then id. */
  private static final Comparator<long[]> DUE_ORDER =
      Comparator.<long[]>comparingLong(c -> -c[1])
          .thenComparingLong(c -> c[2])
          .thenComparingLong(c -> c[0]);

  private static final Comparator<Job> CLAIM_ORDER =
      Comparator.comparingInt(Job::priority)
          .reversed()
          .thenComparing(Job::runAt)
          .thenComparingLong(Job::id);

  private enum Lifecycle {
    NEW,
    OPEN,
    CLOSED
  }

  private final Path path;
  private final SchemaMode schemaMode;
  private final Clock clock;
  private final Synchronous synchronous;
  private final Duration busyTimeout;
  private final int readConnections;
  private final DataSource internal;
  private final DataSource userDataSource;

  private final Object lifecycleLock = new Object();
  private volatile Lifecycle lifecycle = Lifecycle.NEW;
  // written once under lifecycleLock before lifecycle becomes OPEN (volatile publication)
  private SqliteWriter writer;
  private SqliteReaders readers;
  private SqliteCheckpointer checkpointer;

  private SqliteJobStore(Builder b) {
    this.path = b.path.toAbsolutePath().normalize();
    this.schemaMode = b.schemaMode;
    this.clock = b.clock;
    this.synchronous = b.synchronous;
    this.busyTimeout = b.busyTimeout;
    this.readConnections = b.readConnections;
    String url = "jdbc:sqlite:" + path;
    this.internal = SqliteDataSources.create(url, synchronous, busyTimeout, false);
    this.userDataSource = SqliteDataSources.create(url, synchronous, busyTimeout, true);
  }

  /** A store in {@code file} with every default; {@link #open()} creates the file if needed. */
  public static SqliteJobStore file(Path file) {
    return builder(file).build();
  }

  /** A builder for a store in {@code file}. */
  public static Builder builder(Path file) {
    return new Builder(file);
  }

  /** The database file. */
  public Path path() {
    return path;
  }

  /**
   * Connections to this store's file for your own transactions (for example to enqueue jobs
   * atomically with your rows, see {@link #enqueue(Connection, List)}). Each {@code
   * getConnection()} opens a new connection with this store's busy timeout and synchronous setting,
   * whose transactions begin {@code IMMEDIATE}. You own and close those connections; this store's
   * {@link #close()} does not. Call {@link #open()} first so the schema exists.
   */
  public DataSource dataSource() {
    return userDataSource;
  }

  /**
   * Opens the connections, switches the file to WAL and applies the schema mode. Creates the file
   * and its parent directories if missing. Idempotent; other methods open the store on first use.
   *
   * @throws IllegalStateException if the store was closed, the file cannot use WAL, or (with {@link
   *     SchemaMode#VALIDATE}) migrations are pending
   * @throws StoreException if SQLite fails
   */
  @Override
  public void open() {
    synchronized (lifecycleLock) {
      if (lifecycle == Lifecycle.OPEN) {
        return;
      }
      if (lifecycle == Lifecycle.CLOSED) {
        throw new IllegalStateException("SqliteJobStore " + path + " is closed; build a new one");
      }
      createParentDirectories();
      SqliteWriter w = null;
      SqliteReaders r = null;
      try {
        w = openWriter();
        r = new SqliteReaders(this::openReadConnection, readConnections);
        List<Migrations.Script> applied = prepareSchema(w);
        writer = w;
        readers = r;
        checkpointer = new SqliteCheckpointer(this::openCheckpointConnection, path.toString());
        checkpointer.start();
        lifecycle = Lifecycle.OPEN;
        log.info(
            "errand: SQLite job store {} open (journal_mode=wal, synchronous={},"
                + " busy_timeout={}ms, read connections={}, schema mode={}, migrations applied={})",
            path,
            synchronous,
            busyTimeout.toMillis(),
            readConnections,
            schemaMode,
            applied.stream().map(Migrations.Script::name).toList());
      } catch (RuntimeException e) {
        if (r != null) {
          r.close();
        }
        if (w != null) {
          w.close();
        }
        throw e;
      }
    }
  }

  private void createParentDirectories() {
    Path parent = path.getParent();
    if (parent != null) {
      try {
        Files.createDirectories(parent);
      } catch (IOException e) {
        throw new IllegalStateException(
            "cannot create directory " + parent + " for the Errand SQLite store: " + e, e);
      }
    }
  }

  private SqliteWriter openWriter() {
    Connection c = null;
    try {
      c = internal.getConnection();
      String mode;
      try (Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("PRAGMA journal_mode = WAL")) {
        mode = rs.next() ? rs.getString(1) : null;
      }
      if (!"wal".equalsIgnoreCase(mode)) {
        throw new IllegalStateException(
            "SQLite file "
                + path
                + " cannot use WAL journal mode"
                + " (journal_mode is "
                + mode
                + "); put it on a local file system");
      }
      SqliteCheckpointer.configureWriter(c);
      return new SqliteWriter(c, synchronous == Synchronous.FULL);
    } catch (SQLException e) {
      closeQuietly(c);
      throw new StoreException("open " + path, e);
    } catch (RuntimeException e) {
      closeQuietly(c);
      throw e;
    }
  }

  private Connection openCheckpointConnection() {
    try {
      return internal.getConnection();
    } catch (SQLException e) {
      throw new StoreException("open checkpoint connection to " + path, e);
    }
  }

  /** A {@code PRAGMA} as the writer connection sees it (for tests). */
  String writerPragma(String name) {
    open();
    return writer.inRelaxedTransaction(
        "read pragma " + name,
        c -> {
          try (Statement st = c.createStatement();
              ResultSet rs = st.executeQuery("PRAGMA " + name)) {
            return rs.next() ? rs.getString(1) : null;
          }
        });
  }

  /** The background checkpointer, or null before {@link #open()} (for tests). */
  SqliteCheckpointer checkpointer() {
    return checkpointer;
  }

  private Connection openReadConnection() throws SQLException {
    Connection c = internal.getConnection();
    try (Statement st = c.createStatement()) {
      st.execute("PRAGMA query_only = 1");
    } catch (SQLException e) {
      closeQuietly(c);
      throw e;
    }
    return c;
  }

  private List<Migrations.Script> prepareSchema(SqliteWriter w) {
    switch (schemaMode) {
      case MIGRATE:
        return w.inTransaction("migrate schema of " + path, c -> Migrations.apply(c, DIALECT));
      case VALIDATE:
        List<Migrations.Script> pending =
            w.withConnection("validate schema of " + path, c -> Migrations.pending(c, DIALECT));
        if (!pending.isEmpty()) {
          throw new IllegalStateException(
              "the Errand schema in "
                  + path
                  + " is not current:"
                  + " pending migrations "
                  + pending.stream().map(Migrations.Script::name).toList()
                  + "; apply them (plain SQL in errand-jdbc under"
                  + " dev/errand/jdbc/migrations/sqlite/) or open the store with"
                  + " SchemaMode.MIGRATE");
        }
        return List.of();
      default:
        return List.of();
    }
  }

  private void ensureOpen() {
    Lifecycle l = lifecycle;
    if (l == Lifecycle.OPEN) {
      return;
    }
    if (l == Lifecycle.CLOSED) {
      throw new IllegalStateException("SqliteJobStore " + path + " is closed");
    }
    open();
  }

  private SqliteWriter writer() {
    ensureOpen();
    return writer;
  }

  private SqliteReaders readers() {
    ensureOpen();
    return readers;
  }

  @Override
  public Instant now() {
    return instant(micros(clock.instant()));
  }

  private long nowMicros() {
    return micros(clock.instant());
  }

  // ---------------------------------------------------------------- enqueue

  @Override
  public List<EnqueueResult> enqueue(List<NewJob> jobs) {
    if (jobs.isEmpty()) {
      return List.of();
    }
    SqliteWriter w = writer();
    return w.inTransaction("enqueue", c -> insert(w::prepare, jobs, nowMicros()));
  }

  /**
   * {@inheritDoc}
   *
   * <p>{@code connection} must be a connection to this store's file (see {@link #dataSource()})
   * with auto-commit off. This method neither commits, rolls back nor closes it; if it throws, roll
   * your transaction back.
   *
   * @throws IllegalArgumentException if the connection is in auto-commit mode or on another file
   */
  @Override
  public List<EnqueueResult> enqueue(Connection connection, List<NewJob> jobs) {
    Objects.requireNonNull(connection, "connection");
    ensureOpen();
    try {
      if (connection.getAutoCommit()) {
        throw new IllegalArgumentException(
            "enqueue(connection, jobs) needs the connection inside your transaction, but it is in"
                + " auto-commit mode: call setAutoCommit(false) first, or use enqueue(jobs) without"
                + " a connection");
      }
      checkSameFile(connection);
      if (jobs.isEmpty()) {
        return List.of();
      }
      Map<String, PreparedStatement> prepared = new HashMap<>();
      try {
        long now = nowMicros();
        List<EnqueueResult> results =
            insert(
                sql -> {
                  PreparedStatement ps = prepared.get(sql);
                  if (ps == null) {
                    ps = connection.prepareStatement(sql);
                    prepared.put(sql, ps);
                  }
                  return ps;
                },
                jobs,
                now);
        wakeOnCommit(connection, jobs, results, now);
        return results;
      } finally {
        for (PreparedStatement ps : prepared.values()) {
          closeQuietly(ps);
        }
      }
    } catch (SQLException e) {
      throw new StoreException("enqueue in the caller's transaction", e);
    }
  }

  // ---------------------------------------------------------------- wake-up after a caller's
  // commit

  private final List<Consumer<String>> wakeListeners = new CopyOnWriteArrayList<>();

  /** One commit listener per caller connection that enqueued here, for the connection's life. */
  private final Map<SQLiteConnection, CommitWake> commitWakes =
      java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

  /**
   * Tells {@code listener} (on the committing thread) the queues that got due jobs when a caller's
   * transaction that enqueued them with {@link #enqueue(Connection, List)} commits, so the engine
   * starts them at once instead of at its next poll. SQLite has no channel between processes:
   * enqueues by other processes on the file are found by polling.
   */
  @Override
  public AutoCloseable subscribe(Consumer<String> listener) {
    Objects.requireNonNull(listener, "listener");
    wakeListeners.add(listener);
    return () -> wakeListeners.remove(listener);
  }

  /** Remembers the queues of the due jobs just created, to wake them when the caller commits. */
  private void wakeOnCommit(
      Connection connection, List<NewJob> jobs, List<EnqueueResult> results, long now)
      throws SQLException {
    if (wakeListeners.isEmpty() || !connection.isWrapperFor(SQLiteConnection.class)) {
      return;
    }
    Set<String> due = new HashSet<>();
    for (int i = 0; i < jobs.size(); i++) {
      if (results.get(i).created() && micros(jobs.get(i).runAt()) <= now) {
        due.add(jobs.get(i).queue());
      }
    }
    if (due.isEmpty()) {
      return;
    }
    SQLiteConnection sqlite = connection.unwrap(SQLiteConnection.class);
    commitWakes
        .computeIfAbsent(
            sqlite,
            c -> {
              CommitWake w = new CommitWake();
              c.addCommitListener(w);
              return w;
            })
        .queues
        .addAll(due);
  }

  /**
   * Wakes the subscribers for the queues enqueued in the connection's transaction when it commits;
   * forgets them when it rolls back. SQLite calls it inside the COMMIT, before the commit is done:
   * a worker woken then claims through the store's writer, which waits for the committing
   * connection's write lock, and so sees the jobs.
   */
  private final class CommitWake implements SQLiteCommitListener {
    final Set<String> queues = ConcurrentHashMap.newKeySet();

    @Override
    public void onCommit() {
      for (String q : List.copyOf(queues)) {
        queues.remove(q);
        for (Consumer<String> l : wakeListeners) {
          try {
            l.accept(q);
          } catch (RuntimeException e) {
            log.warn("errand: waking queue '{}' after a commit failed", q, e);
          }
        }
      }
    }

    @Override
    public void onRollback() {
      queues.clear();
    }
  }

  private void checkSameFile(Connection c) throws SQLException {
    String file = null;
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("PRAGMA database_list")) {
      while (rs.next()) {
        if ("main".equals(rs.getString("name"))) {
          file = rs.getString("file");
        }
      }
    }
    boolean same;
    try {
      same = file != null && !file.isEmpty() && Files.isSameFile(Path.of(file), path);
    } catch (IOException e) {
      same = false;
    }
    if (!same) {
      throw new IllegalArgumentException(
          "the connection is to SQLite database '"
              + file
              + "', not to this store's file "
              + path
              + "; get connections from"
              + " SqliteJobStore.dataSource()");
    }
  }

  /** Prepares (or finds the cached) statement for some SQL. */
  @FunctionalInterface
  private interface Statements {
    PreparedStatement get(String sql) throws SQLException;
  }

  /**
   * Inserts {@code jobs} in input order, many rows per statement. Must run in a write transaction
   * (this store's {@code BEGIN IMMEDIATE}, or the caller's): ids are assigned here, counting up
   * from the next AUTOINCREMENT id read at the start, which no other writer can take meanwhile.
   * Knowing the ids without reading them back is what lets one statement insert up to {@value
   * #INSERT_CHUNK} rows; in a caller's deferred transaction that another process wrote into since
   * its snapshot, SQLite refuses the insert (SQLITE_BUSY_SNAPSHOT) instead of using a stale id.
   */
  private static List<EnqueueResult> insert(Statements statements, List<NewJob> jobs, long now)
      throws SQLException {
    long next;
    try (ResultSet rs = statements.get(NEXT_ID).executeQuery()) {
      rs.next();
      next = rs.getLong(1);
    }
    EnqueueResult[] out = new EnqueueResult[jobs.size()];
    Map<String, Long> createdKeys = new HashMap<>();
    List<NewJob> pending = new ArrayList<>(Math.min(jobs.size(), INSERT_CHUNK));
    long firstPending = next;
    for (int i = 0; i < out.length; i++) {
      NewJob n = jobs.get(i);
      String key = n.uniqueKey();
      if (key != null) {
        Long holder = createdKeys.get(key);
        if (holder == null) {
          holder = liveHolder(statements.get(FIND_LIVE_KEY), key);
        }
        if (holder != null) {
          out[i] = new EnqueueResult(holder, false);
          continue;
        }
        createdKeys.put(key, next);
      }
      out[i] = new EnqueueResult(next++, true);
      pending.add(n);
      if (pending.size() == INSERT_CHUNK) {
        write(statements, pending, firstPending, now);
        firstPending = next;
      }
    }
    write(statements, pending, firstPending, now);
    return List.of(out);
  }

  /** Writes {@code rows} with ids from {@code firstId} on, in statements of 2^k rows; clears it. */
  private static void write(Statements statements, List<NewJob> rows, long firstId, long now)
      throws SQLException {
    int from = 0;
    while (from < rows.size()) {
      int size = Integer.highestOneBit(rows.size() - from);
      PreparedStatement ps = statements.get(INSERTS[Integer.numberOfTrailingZeros(size)]);
      int p = 1;
      for (int r = from; r < from + size; r++) {
        NewJob n = rows.get(r);
        long runAt = micros(n.runAt());
        ps.setLong(p++, firstId + r);
        ps.setString(p++, n.type());
        ps.setString(p++, n.queue());
        ps.setString(p++, n.payload());
        ps.setString(p++, runAt > now ? "SCHEDULED" : "QUEUED");
        ps.setInt(p++, n.priority());
        ps.setInt(p++, n.maxAttempts());
        ps.setLong(p++, runAt);
        ps.setString(p++, n.uniqueKey());
        ps.setLong(p++, now);
        ps.setString(p++, n.scheduleId());
        ps.setString(p++, StoreCodec.tagsToColumn(n.tags()));
      }
      ps.executeUpdate();
      from += size;
    }
    rows.clear();
  }

  private static Long liveHolder(PreparedStatement findLive, String uniqueKey) throws SQLException {
    findLive.setString(1, uniqueKey);
    try (ResultSet rs = findLive.executeQuery()) {
      return rs.next() ? rs.getLong(1) : null;
    }
  }

  // ---------------------------------------------------------------- claim and outcomes

  @Override
  public List<ClaimedJob> claim(String queue, int limit, String nodeId, Duration lease) {
    Objects.requireNonNull(queue, "queue");
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(lease, "lease");
    if (limit < 0) {
      throw new IllegalArgumentException("claim limit must be >= 0, got " + limit);
    }
    if (limit == 0) {
      return List.of();
    }
    SqliteWriter w = writer();
    return w.inRelaxedTransaction(
        "claim from queue " + queue,
        c -> {
          long now = nowMicros();
          PreparedStatement paused = w.prepare(CLAIM_PAUSED);
          paused.setString(1, queue);
          try (ResultSet rs = paused.executeQuery()) {
            if (rs.next()) {
              return List.of();
            }
          }
          List<long[]> due = new ArrayList<>(); // {id, priority, run_at}
          for (String sql : new String[] {CLAIM_READY, CLAIM_WAITING}) {
            PreparedStatement ps = w.prepare(sql);
            ps.setString(1, queue);
            ps.setLong(2, now);
            ps.setInt(3, limit);
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                due.add(new long[] {rs.getLong(1), rs.getLong(2), rs.getLong(3)});
              }
            }
          }
          if (due.isEmpty()) {
            return List.of();
          }
          due.sort(DUE_ORDER);
          StringBuilder ids = new StringBuilder("[");
          for (int i = 0; i < Math.min(limit, due.size()); i++) {
            ids.append(i == 0 ? "" : ",").append(due.get(i)[0]);
          }
          PreparedStatement ps = w.prepare(CLAIM_IDS);
          ps.setLong(1, now + micros(lease));
          ps.setString(2, nodeId);
          ps.setLong(3, now);
          ps.setString(4, ids.append(']').toString());
          List<ClaimedJob> out = new ArrayList<>();
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              out.add(new ClaimedJob(job(rs), rs.getLong(23)));
            }
          }
          out.sort(Comparator.comparing(ClaimedJob::job, CLAIM_ORDER));
          return out;
        });
  }

  @Override
  public Set<Long> complete(List<Completion> completions) {
    if (completions.isEmpty()) {
      return Set.of();
    }
    SqliteWriter w = writer();
    return w.inRelaxedTransaction(
        "complete " + completions.size() + " jobs",
        c -> {
          long now = nowMicros();
          Set<Long> rejected = new HashSet<>();
          for (Completion done : completions) {
            if (write(w, done, now) == 0) {
              rejected.add(done.id());
            }
          }
          return rejected;
        });
  }

  /** Writes one outcome if the job is still RUNNING under its fence; returns rows changed. */
  private static int write(SqliteWriter w, Completion done, long now) throws SQLException {
    PreparedStatement ps;
    int i = 1;
    switch (done.outcome()) {
      case SUCCEEDED -> {
        ps = w.prepare(SUCCEED);
        ps.setLong(i++, now);
        ps.setString(i++, done.result());
      }
      case RETRY -> {
        ps = w.prepare(RETRY);
        ps.setLong(i++, micros(done.runAt()));
        ps.setString(i++, done.error().message());
        ps.setString(i++, StoreCodec.errorToJson(done.error()));
        ps.setString(i++, instant(now).toString());
      }
      case FAIL -> {
        ps = w.prepare(FAIL);
        ps.setLong(i++, now);
        ps.setString(i++, done.error().message());
        ps.setString(i++, StoreCodec.errorToJson(done.error()));
        ps.setString(i++, instant(now).toString());
      }
      case SNOOZE -> {
        ps = w.prepare(GIVE_BACK);
        ps.setString(i++, JobState.SCHEDULED.name());
        ps.setLong(i++, micros(done.runAt()));
      }
      case RELEASE -> {
        ps = w.prepare(GIVE_BACK);
        ps.setString(i++, JobState.QUEUED.name());
        ps.setLong(i++, now);
      }
      default -> throw new IllegalArgumentException("unknown outcome " + done.outcome());
    }
    ps.setLong(i++, done.id());
    ps.setLong(i, done.fence());
    return ps.executeUpdate();
  }

  /**
   * {@inheritDoc}
   *
   * <p>Checks the lease first (if the fence no longer holds, the work is not run at all), then runs
   * {@code work} on this store's write connection in the same {@code BEGIN IMMEDIATE} transaction,
   * holding the store's write lock, then marks the job SUCCEEDED with the result read then: keep
   * the work short, and write only through the connection it is given (another connection to this
   * file would wait for the lock this transaction holds). The connection refuses commit, rollback,
   * setAutoCommit and close, and stops working once the work returns.
   *
   * @throws LeaseLostException if the job is no longer RUNNING under {@code fence}; the transaction
   *     was rolled back
   * @throws Exception whatever {@code work} threw; the transaction was rolled back
   */
  @Override
  public <R> R completeInTransaction(
      long id, long fence, TransactionWork<R> work, Supplier<String> result) throws Exception {
    Objects.requireNonNull(work, "work");
    Objects.requireNonNull(result, "result");
    SqliteWriter w = writer();
    return w.inTransactionChecked(
        "complete job " + id + " in a transaction",
        c -> {
          // the write lock is held from here to the commit: the lease checked now still holds
          // when the success is written after the work
          if (!held(w, id, fence)) {
            throw new LeaseLostException(
                id,
                "job "
                    + id
                    + " is no longer RUNNING"
                    + " under fence "
                    + fence
                    + " (its lease expired and it was rescued, or it"
                    + " was cancelled); the transaction was rolled back");
          }
          R r;
          SqliteWorkConnection guard = SqliteWorkConnection.over(c);
          try {
            r = work.run(guard.connection());
          } finally {
            guard.expire();
          }
          int changed;
          try {
            changed = write(w, Completion.succeeded(id, fence, result.get()), nowMicros());
          } catch (SQLException e) {
            throw new StoreException("complete job " + id + " in a transaction", e);
          }
          if (changed == 0) { // the work itself changed or removed the job's row
            throw new LeaseLostException(
                id,
                "job "
                    + id
                    + " was changed by the transaction's own work (it is no longer RUNNING under"
                    + " fence "
                    + fence
                    + "); the transaction was rolled back");
          }
          return r;
        });
  }

  /** Whether job {@code id} is RUNNING under {@code fence}. */
  private static boolean held(SqliteWriter w, long id, long fence) {
    try {
      PreparedStatement ps = w.prepare(HELD);
      ps.setLong(1, id);
      ps.setLong(2, fence);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    } catch (SQLException e) {
      throw new StoreException("complete job " + id + " in a transaction", e);
    }
  }

  @Override
  public boolean supportsTransactions() {
    return true;
  }

  @Override
  public Set<Long> heartbeat(Collection<LeaseRef> leases, Duration lease) {
    Objects.requireNonNull(lease, "lease");
    if (leases.isEmpty()) {
      return Set.of();
    }
    SqliteWriter w = writer();
    return w.inRelaxedTransaction(
        "heartbeat " + leases.size() + " leases",
        c -> {
          long until = nowMicros() + micros(lease);
          PreparedStatement ps = w.prepare(EXTEND);
          Set<Long> lost = new HashSet<>();
          for (LeaseRef l : leases) {
            ps.setLong(1, until);
            if (l.progress() == null) {
              ps.setNull(2, java.sql.Types.INTEGER);
            } else {
              ps.setInt(2, l.progress());
            }
            ps.setLong(3, l.id());
            ps.setLong(4, l.fence());
            if (ps.executeUpdate() == 0) {
              lost.add(l.id());
            }
          }
          return lost;
        });
  }

  @Override
  public List<Rescue> rescueExpired(int quarantineAfter, int limit) {
    if (limit <= 0) {
      return List.of();
    }
    SqliteWriter w = writer();
    return w.inRelaxedTransaction(
        "rescue expired leases",
        c -> {
          long now = nowMicros();
          record Expired(
              long id,
              String type,
              String queue,
              int attempt,
              int maxAttempts,
              int rescues,
              String nodeId,
              Instant startedAt) {}
          List<Expired> expired = new ArrayList<>();
          PreparedStatement find = w.prepare(EXPIRED);
          find.setLong(1, now);
          find.setInt(2, limit);
          try (ResultSet rs = find.executeQuery()) {
            while (rs.next()) {
              expired.add(
                  new Expired(
                      rs.getLong(1),
                      rs.getString(2),
                      rs.getString(3),
                      rs.getInt(4),
                      rs.getInt(5),
                      rs.getInt(6),
                      rs.getString(7),
                      instantOrNull(rs, 8)));
            }
          }
          List<Rescue> out = new ArrayList<>(expired.size());
          PreparedStatement update = w.prepare(RESCUE);
          for (Expired e : expired) {
            int rescues = e.rescues() + 1;
            boolean quarantined = rescues >= quarantineAfter;
            boolean exhausted = e.attempt() >= e.maxAttempts();
            JobState state = quarantined || exhausted ? JobState.FAILED : JobState.RETRYING;
            AttemptError error =
                rescueError(
                    e.attempt(),
                    e.startedAt(),
                    instant(now),
                    quarantined,
                    rescues,
                    quarantineAfter,
                    e.nodeId());
            update.setString(1, state.name());
            update.setInt(2, rescues);
            if (state == JobState.RETRYING) {
              update.setLong(3, now);
              update.setNull(4, java.sql.Types.INTEGER);
            } else {
              update.setNull(3, java.sql.Types.INTEGER);
              update.setLong(4, now);
            }
            update.setString(5, error.message());
            update.setString(6, StoreCodec.errorToJson(error));
            update.setLong(7, e.id());
            update.executeUpdate();
            out.add(
                new Rescue(
                    e.id(), e.type(), e.queue(), e.attempt(), state, e.nodeId(), quarantined));
          }
          return out;
        });
  }

  /** The error a rescue records; the same wording as every other store. */
  private static AttemptError rescueError(
      int attempt,
      Instant startedAt,
      Instant now,
      boolean quarantined,
      int rescues,
      int quarantineAfter,
      String nodeId) {
    return quarantined
        ? new AttemptError(
            attempt,
            startedAt,
            now,
            "quarantined",
            "quarantined: the lease expired "
                + rescues
                + " times (limit "
                + quarantineAfter
                + "), last on node "
                + nodeId,
            "")
        : new AttemptError(
            attempt,
            startedAt,
            now,
            "rescued",
            "lease expired on node " + nodeId + " (node presumed dead)",
            "");
  }

  // ---------------------------------------------------------------- reads

  @Override
  public Optional<Job> find(long id) {
    return readers()
        .read(
            "find job " + id,
            c -> {
              try (PreparedStatement ps =
                  c.prepareStatement("SELECT " + COLUMNS + " FROM errand_jobs WHERE id = ?")) {
                ps.setLong(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                  return rs.next() ? Optional.of(job(rs)) : Optional.empty();
                }
              }
            });
  }

  @Override
  public List<Job> findAll(Collection<Long> ids) {
    if (ids.isEmpty()) {
      return List.of();
    }
    StringJoiner array = new StringJoiner(",", "[", "]");
    for (Long id : new LinkedHashSet<>(ids)) {
      array.add(Long.toString(id));
    }
    return readers()
        .read(
            "find " + ids.size() + " jobs",
            c -> {
              try (PreparedStatement ps =
                  c.prepareStatement(
                      "SELECT "
                          + COLUMNS
                          + " FROM errand_jobs"
                          + " WHERE id IN (SELECT value FROM json_each(?))")) {
                ps.setString(1, array.toString());
                return jobs(ps);
              }
            });
  }

  @Override
  public JobPage list(JobQuery q) {
    StringBuilder sql =
        new StringBuilder("SELECT ").append(COLUMNS).append(" FROM errand_jobs WHERE 1 = 1");
    List<Object> args = new ArrayList<>();
    if (!q.states().isEmpty()) {
      StringJoiner in = new StringJoiner(", ", " AND state IN (", ")");
      for (JobState s : q.states()) {
        in.add("?");
        args.add(s.name());
      }
      sql.append(in);
    }
    if (q.queue() != null) {
      sql.append(" AND queue = ?");
      args.add(q.queue());
    }
    if (q.type() != null) {
      sql.append(" AND type = ?");
      args.add(q.type());
    }
    if (q.tag() != null) {
      // tags are stored as ",a,b,": instr matches the whole tag, needs no escaping, and is
      // case-sensitive like the tags themselves (LIKE would not be)
      sql.append(" AND instr(tags, ?) > 0");
      args.add("," + q.tag() + ",");
    }
    if (q.before() != null) {
      sql.append(" AND id < ?");
      args.add(q.before());
    }
    if (q.createdFrom() != null) {
      sql.append(" AND created_at >= ?");
      args.add(micros(q.createdFrom()));
    }
    if (q.createdBefore() != null) {
      sql.append(" AND created_at < ?");
      args.add(micros(q.createdBefore()));
    }
    sql.append(" ORDER BY id DESC LIMIT ?");
    args.add(q.limit() + 1);
    List<Job> found =
        readers()
            .read(
                "list jobs",
                c -> {
                  try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
                    for (int i = 0; i < args.size(); i++) {
                      ps.setObject(i + 1, args.get(i));
                    }
                    return jobs(ps);
                  }
                });
    if (found.size() > q.limit()) {
      List<Job> page = found.subList(0, q.limit());
      return new JobPage(page, page.get(page.size() - 1).id());
    }
    return new JobPage(found, null);
  }

  @Override
  public JobCounts counts() {
    return counts("count jobs", COUNTS + GROUP);
  }

  static final String FINISHED_STATS_SQL =
      """
      SELECT queue, type,
             sum(state = 'SUCCEEDED'), sum(state = 'FAILED'), sum(attempt > 1),
             sum(EXISTS (SELECT 1 FROM json_each(errors)
                         WHERE json_extract(value, '$.kind') = 'timeout')),
             count(ms), coalesce(sum(ms), 0), coalesce(max(ms), 0)
      FROM (SELECT queue, type, state, attempt, errors,
                   CASE WHEN finished_at >= started_at THEN (finished_at - started_at) / 1000 END
                     AS ms
            FROM errand_jobs
            WHERE state IN ('SUCCEEDED', 'FAILED') AND finished_at >= ? AND finished_at <= ?)
      GROUP BY queue, type""";

  /**
   * Finished jobs per step: parameters first and step (microseconds), the last step's index, first
   * and end. Jobs past the last step's start fall in it.
   */
  static final String FINISHED_SERIES_SQL =
      """
      SELECT min((finished_at - ?) / ?, ?) AS step,
             sum(state = 'SUCCEEDED'), sum(state = 'FAILED')
      FROM errand_jobs
      WHERE state IN ('SUCCEEDED', 'FAILED') AND finished_at >= ? AND finished_at <= ?
      GROUP BY 1""";

  /** One grouped query over the window's rows, found through {@code errand_jobs_state}. */
  @Override
  public FinishedSeries finishedSeries(Instant first, Duration step, int count, Instant end) {
    FinishedSeries.check(first, step, count, end);
    return readers()
        .read(
            "finished series",
            c -> {
              try (PreparedStatement ps = c.prepareStatement(FINISHED_SERIES_SQL)) {
                ps.setLong(1, micros(first));
                ps.setLong(2, micros(step));
                ps.setInt(3, count - 1);
                ps.setLong(4, micros(first));
                ps.setLong(5, micros(end));
                return Sql.finishedSeries(ps, first, step, count, end);
              }
            });
  }

  /** One aggregate over the window's rows, found through {@code errand_jobs_state}. */
  @Override
  public FinishedStats finishedStats(Instant from, Instant to) {
    return readers()
        .read(
            "finished stats",
            c -> {
              try (PreparedStatement ps = c.prepareStatement(FINISHED_STATS_SQL)) {
                ps.setLong(1, micros(from));
                ps.setLong(2, micros(to));
                return new FinishedStats(from, to, Sql.finishedRows(ps));
              }
            });
  }

  @Override
  public JobCounts liveCounts() {
    return counts("count live jobs", COUNTS + " WHERE state IN " + LIVE + GROUP);
  }

  private JobCounts counts(String operation, String sql) {
    return readers()
        .read(
            operation,
            c -> {
              List<JobCounts.Row> rows = new ArrayList<>();
              try (Statement st = c.createStatement();
                  ResultSet rs = st.executeQuery(sql)) {
                while (rs.next()) {
                  rows.add(
                      new JobCounts.Row(
                          rs.getString(1),
                          rs.getString(2),
                          JobState.valueOf(rs.getString(3)),
                          rs.getLong(4)));
                }
              }
              return new JobCounts(rows);
            });
  }

  // ---------------------------------------------------------------- by hand

  @Override
  public boolean retry(long id) {
    return updateOne(
        "retry job " + id,
        RETRY_BY_HAND,
        ps -> {
          ps.setLong(1, nowMicros());
          ps.setLong(2, id);
        });
  }

  @Override
  public boolean cancel(long id) {
    return updateOne(
        "cancel job " + id,
        CANCEL,
        ps -> {
          ps.setLong(1, nowMicros());
          ps.setLong(2, id);
        });
  }

  @Override
  public boolean delete(long id) {
    return updateOne("delete job " + id, DELETE, ps -> ps.setLong(1, id));
  }

  @FunctionalInterface
  private interface Binder {
    void bind(PreparedStatement ps) throws SQLException;
  }

  private boolean updateOne(String operation, String sql, Binder binder) {
    SqliteWriter w = writer();
    return w.inTransaction(
        operation,
        c -> {
          PreparedStatement ps = w.prepare(sql);
          binder.bind(ps);
          return ps.executeUpdate() > 0;
        });
  }

  @Override
  public int prune(JobState state, Instant before, int limit) {
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(before, "before");
    if (limit <= 0) {
      return 0;
    }
    SqliteWriter w = writer();
    return w.inRelaxedTransaction(
        "prune " + state + " jobs",
        c -> {
          PreparedStatement ps = w.prepare(PRUNE);
          ps.setString(1, state.name());
          ps.setLong(2, micros(before));
          ps.setInt(3, limit);
          return ps.executeUpdate();
        });
  }

  // ---------------------------------------------------------------- queues and nodes

  @Override
  public void setPaused(String queue, boolean paused) {
    Objects.requireNonNull(queue, "queue");
    updateOne(
        (paused ? "pause" : "resume") + " queue " + queue,
        "INSERT INTO errand_queues (name, paused, updated_at) VALUES (?, ?, ?)"
            + " ON CONFLICT (name) DO UPDATE SET paused = excluded.paused,"
            + " updated_at = excluded.updated_at",
        ps -> {
          ps.setString(1, queue);
          ps.setInt(2, paused ? 1 : 0);
          ps.setLong(3, nowMicros());
        });
  }

  @Override
  public Set<String> pausedQueues() {
    return readers()
        .read(
            "list paused queues",
            c -> {
              Set<String> out = new HashSet<>();
              try (Statement st = c.createStatement();
                  ResultSet rs =
                      st.executeQuery("SELECT name FROM errand_queues WHERE paused = 1")) {
                while (rs.next()) {
                  out.add(rs.getString(1));
                }
              }
              return Set.copyOf(out);
            });
  }

  @Override
  public void heartbeatNode(Node node) {
    Objects.requireNonNull(node, "node");
    String queues = queuesToJson(node.queues());
    updateOne(
        "heartbeat node " + node.id(),
        "INSERT INTO errand_nodes (id, host, pid, started_at, heartbeat_at, queues)"
            + " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET host = excluded.host,"
            + " pid = excluded.pid, started_at = excluded.started_at,"
            + " heartbeat_at = excluded.heartbeat_at, queues = excluded.queues",
        ps -> {
          ps.setString(1, node.id());
          ps.setString(2, node.host());
          ps.setLong(3, node.pid());
          ps.setLong(4, micros(node.startedAt()));
          ps.setLong(5, nowMicros());
          ps.setString(6, queues);
        });
  }

  @Override
  public void removeNode(String nodeId) {
    updateOne(
        "remove node " + nodeId,
        "DELETE FROM errand_nodes WHERE id = ?",
        ps -> ps.setString(1, nodeId));
  }

  @Override
  public List<Node> nodes() {
    return readers()
        .read(
            "list nodes",
            c -> {
              List<Node> out = new ArrayList<>();
              try (Statement st = c.createStatement();
                  ResultSet rs =
                      st.executeQuery(
                          "SELECT id, host, pid, started_at, heartbeat_at, queues"
                              + " FROM errand_nodes ORDER BY rowid")) {
                while (rs.next()) {
                  out.add(
                      new Node(
                          rs.getString(1),
                          rs.getString(2),
                          rs.getLong(3),
                          instant(rs.getLong(4)),
                          instant(rs.getLong(5)),
                          queuesFromJson(rs.getString(6))));
                }
              }
              return out;
            });
  }

  @Override
  public int pruneNodes(Duration staleAfter) {
    Objects.requireNonNull(staleAfter, "staleAfter");
    SqliteWriter w = writer();
    return w.inRelaxedTransaction(
        "prune stale nodes",
        c -> {
          PreparedStatement ps = w.prepare("DELETE FROM errand_nodes WHERE heartbeat_at < ?");
          ps.setLong(1, nowMicros() - micros(staleAfter));
          return ps.executeUpdate();
        });
  }

  private static String queuesToJson(Map<String, Integer> queues) {
    try {
      return JSON.writeValueAsString(queues);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write node queues " + queues, e);
    }
  }

  private static Map<String, Integer> queuesFromJson(String json) {
    try {
      return JSON.readValue(json, QUEUES);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("stored node queues are not valid JSON: " + json, e);
    }
  }

  // ---------------------------------------------------------------- cluster events

  /** Cluster event listeners of every SQLite store in this JVM, by database file. */
  private static final ConcurrentHashMap<Path, CopyOnWriteArrayList<Consumer<String>>>
      EVENT_LISTENERS = new ConcurrentHashMap<>();

  /**
   * True, within this JVM: SQLite has no channel between processes, but engines in one process on
   * the same file (a demo serving several apps, tests) hear each other's events.
   */
  @Override
  public boolean supportsClusterEvents() {
    return true;
  }

  /** The listeners in this JVM on this file, exactly. */
  @Override
  public int eventListeners() {
    List<Consumer<String>> listeners = EVENT_LISTENERS.get(path);
    return listeners == null ? 0 : listeners.size();
  }

  /** Hands each message to the listeners of every store on this file in this JVM. */
  @Override
  public void publishEvents(List<String> messages) {
    List<Consumer<String>> listeners = EVENT_LISTENERS.get(path);
    if (listeners == null) {
      return;
    }
    for (String m : messages) {
      for (Consumer<String> l : listeners) {
        l.accept(m);
      }
    }
  }

  @Override
  public AutoCloseable subscribeEvents(Consumer<String> listener) {
    Objects.requireNonNull(listener, "listener");
    EVENT_LISTENERS.compute(
        path,
        (k, v) -> {
          CopyOnWriteArrayList<Consumer<String>> l = v != null ? v : new CopyOnWriteArrayList<>();
          l.add(listener);
          return l;
        });
    return () ->
        EVENT_LISTENERS.computeIfPresent(
            path,
            (k, v) -> {
              v.remove(listener);
              return v.isEmpty() ? null : v;
            });
  }

  // ---------------------------------------------------------------- lifecycle

  /** Closes this store's connections (waiting for a write in progress); idempotent. */
  @Override
  public void close() {
    synchronized (lifecycleLock) {
      if (lifecycle == Lifecycle.CLOSED) {
        return;
      }
      boolean wasOpen = lifecycle == Lifecycle.OPEN;
      lifecycle = Lifecycle.CLOSED;
      if (wasOpen) {
        checkpointer.close();
        readers.close();
        writer.close();
        log.info("errand: SQLite job store {} closed", path);
      }
    }
  }

  @Override
  public String toString() {
    return "SqliteJobStore[" + path + ", synchronous=" + synchronous + ", " + lifecycle + "]";
  }

  // ---------------------------------------------------------------- schedules

  private final ScheduleStore schedules = new JdbcScheduleStore(new SqliteScheduleAccess());

  /**
   * The stored schedules ({@code errand_schedules}, migration V2). Writes go through this store's
   * one writer in {@code BEGIN IMMEDIATE} transactions, reads through its read connections.
   */
  @Override
  public ScheduleStore schedules() {
    return schedules;
  }

  /** SQLite's side of {@link JdbcScheduleStore}. */
  private final class SqliteScheduleAccess implements JdbcScheduleStore.Access {
    @Override
    public <R> R write(String operation, Sql.Work<R> work) {
      return writer().inTransaction(operation, work);
    }

    @Override
    public <R> R read(String operation, Sql.Work<R> work) {
      return readers().read(operation, work);
    }

    @Override
    public List<EnqueueResult> enqueue(Connection c, List<NewJob> jobs) throws SQLException {
      return insert(writer::prepare, jobs, nowMicros());
    }

    @Override
    public List<Job> jobs(Collection<Long> ids) {
      return findAll(ids);
    }

    @Override
    public Instant now() {
      return SqliteJobStore.this.now();
    }

    @Override
    public void bindTime(PreparedStatement ps, int index, Instant t) throws SQLException {
      if (t == null) {
        ps.setNull(index, java.sql.Types.BIGINT);
      } else {
        ps.setLong(index, micros(t));
      }
    }

    @Override
    public Instant time(ResultSet rs, String column) throws SQLException {
      long v = rs.getLong(column);
      return rs.wasNull() ? null : instant(v);
    }

    @Override
    public String falseLiteral() {
      return "0";
    }

    @Override
    public String forUpdate() {
      return "";
    }
  }

  // ---------------------------------------------------------------- rows and times

  private static List<Job> jobs(PreparedStatement ps) throws SQLException {
    List<Job> out = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.add(job(rs));
      }
    }
    return out;
  }

  /** Maps a row of {@link #COLUMNS}. */
  private static Job job(ResultSet rs) throws SQLException {
    return new Job(
        rs.getLong(1),
        rs.getString(2),
        rs.getString(3),
        rs.getString(4),
        JobState.valueOf(rs.getString(5)),
        rs.getInt(6),
        rs.getInt(7),
        rs.getInt(8),
        instant(rs.getLong(9)),
        rs.getString(10),
        instantOrNull(rs, 11),
        rs.getString(12),
        instant(rs.getLong(13)),
        instantOrNull(rs, 14),
        instantOrNull(rs, 15),
        rs.getString(16),
        StoreCodec.errorsFromJson(rs.getString(17)),
        intOrNull(rs, 18),
        rs.getString(19),
        rs.getString(20),
        StoreCodec.tagsFromColumn(rs.getString(21)),
        rs.getInt(22));
  }

  private static Instant instantOrNull(ResultSet rs, int column) throws SQLException {
    long v = rs.getLong(column);
    return rs.wasNull() ? null : instant(v);
  }

  private static Integer intOrNull(ResultSet rs, int column) throws SQLException {
    int v = rs.getInt(column);
    return rs.wasNull() ? null : v;
  }

  /** Microseconds since the epoch: how every time is stored. */
  static long micros(Instant i) {
    return Math.addExact(Math.multiplyExact(i.getEpochSecond(), 1_000_000L), i.getNano() / 1_000);
  }

  static long micros(Duration d) {
    return Math.addExact(Math.multiplyExact(d.getSeconds(), 1_000_000L), d.getNano() / 1_000);
  }

  static Instant instant(long micros) {
    return Instant.ofEpochSecond(
        Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L);
  }

  private static void closeQuietly(AutoCloseable c) {
    if (c != null) {
      try {
        c.close();
      } catch (Exception ignored) {
        // already failing
      }
    }
  }

  /** Configures a {@link SqliteJobStore}. Every setting has a default; see each method. */
  public static final class Builder {
    private final Path path;
    private SchemaMode schemaMode = SchemaMode.MIGRATE;
    private Clock clock = Clock.systemUTC();
    private Synchronous synchronous = DEFAULT_SYNCHRONOUS;
    private Duration busyTimeout = DEFAULT_BUSY_TIMEOUT;
    private int readConnections = DEFAULT_READ_CONNECTIONS;

    private Builder(Path path) {
      this.path = Objects.requireNonNull(path, "file");
    }

    /** What {@link #open()} does about the schema; default {@link SchemaMode#MIGRATE}. */
    public Builder schemaMode(SchemaMode schemaMode) {
      this.schemaMode = Objects.requireNonNull(schemaMode, "schemaMode");
      return this;
    }

    /** The store's clock for due times, leases, claims and rescues; default system UTC. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Durability of a commit; default {@link Synchronous#FULL} (see the class docs). */
    public Builder synchronous(Synchronous synchronous) {
      this.synchronous = Objects.requireNonNull(synchronous, "synchronous");
      return this;
    }

    /**
     * How long a write waits for another process (or a {@link #dataSource()} connection) holding
     * SQLite's write lock before failing with SQLITE_BUSY; default 10 s, at least 1 ms.
     */
    public Builder busyTimeout(Duration busyTimeout) {
      Objects.requireNonNull(busyTimeout, "busyTimeout");
      if (busyTimeout.toMillis() < 1 || busyTimeout.toMillis() > Integer.MAX_VALUE) {
        throw new IllegalArgumentException(
            "busyTimeout must be between 1 ms and "
                + Integer.MAX_VALUE
                + " ms, got "
                + busyTimeout);
      }
      this.busyTimeout = busyTimeout;
      return this;
    }

    /** Most read connections open at once (find, list, counts); default 4, 1 to 64. */
    public Builder readConnections(int readConnections) {
      if (readConnections < 1 || readConnections > 64) {
        throw new IllegalArgumentException(
            "readConnections must be between 1 and 64, got " + readConnections);
      }
      this.readConnections = readConnections;
      return this;
    }

    /**
     * A store with these settings; nothing is opened until {@link SqliteJobStore#open()}.
     *
     * @throws IllegalArgumentException if the path cannot be used in a SQLite JDBC URL
     * @throws IllegalStateException if sqlite-jdbc is not on the classpath
     */
    public SqliteJobStore build() {
      String text = path.toString();
      if (text.isEmpty() || text.contains("?") || text.equals(":memory:")) {
        throw new IllegalArgumentException(
            "SqliteJobStore needs a file path without '?'," + " got '" + text + "'");
      }
      try {
        Class.forName("org.sqlite.JDBC", false, SqliteJobStore.class.getClassLoader());
      } catch (ClassNotFoundException e) {
        throw new IllegalStateException(
            "SqliteJobStore needs the SQLite JDBC driver: add"
                + " org.xerial:sqlite-jdbc to your dependencies",
            e);
      }
      return new SqliteJobStore(this);
    }
  }
}
