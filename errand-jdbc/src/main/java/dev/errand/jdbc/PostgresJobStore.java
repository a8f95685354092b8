package dev.errand.jdbc;

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
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link JobStore} on PostgreSQL (12 or later; tested on 14 and 15), for any number of nodes
 * sharing one database.
 *
 * <p>What it guarantees:
 *
 * <ul>
 *   <li><b>One atomic statement per transition.</b> A claim is a single {@code UPDATE … WHERE id IN
 *       (SELECT … FOR UPDATE SKIP LOCKED LIMIT n) RETURNING …}: two claimers, in this process or
 *       any other, never get the same job, and a claimer never waits for another. Completions,
 *       heartbeats and rescues are each one statement for many jobs and are fenced: a write
 *       carrying a stale fence (the job was rescued, cancelled or claimed again) changes nothing
 *       and is reported as rejected.
 *   <li><b>The database clock.</b> Due times, leases, rescues and node heartbeats are judged by
 *       PostgreSQL's {@code now()}, never by the clock of the JVM that calls, and every attempt's
 *       start and end (the claim, and the write of its outcome) are stamped with it; {@link #now()}
 *       returns it. Instants are stored as {@code timestamptz} with microsecond precision (finer
 *       digits are truncated), whatever the session time zone.
 *   <li><b>Unique keys</b> are enforced by a partial unique index over live jobs: concurrent
 *       enqueues with one key, on any number of nodes, admit exactly one live job, and the others
 *       get its id with {@code created = false}.
 *   <li><b>Transactional enqueue.</b> {@link #enqueue(Connection, List)} writes on the caller's
 *       connection and never commits, rolls back or closes it: the jobs, and the {@code NOTIFY}
 *       that wakes other nodes, exist if and only if the caller commits.
 *   <li><b>Push wake-up.</b> Enqueues of due jobs (and releases and rescues) send {@code NOTIFY
 *       errand_jobs} with the queue name, once per queue per statement, delivered on commit. {@link
 *       #subscribe} listens on one dedicated connection taken from the DataSource for as long as
 *       the subscription is open, and reconnects by itself.
 *   <li><b>Live events across nodes.</b> {@link #publishEvents} sends engines' event messages with
 *       {@code NOTIFY errand_events}; {@link #subscribeEvents} listens on a second dedicated
 *       connection. An engine with cluster events on (the default) therefore holds two of the
 *       pool's connections while it runs; size pools for that.
 *   <li><b>Finished jobs do not slow the fetch:</b> the fetch reads a partial index of waiting jobs
 *       only; see {@code V1__jobs.sql} for every index and why. Jobs claimed since the last vacuum
 *       do: each leaves a dead entry at the head of that index, which later claims step over until
 *       a vacuum removes it. {@code V4__vacuum_settings.sql} therefore has autovacuum visit {@code
 *       errand_jobs} after every 10,000 dead rows and always clean its indexes; where autovacuum is
 *       off, run {@code VACUUM errand_jobs} yourself (docs/postgresql.md).
 *   <li><b>Durability.</b> Enqueues, {@link #completeInTransaction} (it carries the handler's own
 *       effects) and management writes commit synchronously. Claims, heartbeats, rescues and
 *       attempt outcomes commit with {@code synchronous_commit = off}, set for their own
 *       transaction in the same statement: losing one in a server crash is harmless under
 *       at-least-once delivery (a lost claim leaves the job waiting and the worker's later writes
 *       fail on the fence; a lost outcome makes the job run again; a lost heartbeat or rescue is
 *       redone), and every synchronous commit flushes the WAL through them.
 *   <li><b>Notifications after commit.</b> Enqueues this store commits itself notify after the
 *       commit, coalesced per queue ({@code PostgresNotifier}), so that they do not commit one at a
 *       time behind PostgreSQL's notification lock; enqueues on a caller's connection notify in the
 *       caller's transaction.
 * </ul>
 *
 * <p>Thread safety: every method may be called from any thread; the store keeps no connection of
 * its own except a subscription's. Failures surface as {@link StoreException} carrying the
 * SQLState. {@link #close()} stops subscriptions; it never closes the DataSource.
 */
public final class PostgresJobStore implements JobStore {
  /** The NOTIFY channel; the payload is a queue name. */
  public static final String CHANNEL = "errand_jobs";

  /**
   * The payload a store's {@value #CHANNEL} listener sends on that channel each time its LISTEN
   * takes effect; no queue has this name (queue names start with a letter or digit), and older
   * nodes ignore it as a queue they do not serve.
   */
  static final String LISTENING = "*listening";

  /** The channel engines share their job events on (see {@link #publishEvents}). */
  public static final String EVENTS_CHANNEL = "errand_events";

  /**
   * The class of the shared advisory locks listeners hold while they listen ({@code
   * pg_advisory_lock_shared(0x45524e44, id)}, "ERND"), so that any session can count them in {@code
   * pg_locks}: id {@value #JOBS_LOCK_ID} on {@value #CHANNEL}, id {@value #EVENTS_LOCK_ID} on
   * {@value #EVENTS_CHANNEL}.
   */
  static final int EVENTS_LOCK_CLASS = 0x45524e44;

  /** The lock id of {@value #CHANNEL} listeners (see {@link #EVENTS_LOCK_CLASS}). */
  static final int JOBS_LOCK_ID = 1;

  /** The lock id of {@value #EVENTS_CHANNEL} listeners (see {@link #EVENTS_LOCK_CLASS}). */
  static final int EVENTS_LOCK_ID = 2;

  /** Listeners by lock id: one row per id that has any. */
  static final String COUNT_LISTENERS_SQL =
      "SELECT objid, count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
          + " AND classid = "
          + EVENTS_LOCK_CLASS
          + " AND objid IN ("
          + JOBS_LOCK_ID
          + ", "
          + EVENTS_LOCK_ID
          + ") AND objsubid = 2"
          + " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
          + " GROUP BY objid";

  static final String DIALECT = "postgresql";

  /** {@code pg_advisory_xact_lock} key of schema migrations: "errand" in ASCII. */
  static final long MIGRATION_LOCK = 0x65_72_72_61_6e_64L;

  /** Rounds of insert-then-look-up before an enqueue with unique keys gives up. */
  static final int MAX_ENQUEUE_ROUNDS = 16;

  /** Enqueue writes of one engine in flight at once; see {@link #concurrentEnqueueWrites()}. */
  static final int CONCURRENT_ENQUEUE_WRITES = 4;

  private static final Logger log = LoggerFactory.getLogger(PostgresJobStore.class);

  private static final String LIVE = "('SCHEDULED', 'QUEUED', 'RUNNING', 'RETRYING')";
  private static final String WAITING = "('SCHEDULED', 'QUEUED', 'RETRYING')";
  private static final String COLUMNS =
      "id, type, queue, payload, state, priority, attempt,"
          + " max_attempts, run_at, unique_key, lease_until, node_id, created_at, started_at,"
          + " finished_at, last_error, errors, progress, result, schedule_id, tags, rescues, fence";
  private static final String MICROS = " * interval '1 microsecond'";

  static final String ENQUEUE_SQL =
      """
      WITH input AS (
        SELECT nextval('errand_jobs_id_seq') AS id, t.ord, t.type, t.queue, t.payload, t.priority,
               t.max_attempts, t.run_at::timestamptz AS run_at, t.unique_key, t.tags, t.schedule_id
        FROM unnest(?::text[], ?::text[], ?::text[], ?::int[], ?::int[], ?::text[], ?::text[],
                    ?::text[], ?::text[])
             WITH ORDINALITY AS t(type, queue, payload, priority, max_attempts, run_at, unique_key,
                                  tags, schedule_id, ord)
      ), ins AS (
        INSERT INTO errand_jobs (id, type, queue, payload, state, priority, max_attempts, run_at,
                                 unique_key, created_at, tags, schedule_id)
        SELECT id, type, queue, payload,
               CASE WHEN run_at > now() THEN 'SCHEDULED' ELSE 'QUEUED' END,
               priority, max_attempts, run_at, unique_key, now(), tags, schedule_id
        FROM input ORDER BY ord
        ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL
          AND state IN ('SCHEDULED', 'QUEUED', 'RUNNING', 'RETRYING') DO NOTHING
        RETURNING id, queue, state
      ), woken AS (
        SELECT count(pg_notify('errand_jobs', d.queue)) AS n
        FROM (SELECT DISTINCT queue FROM ins WHERE state = 'QUEUED') d
      )
      SELECT input.ord, input.id, ins.id IS NOT NULL AS created
      FROM input LEFT JOIN ins ON ins.id = input.id CROSS JOIN woken
      ORDER BY input.ord""";

  /**
   * One job, the common case of {@code enqueue}: the same insert as {@link #ENQUEUE_QUIET_SQL} with
   * plain parameters instead of nine one-element arrays, which PostgreSQL plans and the driver
   * encodes faster (about 0.1 ms of a 1.4 ms durable enqueue here). Returns no row when a live job
   * holds the unique key.
   */
  static final String ENQUEUE_ONE_QUIET_SQL =
      """
      INSERT INTO errand_jobs (type, queue, payload, state, priority, max_attempts, run_at,
                               unique_key, created_at, tags, schedule_id)
      SELECT ?, ?, ?, CASE WHEN r.run_at > now() THEN 'SCHEDULED' ELSE 'QUEUED' END, ?, ?,
             r.run_at, ?, now(), ?, ?
      FROM (SELECT ?::timestamptz AS run_at) r
      ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL
        AND state IN ('SCHEDULED', 'QUEUED', 'RUNNING', 'RETRYING') DO NOTHING
      RETURNING id, state = 'QUEUED' AS due""";

  /**
   * {@link #ENQUEUE_ONE_QUIET_SQL} that also notifies, so the NOTIFY fires on the statement's own
   * commit: the listeners hear of the job while the enqueuer is still reading its reply, with no
   * second statement. Used on a caller's connection, and for a single job when no other enqueue
   * write of this store is in flight (see {@link #enqueue(List)}).
   */
  static final String ENQUEUE_ONE_SQL =
      "WITH ins AS ("
          + ENQUEUE_ONE_QUIET_SQL.replace(
              "RETURNING id, state = 'QUEUED' AS due",
              "RETURNING id, queue, state = 'QUEUED' AS due")
          + "), woken AS (SELECT count(pg_notify('"
          + CHANNEL
          + "', queue)) AS n FROM ins WHERE due)"
          + " SELECT ins.id, ins.due FROM ins CROSS JOIN woken";

  /**
   * {@link #ENQUEUE_SQL} without the NOTIFY, for enqueues this store commits itself: they notify
   * after the commit ({@link PostgresNotifier}), so that their commit does not queue on
   * PostgreSQL's global notification lock, which is held through the commit's WAL flush.
   */
  static final String ENQUEUE_QUIET_SQL =
      ENQUEUE_SQL
          .replace(
              """
      ), woken AS (
        SELECT count(pg_notify('errand_jobs', d.queue)) AS n
        FROM (SELECT DISTINCT queue FROM ins WHERE state = 'QUEUED') d
      )""",
              "\n      )")
          .replace(" CROSS JOIN woken", "")
          .replace(
              "ins.id IS NOT NULL AS created",
              "ins.id IS NOT NULL AS created, ins.state = 'QUEUED' AS due, input.queue");

  /** The {@code ON CONFLICT} clause of the enqueue statements (declared before its uses). */
  private static final Pattern CONFLICT_CLAUSE =
      Pattern.compile(
          "\\s+ON CONFLICT \\(unique_key\\) WHERE unique_key IS NOT NULL\\s+AND state IN \\([^)]*\\)"
              + " DO NOTHING");

  /**
   * The enqueue statements for jobs none of which has a unique key: the same statements without
   * their {@code ON CONFLICT} clause. A job without a key cannot conflict (the unique index holds
   * only rows with a key), but the clause alone makes PostgreSQL insert speculatively, checking the
   * arbiter index and confirming each row, which cost about 0.11 ms of a 1.3 ms durable single-job
   * enqueue here (docs/benchmarks.md, thirteenth session).
   */
  static final String ENQUEUE_KEYLESS_SQL = withoutConflictClause(ENQUEUE_SQL);

  /** {@link #ENQUEUE_QUIET_SQL} without its {@code ON CONFLICT} clause. */
  static final String ENQUEUE_KEYLESS_QUIET_SQL = withoutConflictClause(ENQUEUE_QUIET_SQL);

  /** {@link #ENQUEUE_ONE_SQL} without its {@code ON CONFLICT} clause. */
  static final String ENQUEUE_ONE_KEYLESS_SQL = withoutConflictClause(ENQUEUE_ONE_SQL);

  /** {@link #ENQUEUE_ONE_QUIET_SQL} without its {@code ON CONFLICT} clause. */
  static final String ENQUEUE_ONE_KEYLESS_QUIET_SQL = withoutConflictClause(ENQUEUE_ONE_QUIET_SQL);

  static String withoutConflictClause(String sql) {
    Matcher m = CONFLICT_CLAUSE.matcher(sql);
    if (!m.find()) {
      throw new IllegalStateException("no ON CONFLICT clause in " + sql);
    }
    String out = m.replaceFirst("");
    if (CONFLICT_CLAUSE.matcher(out).find()) {
      throw new IllegalStateException("more than one ON CONFLICT clause in " + sql);
    }
    return out;
  }

  /**
   * Prefix of statements whose commit need not wait for the WAL flush: {@code set_config(...,
   * true)} sets {@code synchronous_commit = off} for the statement's own (auto-commit) transaction,
   * in the same round trip. The statement must read {@code async} (join it) for it to run.
   */
  static final String ASYNC_COMMIT =
      "WITH async AS MATERIALIZED (SELECT set_config('synchronous_commit', 'off', true) AS off) ";

  /** {@link #publishEvents}: one NOTIFY per message, committed without waiting for the WAL. */
  static final String PUBLISH_EVENTS_SQL =
      ASYNC_COMMIT
          + "SELECT count(pg_notify('"
          + EVENTS_CHANNEL
          + "', m)) FROM async, unnest(?::text[]) AS m";

  static final String LIVE_HOLDERS_SQL =
      "SELECT unique_key, id FROM errand_jobs"
          + " WHERE unique_key = ANY(?::text[]) AND state IN "
          + LIVE;

  static final String CLAIM_SQL =
      ASYNC_COMMIT
          + """
      , ready AS MATERIALIZED (
        SELECT id, priority, run_at FROM errand_jobs
        WHERE queue = ? AND state = 'QUEUED' AND run_at <= now()
        ORDER BY priority DESC, run_at, id LIMIT ? FOR UPDATE SKIP LOCKED
      ), waiting AS MATERIALIZED (
        SELECT id, priority, run_at FROM errand_jobs
        WHERE queue = ? AND state IN ('SCHEDULED', 'RETRYING') AND run_at <= now()
        ORDER BY priority DESC, run_at, id LIMIT ? FOR UPDATE SKIP LOCKED
      )
      UPDATE errand_jobs
      SET state = 'RUNNING', attempt = attempt + 1, fence = fence + 1,
          lease_until = now() + ?::bigint * interval '1 microsecond', node_id = ?,
          started_at = now()
      FROM async
      WHERE id IN (
        SELECT c.id FROM (SELECT * FROM ready UNION ALL SELECT * FROM waiting) c
        WHERE NOT EXISTS (SELECT 1 FROM errand_queues q WHERE q.name = ? AND q.paused)
        ORDER BY c.priority DESC, c.run_at, c.id
        LIMIT ?)
      RETURNING\s"""
          + COLUMNS;

  private static final String FENCED =
      " WHERE j.id = v.id AND j.fence = v.fence AND j.state = 'RUNNING'";

  private static final String SUCCEED_SQL =
      ASYNC_COMMIT
          + "UPDATE errand_jobs j SET state = 'SUCCEEDED',"
          + " finished_at = now(), result = v.result, lease_until = NULL"
          + " FROM async, unnest(?::bigint[], ?::bigint[], ?::text[]) AS v(id, fence, result)"
          + FENCED
          + " RETURNING j.id";

  /** An instant column or expression as the ISO-8601 UTC text (microseconds) the codec reads. */
  private static String iso(String timestamptz) {
    return "to_char(" + timestamptz + " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')";
  }

  /**
   * The attempt's error (a JSON object in {@code v.error}) appended with its start taken from the
   * row (the claim's time) and its end from this statement's {@code now()}.
   */
  private static final String APPEND_ERROR =
      " errors = j.errors || jsonb_build_array(v.error::jsonb || jsonb_build_object('startedAt', "
          + iso("j.started_at")
          + ", 'at', "
          + iso("now()")
          + ")),";

  private static final String RETRY_SQL =
      ASYNC_COMMIT
          + "UPDATE errand_jobs j SET state = 'RETRYING',"
          + " run_at = v.run_at::timestamptz, lease_until = NULL,"
          + APPEND_ERROR
          + " last_error = v.message"
          + " FROM async, unnest(?::bigint[], ?::bigint[], ?::text[], ?::text[], ?::text[])"
          + " AS v(id, fence, run_at, error, message)"
          + FENCED
          + " RETURNING j.id";
  private static final String FAIL_SQL =
      ASYNC_COMMIT
          + "UPDATE errand_jobs j SET state = 'FAILED',"
          + " finished_at = now(), lease_until = NULL,"
          + APPEND_ERROR
          + " last_error = v.message"
          + " FROM async, unnest(?::bigint[], ?::bigint[], ?::text[], ?::text[])"
          + " AS v(id, fence, error, message)"
          + FENCED
          + " RETURNING j.id";
  private static final String SNOOZE_SQL =
      ASYNC_COMMIT
          + "UPDATE errand_jobs j SET state = 'SCHEDULED',"
          + " run_at = v.run_at::timestamptz, attempt = j.attempt - 1, lease_until = NULL"
          + " FROM async, unnest(?::bigint[], ?::bigint[], ?::text[]) AS v(id, fence, run_at)"
          + FENCED
          + " RETURNING j.id";
  private static final String RELEASE_SQL =
      "WITH async AS MATERIALIZED (SELECT set_config('synchronous_commit', 'off', true) AS off), r AS (UPDATE errand_jobs j SET state = 'QUEUED',"
          + " run_at = now(), attempt = j.attempt - 1, lease_until = NULL"
          + " FROM async, unnest(?::bigint[], ?::bigint[]) AS v(id, fence)"
          + FENCED
          + " RETURNING j.id, j.queue),"
          + " woken AS (SELECT count(pg_notify('"
          + CHANNEL
          + "', d.queue)) AS n"
          + " FROM (SELECT DISTINCT queue FROM r) d)"
          + " SELECT r.id FROM r CROSS JOIN woken";
  private static final String SUCCEED_ONE_SQL =
      "UPDATE errand_jobs SET state = 'SUCCEEDED',"
          + " finished_at = now(), result = ?, lease_until = NULL"
          + " WHERE id = ? AND fence = ? AND state = 'RUNNING'";

  /**
   * Renews the leases it can lock without waiting and returns their ids; returns too, without
   * renewing them, the ids still held under their fence whose rows another transaction has locked
   * (the completer writing an outcome, a handler's {@code completeInTransaction}). Waiting for
   * those locks while holding others deadlocked with the completer's batch update (PostgreSQL locks
   * the rows of both in plan order), and would hold every lease of the node hostage to one
   * handler's transaction. A row skipped here is renewed by the next heartbeat.
   */
  static final String HEARTBEAT_SQL =
      ASYNC_COMMIT
          + """
      , v AS MATERIALIZED (
        SELECT * FROM unnest(?::bigint[], ?::bigint[], ?::int[]) AS v(id, fence, progress)
      ), free AS MATERIALIZED (
        SELECT j.id FROM errand_jobs j JOIN v ON j.id = v.id
        WHERE j.fence = v.fence AND j.state = 'RUNNING'
        FOR UPDATE OF j SKIP LOCKED
      ), renewed AS (
        UPDATE errand_jobs j
        SET lease_until = now() + ?::bigint * interval '1 microsecond',
            progress = COALESCE(v.progress, j.progress)
        FROM async, v, free f
        WHERE j.id = v.id AND j.id = f.id AND j.fence = v.fence AND j.state = 'RUNNING'
        RETURNING j.id
      )
      SELECT id FROM renewed
      UNION ALL
      SELECT v.id FROM v JOIN errand_jobs j ON j.id = v.id
      WHERE j.fence = v.fence AND j.state = 'RUNNING' AND v.id NOT IN (SELECT id FROM free)""";

  /** Shared wording with {@code MemoryJobStore.rescueError}. */
  static final String RESCUE_SQL =
      """
      WITH async AS MATERIALIZED (SELECT set_config('synchronous_commit', 'off', true) AS off),
      p AS (SELECT ?::int AS quarantine_after),
      expired AS (
        SELECT id FROM errand_jobs
        WHERE state = 'RUNNING' AND lease_until < now()
        ORDER BY id
        LIMIT ?
        FOR UPDATE SKIP LOCKED
      ), r AS (
        UPDATE errand_jobs j SET
          rescues = j.rescues + 1,
          state = CASE WHEN j.rescues + 1 >= x.quarantine_after OR j.attempt >= j.max_attempts
                       THEN 'FAILED' ELSE 'RETRYING' END,
          finished_at = CASE WHEN j.rescues + 1 >= x.quarantine_after OR j.attempt >= j.max_attempts
                             THEN now() ELSE j.finished_at END,
          run_at = CASE WHEN j.rescues + 1 >= x.quarantine_after OR j.attempt >= j.max_attempts
                        THEN j.run_at ELSE now() END,
          lease_until = NULL,
          errors = j.errors || jsonb_build_array(jsonb_build_object(
            'attempt', j.attempt,
            'startedAt', to_char(j.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
            'at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
            'kind', CASE WHEN j.rescues + 1 >= x.quarantine_after
                         THEN 'quarantined' ELSE 'rescued' END,
            'message', CASE WHEN j.rescues + 1 >= x.quarantine_after
              THEN 'quarantined: the lease expired ' || (j.rescues + 1) || ' times (limit '
                   || x.quarantine_after || '), last on node ' || COALESCE(j.node_id, 'null')
              ELSE 'lease expired on node ' || COALESCE(j.node_id, 'null')
                   || ' (node presumed dead)' END,
            'stackTrace', '')),
          last_error = CASE WHEN j.rescues + 1 >= x.quarantine_after
              THEN 'quarantined: the lease expired ' || (j.rescues + 1) || ' times (limit '
                   || x.quarantine_after || '), last on node ' || COALESCE(j.node_id, 'null')
              ELSE 'lease expired on node ' || COALESCE(j.node_id, 'null')
                   || ' (node presumed dead)' END
        FROM expired e CROSS JOIN p x CROSS JOIN async
        WHERE j.id = e.id AND j.state = 'RUNNING'
        RETURNING j.id, j.type, j.queue, j.attempt, j.state, j.node_id,
                  j.rescues >= x.quarantine_after AS quarantined
      ), woken AS (
        SELECT count(pg_notify('errand_jobs', d.queue)) AS n
        FROM (SELECT DISTINCT queue FROM r WHERE state = 'RETRYING') d
      )
      SELECT r.* FROM r CROSS JOIN woken
      ORDER BY r.id""";

  private static final String RETRY_BY_HAND_SQL =
      "WITH r AS (UPDATE errand_jobs j"
          + " SET state = 'QUEUED', run_at = now(), finished_at = NULL,"
          + " max_attempts = GREATEST(j.max_attempts, j.attempt + 1)"
          + " WHERE j.id = ? AND j.state IN ('FAILED', 'CANCELLED')"
          + " AND (j.unique_key IS NULL OR NOT EXISTS (SELECT 1 FROM errand_jobs o"
          + " WHERE o.unique_key = j.unique_key AND o.state IN "
          + LIVE
          + " AND o.id <> j.id))"
          + " RETURNING j.queue)"
          + " SELECT count(pg_notify('"
          + CHANNEL
          + "', r.queue)) FROM r";

  private static final String PRUNE_SQL =
      "DELETE FROM errand_jobs WHERE id IN ("
          + "SELECT id FROM errand_jobs WHERE state = ? AND finished_at < ?"
          + " ORDER BY finished_at LIMIT ? FOR UPDATE SKIP LOCKED)";

  private static final Comparator<Job> CLAIM_ORDER =
      Comparator.<Job>comparingInt(j -> -j.priority())
          .thenComparing(Job::runAt)
          .thenComparingLong(Job::id);

  private final DataSource dataSource;
  private final SchemaMode schemaMode;
  private final Set<PostgresListener> listeners = ConcurrentHashMap.newKeySet();
  private PostgresNotifier notifier; // guarded by this; created by the first enqueue

  /** Enqueue writes of this store in flight; see {@link #enqueue(List)}. */
  private final AtomicInteger enqueueWrites = new AtomicInteger();

  private PostgresJobStore(Builder b) {
    this.dataSource = b.dataSource;
    this.schemaMode = b.schemaMode;
  }

  /** A store on {@code dataSource} that migrates the schema on {@link #open()}. */
  public static PostgresJobStore create(DataSource dataSource) {
    return builder(dataSource).build();
  }

  /** A builder for a store on {@code dataSource}, which the store uses but never closes. */
  public static Builder builder(DataSource dataSource) {
    return new Builder(dataSource);
  }

  /** Options of a {@link PostgresJobStore}. */
  public static final class Builder {
    /** What {@link PostgresJobStore#open()} does about the schema unless told otherwise. */
    public static final SchemaMode DEFAULT_SCHEMA_MODE = SchemaMode.MIGRATE;

    private final DataSource dataSource;
    private SchemaMode schemaMode = DEFAULT_SCHEMA_MODE;

    private Builder(DataSource dataSource) {
      this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    }

    /** MIGRATE (default), VALIDATE or NONE; see {@link SchemaMode}. */
    public Builder schemaMode(SchemaMode schemaMode) {
      this.schemaMode = Objects.requireNonNull(schemaMode, "schemaMode");
      return this;
    }

    public PostgresJobStore build() {
      return new PostgresJobStore(this);
    }
  }

  // ------------------------------------------------------------------ lifecycle

  /**
   * Prepares the schema according to the {@link SchemaMode}: MIGRATE applies pending migrations in
   * one transaction under {@code pg_advisory_xact_lock}, so that one node migrates while the others
   * wait and then find nothing to do; VALIDATE fails naming the pending versions; NONE does
   * nothing. Idempotent.
   *
   * @throws IllegalStateException in VALIDATE mode when migrations are pending
   */
  @Override
  public void open() {
    switch (schemaMode) {
      case NONE ->
          log.info(
              "errand: PostgresJobStore opened (schema mode NONE: schema managed outside Errand)");
      case VALIDATE -> {
        List<Migrations.Script> pending =
            run("validate schema", c -> Migrations.pending(c, DIALECT));
        if (!pending.isEmpty()) {
          throw new IllegalStateException(
              "errand PostgreSQL schema is not current: pending"
                  + " migrations "
                  + pending.stream()
                      .map(s -> "V" + s.version() + " (" + s.name() + ")")
                      .collect(Collectors.joining(", "))
                  + "; open with SchemaMode.MIGRATE, or apply those files from errand-jdbc's"
                  + " dev/errand/jdbc/migrations/postgresql/ with your migration tool");
        }
        log.info("errand: PostgresJobStore opened (schema mode VALIDATE: schema is current)");
      }
      case MIGRATE -> {
        List<Migrations.Script> applied =
            Sql.inTransaction(
                dataSource,
                "migrate schema",
                c -> {
                  try (PreparedStatement ps =
                      c.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
                    ps.setLong(1, MIGRATION_LOCK);
                    ps.execute();
                  }
                  return Migrations.apply(c, DIALECT);
                });
        log.info(
            "errand: PostgresJobStore opened (schema mode MIGRATE: {})",
            applied.isEmpty()
                ? "schema already current"
                : "applied " + applied.stream().map(Migrations.Script::name).toList());
      }
    }
  }

  /**
   * Sends pending notifications, stops this store's subscriptions. The DataSource stays open: it is
   * the caller's.
   */
  @Override
  public void close() {
    PostgresNotifier n;
    synchronized (this) {
      n = notifier;
      notifier = null;
      if (listenerCounter != null) {
        listenerCounter.shutdownNow();
      }
    }
    if (n != null) {
      n.close();
    }
    List<PostgresListener> open = List.copyOf(listeners);
    open.forEach(PostgresListener::requestClose);
    open.forEach(PostgresListener::close);
  }

  @Override
  public Instant now() {
    return run(
        "now",
        c -> {
          try (PreparedStatement ps = c.prepareStatement("SELECT now()");
              ResultSet rs = ps.executeQuery()) {
            rs.next();
            return instant(rs, 1);
          }
        });
  }

  @Override
  public boolean supportsTransactions() {
    return true;
  }

  // ------------------------------------------------------------------ enqueue

  @Override
  public List<EnqueueResult> enqueue(List<NewJob> jobs) {
    if (jobs.isEmpty()) {
      return List.of();
    }
    boolean anyKey = jobs.stream().anyMatch(j -> j.uniqueKey() != null);
    boolean first = enqueueWrites.getAndIncrement() == 0;
    // No NOTIFY when no other engine listens: the enqueuing engine wakes its own workers itself.
    boolean notify = othersListenForJobs();
    // A single job with no other enqueue write in flight notifies in its own commit: nothing can
    // queue behind its hold of the notification lock, and the listeners hear of it one statement
    // sooner. Otherwise the NOTIFY goes after the commit (PostgresNotifier).
    boolean inline = notify && first && jobs.size() == 1;
    try {
      // Without unique keys the whole batch is one statement; with them a conflict may need a
      // look-up and a retry, which must see the same transaction.
      Set<String> due = inline ? null : ConcurrentHashMap.newKeySet();
      List<EnqueueResult> results =
          anyKey
              ? Sql.inTransaction(dataSource, "enqueue", c -> insert(c, jobs, due))
              : run("enqueue", c -> insert(c, jobs, due));
      if (notify && due != null && !due.isEmpty()) {
        notifier().wake(due);
      }
      return results;
    } finally {
      enqueueWrites.decrementAndGet();
    }
  }

  /** Counts a write in flight, as another enqueuing thread would (for tests of the NOTIFY path). */
  AutoCloseable holdEnqueueWrite() {
    enqueueWrites.incrementAndGet();
    return enqueueWrites::decrementAndGet;
  }

  /**
   * Four: PostgreSQL flushes the WAL of concurrent commits together (pgbench here: 3,270 one-insert
   * commits/s from one client, 6,478 from four), so more enqueue writes in flight cost little, and
   * a caller that arrives during a write starts its own at once instead of waiting for it to end.
   * Four producers completed a median 3,770 jobs/s with four slots against 2,930 with two (5 runs
   * each, docs/benchmarks.md); eight gained nothing more. Enqueues take at most four connections of
   * the pool the workers share.
   */
  @Override
  public int concurrentEnqueueWrites() {
    return CONCURRENT_ENQUEUE_WRITES;
  }

  /** Whether an enqueue has needed a NOTIFY after its commit (for tests of the NOTIFY path). */
  synchronized boolean notifiesAfterCommit() {
    return notifier != null;
  }

  private synchronized PostgresNotifier notifier() {
    if (notifier == null) {
      notifier = new PostgresNotifier(dataSource);
    }
    return notifier;
  }

  /**
   * Enqueues on the caller's connection, in the caller's transaction (or as its own statements when
   * the connection is in auto-commit). Never commits, rolls back or closes {@code connection};
   * after a {@link StoreException} the caller's transaction is aborted and the caller must roll it
   * back.
   */
  @Override
  public List<EnqueueResult> enqueue(Connection connection, List<NewJob> jobs) {
    Objects.requireNonNull(connection, "connection");
    if (jobs.isEmpty()) {
      return List.of();
    }
    try {
      return insert(connection, jobs, null);
    } catch (SQLException e) {
      throw new StoreException("enqueue on caller's connection", e);
    }
  }

  /**
   * Inserts {@code jobs}. With {@code due == null} the statement itself notifies (on the caller's
   * connection the NOTIFY must fire on the caller's commit; a lone single-job enqueue does it to
   * save the second statement); otherwise it does not, and the queues that got a due job are added
   * to {@code due} for a notification after commit.
   */
  private List<EnqueueResult> insert(Connection c, List<NewJob> jobs, Set<String> due)
      throws SQLException {
    EnqueueResult[] out = new EnqueueResult[jobs.size()];
    List<Integer> pending = new ArrayList<>(jobs.size());
    for (int i = 0; i < jobs.size(); i++) {
      pending.add(i);
    }
    for (int round = 1; !pending.isEmpty(); round++) {
      if (round > MAX_ENQUEUE_ROUNDS) {
        throw new IllegalStateException(
            "enqueue gave up after "
                + MAX_ENQUEUE_ROUNDS
                + " rounds:"
                + " the live jobs holding unique keys "
                + keysOf(jobs, pending)
                + " kept finishing"
                + " between the insert and the look-up");
      }
      List<Integer> conflicted = insertRound(c, jobs, pending, out, due);
      if (conflicted.isEmpty()) {
        break;
      }
      // The key is held by a live job, which may have been committed by another transaction
      // after this statement's snapshot: look it up in a new statement. If it finished (or was
      // deleted) meanwhile, the key is free: insert again.
      Map<String, Long> holders = liveHolders(c, keysOf(jobs, conflicted));
      pending = new ArrayList<>();
      for (int i : conflicted) {
        Long holder = holders.get(jobs.get(i).uniqueKey());
        if (holder != null) {
          out[i] = new EnqueueResult(holder, false);
        } else {
          pending.add(i);
        }
      }
    }
    return List.of(out);
  }

  /** Inserts the jobs at {@code indexes}; fills {@code out} for those created, returns the rest. */
  private static List<Integer> insertRound(
      Connection c, List<NewJob> jobs, List<Integer> indexes, EnqueueResult[] out, Set<String> due)
      throws SQLException {
    int n = indexes.size();
    if (n == 1) {
      return insertOne(c, jobs, indexes.get(0), out, due);
    }
    String[] types = new String[n];
    String[] queues = new String[n];
    String[] payloads = new String[n];
    Integer[] priorities = new Integer[n];
    Integer[] maxAttempts = new Integer[n];
    String[] runAts = new String[n];
    String[] keys = new String[n];
    String[] tags = new String[n];
    String[] schedules = new String[n];
    for (int k = 0; k < n; k++) {
      NewJob j = jobs.get(indexes.get(k));
      types[k] = j.type();
      queues[k] = j.queue();
      payloads[k] = j.payload();
      priorities[k] = j.priority();
      maxAttempts[k] = j.maxAttempts();
      runAts[k] = isoMicros(j.runAt());
      keys[k] = j.uniqueKey();
      tags[k] = StoreCodec.tagsToColumn(j.tags());
      schedules[k] = j.scheduleId();
    }
    List<Integer> conflicted = new ArrayList<>();
    boolean keyless = true;
    for (int k = 0; k < n && keyless; k++) {
      keyless = keys[k] == null;
    }
    String sql =
        keyless
            ? (due == null ? ENQUEUE_KEYLESS_SQL : ENQUEUE_KEYLESS_QUIET_SQL)
            : (due == null ? ENQUEUE_SQL : ENQUEUE_QUIET_SQL);
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setArray(1, c.createArrayOf("text", types));
      ps.setArray(2, c.createArrayOf("text", queues));
      ps.setArray(3, c.createArrayOf("text", payloads));
      ps.setArray(4, c.createArrayOf("int4", priorities));
      ps.setArray(5, c.createArrayOf("int4", maxAttempts));
      ps.setArray(6, c.createArrayOf("text", runAts));
      ps.setArray(7, c.createArrayOf("text", keys));
      ps.setArray(8, c.createArrayOf("text", tags));
      ps.setArray(9, c.createArrayOf("text", schedules));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          int index = indexes.get(rs.getInt(1) - 1);
          if (rs.getBoolean(3)) {
            out[index] = new EnqueueResult(rs.getLong(2), true);
            if (due != null && rs.getBoolean(4)) {
              due.add(rs.getString(5));
            }
          } else if (jobs.get(index).uniqueKey() == null) {
            throw new IllegalStateException(
                "job " + index + " of the batch has no unique key but" + " was not inserted");
          } else {
            conflicted.add(index);
          }
        }
      }
    }
    return conflicted;
  }

  /**
   * {@link #insertRound} of a single job: {@link #ENQUEUE_ONE_SQL}, which notifies, when {@code
   * due} is null, else {@link #ENQUEUE_ONE_QUIET_SQL}; their keyless variants for a job without a
   * unique key.
   */
  private static List<Integer> insertOne(
      Connection c, List<NewJob> jobs, int index, EnqueueResult[] out, Set<String> due)
      throws SQLException {
    NewJob j = jobs.get(index);
    String sql =
        j.uniqueKey() == null
            ? (due == null ? ENQUEUE_ONE_KEYLESS_SQL : ENQUEUE_ONE_KEYLESS_QUIET_SQL)
            : (due == null ? ENQUEUE_ONE_SQL : ENQUEUE_ONE_QUIET_SQL);
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, j.type());
      ps.setString(2, j.queue());
      ps.setString(3, j.payload());
      ps.setInt(4, j.priority());
      ps.setInt(5, j.maxAttempts());
      ps.setString(6, j.uniqueKey());
      ps.setString(7, StoreCodec.tagsToColumn(j.tags()));
      ps.setString(8, j.scheduleId());
      ps.setString(9, isoMicros(j.runAt()));
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          out[index] = new EnqueueResult(rs.getLong(1), true);
          if (due != null && rs.getBoolean(2)) {
            due.add(j.queue());
          }
          return List.of();
        }
      }
    }
    if (j.uniqueKey() == null) {
      throw new IllegalStateException("the job has no unique key but was not inserted");
    }
    return List.of(index);
  }

  private static Map<String, Long> liveHolders(Connection c, Set<String> keys) throws SQLException {
    Map<String, Long> out = new HashMap<>();
    try (PreparedStatement ps = c.prepareStatement(LIVE_HOLDERS_SQL)) {
      ps.setArray(1, c.createArrayOf("text", keys.toArray(String[]::new)));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.put(rs.getString(1), rs.getLong(2));
        }
      }
    }
    return out;
  }

  private static Set<String> keysOf(List<NewJob> jobs, List<Integer> indexes) {
    Set<String> keys = new LinkedHashSet<>();
    indexes.forEach(i -> keys.add(jobs.get(i).uniqueKey()));
    return keys;
  }

  // ------------------------------------------------------------------ claim and outcomes

  @Override
  public List<ClaimedJob> claim(String queue, int limit, String nodeId, Duration lease) {
    Objects.requireNonNull(queue, "queue");
    Objects.requireNonNull(nodeId, "nodeId");
    requirePositive(lease, "lease");
    if (limit < 0) {
      throw new IllegalArgumentException("limit must be >= 0, got " + limit);
    }
    if (limit == 0) {
      return List.of();
    }
    Sql.Work<List<ClaimedJob>> work =
        c -> {
          List<ClaimedJob> out = new ArrayList<>();
          try (PreparedStatement ps = c.prepareStatement(CLAIM_SQL)) {
            ps.setString(1, queue);
            ps.setInt(2, limit);
            ps.setString(3, queue);
            ps.setInt(4, limit);
            ps.setLong(5, micros(lease));
            ps.setString(6, nodeId);
            ps.setString(7, queue);
            ps.setInt(8, limit);
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                out.add(new ClaimedJob(readJob(rs), rs.getLong("fence")));
              }
            }
          }
          out.sort(Comparator.comparing(ClaimedJob::job, CLAIM_ORDER));
          return out;
        };
    // on a notification, the LISTEN connection: its backend is awake, and the pool is not touched
    Connection listening = PostgresListener.deliveringConnection(dataSource);
    if (listening == null) {
      return run("claim", work);
    }
    try {
      return work.run(listening);
    } catch (SQLException e) {
      throw new StoreException("claim", e);
    }
  }

  @Override
  public Set<Long> complete(List<Completion> completions) {
    if (completions.isEmpty()) {
      return Set.of();
    }
    Map<Completion.Outcome, List<Completion>> byOutcome = new EnumMap<>(Completion.Outcome.class);
    for (Completion comp : completions) {
      byOutcome.computeIfAbsent(comp.outcome(), o -> new ArrayList<>()).add(comp);
    }
    Sql.Work<Set<Long>> work =
        c -> {
          Set<Long> accepted = new HashSet<>();
          for (Map.Entry<Completion.Outcome, List<Completion>> e : byOutcome.entrySet()) {
            accepted.addAll(completeAll(c, e.getKey(), e.getValue()));
          }
          Set<Long> rejected = new HashSet<>();
          for (Completion comp : completions) {
            if (!accepted.contains(comp.id())) {
              rejected.add(comp.id());
            }
          }
          return rejected;
        };
    // One kind is one statement; several kinds commit together.
    return byOutcome.size() == 1
        ? run("complete", work)
        : Sql.inTransaction(dataSource, "complete", work);
  }

  private static List<Long> completeAll(
      Connection c, Completion.Outcome outcome, List<Completion> cs) throws SQLException {
    int n = cs.size();
    Long[] ids = new Long[n];
    Long[] fences = new Long[n];
    String[] runAts = new String[n];
    String[] results = new String[n];
    String[] errors = new String[n];
    String[] messages = new String[n];
    for (int i = 0; i < n; i++) {
      Completion comp = cs.get(i);
      ids[i] = comp.id();
      fences[i] = comp.fence();
      runAts[i] = comp.runAt() == null ? null : isoMicros(comp.runAt());
      results[i] = comp.result();
      AttemptError error = storable(comp.error());
      errors[i] = error == null ? null : StoreCodec.errorToJson(error);
      messages[i] = error == null ? null : error.message();
    }
    String sql =
        switch (outcome) {
          case SUCCEEDED -> SUCCEED_SQL;
          case RETRY -> RETRY_SQL;
          case FAIL -> FAIL_SQL;
          case SNOOZE -> SNOOZE_SQL;
          case RELEASE -> RELEASE_SQL;
        };
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setArray(1, c.createArrayOf("int8", ids));
      ps.setArray(2, c.createArrayOf("int8", fences));
      switch (outcome) {
        case SUCCEEDED -> ps.setArray(3, c.createArrayOf("text", results));
        case RETRY -> {
          ps.setArray(3, c.createArrayOf("text", runAts));
          ps.setArray(4, c.createArrayOf("text", errors));
          ps.setArray(5, c.createArrayOf("text", messages));
        }
        case FAIL -> {
          ps.setArray(3, c.createArrayOf("text", errors));
          ps.setArray(4, c.createArrayOf("text", messages));
        }
        case SNOOZE -> ps.setArray(3, c.createArrayOf("text", runAts));
        case RELEASE -> {}
      }
      return ids(ps);
    }
  }

  @Override
  public <R> R completeInTransaction(
      long id, long fence, TransactionWork<R> work, Supplier<String> result) throws Exception {
    Objects.requireNonNull(work, "work");
    Objects.requireNonNull(result, "result");
    try {
      return Sql.inTransaction(
          dataSource,
          "complete in transaction",
          c -> {
            R r;
            try {
              r = work.run(c);
            } catch (Exception e) {
              throw new WorkFailed(e);
            }
            try (PreparedStatement ps = c.prepareStatement(SUCCEED_ONE_SQL)) {
              ps.setString(1, result.get());
              ps.setLong(2, id);
              ps.setLong(3, fence);
              if (ps.executeUpdate() == 0) {
                throw new LeaseLostException(
                    id,
                    "job "
                        + id
                        + " is no longer"
                        + " RUNNING under fence "
                        + fence
                        + " (rescued after its lease expired,"
                        + " or cancelled); the transaction was rolled back");
              }
            }
            return r;
          });
    } catch (WorkFailed e) {
      throw e.work;
    }
  }

  /** Carries the user's exception out of {@link Sql#inTransaction} after the rollback. */
  private static final class WorkFailed extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient Exception work;

    WorkFailed(Exception work) {
      super(work);
      this.work = work;
    }
  }

  @Override
  public Set<Long> heartbeat(Collection<LeaseRef> leases, Duration lease) {
    requirePositive(lease, "lease");
    if (leases.isEmpty()) {
      return Set.of();
    }
    int n = leases.size();
    Long[] ids = new Long[n];
    Long[] fences = new Long[n];
    Integer[] progress = new Integer[n];
    int i = 0;
    for (LeaseRef l : leases) {
      ids[i] = l.id();
      fences[i] = l.fence();
      progress[i] = l.progress();
      i++;
    }
    List<Long> held =
        run(
            "heartbeat",
            c -> {
              try (PreparedStatement ps = c.prepareStatement(HEARTBEAT_SQL)) {
                ps.setArray(1, c.createArrayOf("int8", ids));
                ps.setArray(2, c.createArrayOf("int8", fences));
                ps.setArray(3, c.createArrayOf("int4", progress));
                ps.setLong(4, micros(lease));
                return ids(ps);
              }
            });
    Set<Long> lost = new HashSet<>();
    Set<Long> heldSet = new HashSet<>(held);
    for (LeaseRef l : leases) {
      if (!heldSet.contains(l.id())) {
        lost.add(l.id());
      }
    }
    return lost;
  }

  @Override
  public List<Rescue> rescueExpired(int quarantineAfter, int limit) {
    if (quarantineAfter < 1) {
      throw new IllegalArgumentException("quarantineAfter must be >= 1, got " + quarantineAfter);
    }
    if (limit < 0) {
      throw new IllegalArgumentException("limit must be >= 0, got " + limit);
    }
    if (limit == 0) {
      return List.of();
    }
    return run(
        "rescue expired leases",
        c -> {
          List<Rescue> out = new ArrayList<>();
          try (PreparedStatement ps = c.prepareStatement(RESCUE_SQL)) {
            ps.setInt(1, quarantineAfter);
            ps.setInt(2, limit);
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                out.add(
                    new Rescue(
                        rs.getLong("id"),
                        rs.getString("type"),
                        rs.getString("queue"),
                        rs.getInt("attempt"),
                        JobState.valueOf(rs.getString("state")),
                        rs.getString("node_id"),
                        rs.getBoolean("quarantined")));
              }
            }
          }
          return out;
        });
  }

  // ------------------------------------------------------------------ reads

  @Override
  public Optional<Job> find(long id) {
    return run(
        "find job",
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("SELECT " + COLUMNS + " FROM errand_jobs WHERE id = ?")) {
            ps.setLong(1, id);
            try (ResultSet rs = ps.executeQuery()) {
              return rs.next() ? Optional.of(readJob(rs)) : Optional.empty();
            }
          }
        });
  }

  @Override
  public List<Job> findAll(Collection<Long> ids) {
    if (ids.isEmpty()) {
      return List.of();
    }
    Long[] array = ids.toArray(Long[]::new);
    return run(
        "find jobs",
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT " + COLUMNS + " FROM errand_jobs WHERE id = ANY(?::bigint[])")) {
            ps.setArray(1, c.createArrayOf("int8", array));
            return jobs(ps);
          }
        });
  }

  @Override
  public JobPage list(JobQuery q) {
    // Only fixed fragments are appended; every value is bound.
    StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM errand_jobs WHERE TRUE");
    List<Object> params = new ArrayList<>();
    if (!q.states().isEmpty()) {
      sql.append(" AND state = ANY(?::text[])");
      params.add(q.states().stream().map(Enum::name).toArray(String[]::new));
    }
    if (q.queue() != null) {
      sql.append(" AND queue = ?");
      params.add(q.queue());
    }
    if (q.type() != null) {
      sql.append(" AND type = ?");
      params.add(q.type());
    }
    if (q.tag() != null) {
      // strpos, not LIKE: a tag may contain % or _.
      sql.append(" AND strpos(tags, ?) > 0");
      params.add("," + q.tag() + ",");
    }
    if (q.before() != null) {
      sql.append(" AND id < ?");
      params.add(q.before());
    }
    if (q.createdFrom() != null) {
      sql.append(" AND created_at >= ?");
      params.add(timestamp(q.createdFrom()));
    }
    if (q.createdBefore() != null) {
      sql.append(" AND created_at < ?");
      params.add(timestamp(q.createdBefore()));
    }
    sql.append(" ORDER BY id DESC LIMIT ?");
    params.add(q.limit() + 1);
    List<Job> found =
        run(
            "list jobs",
            c -> {
              try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
                for (int i = 0; i < params.size(); i++) {
                  Object p = params.get(i);
                  if (p instanceof String[] a) {
                    ps.setArray(i + 1, c.createArrayOf("text", a));
                  } else {
                    ps.setObject(i + 1, p);
                  }
                }
                return jobs(ps);
              }
            });
    boolean more = found.size() > q.limit();
    List<Job> page = more ? found.subList(0, q.limit()) : found;
    return new JobPage(page, more ? page.get(page.size() - 1).id() : null);
  }

  @Override
  public JobCounts counts() {
    return counts(
        "count jobs",
        "SELECT queue, type, state, count(*) FROM errand_jobs GROUP BY queue, type, state");
  }

  static final String FINISHED_STATS_SQL =
      """
      SELECT queue, type,
             count(*) FILTER (WHERE state = 'SUCCEEDED'),
             count(*) FILTER (WHERE state = 'FAILED'),
             count(*) FILTER (WHERE attempt > 1),
             count(*) FILTER (WHERE errors @> '[{"kind": "timeout"}]'),
             count(d.ms), coalesce(sum(d.ms), 0), coalesce(max(d.ms), 0)
      FROM errand_jobs,
           LATERAL (SELECT CASE WHEN finished_at >= started_at
             THEN floor(extract(epoch FROM finished_at - started_at) * 1000)::bigint END AS ms) d
      WHERE state IN ('SUCCEEDED', 'FAILED')
        AND finished_at >= ?::timestamptz AND finished_at <= ?::timestamptz
      GROUP BY queue, type""";

  /**
   * Finished jobs per step: parameters first (microseconds since the epoch), step (microseconds),
   * last step's index, first and end as timestamps. Jobs past the last step's start fall in it.
   */
  static final String FINISHED_SERIES_SQL =
      """
      SELECT least(floor((extract(epoch FROM finished_at) * 1000000 - ?::bigint)
                         / ?::bigint), ?::int)::int AS step,
             count(*) FILTER (WHERE state = 'SUCCEEDED'),
             count(*) FILTER (WHERE state = 'FAILED')
      FROM errand_jobs
      WHERE state IN ('SUCCEEDED', 'FAILED')
        AND finished_at >= ?::timestamptz AND finished_at <= ?::timestamptz
      GROUP BY 1""";

  /** One grouped query over the window's rows, found through {@code errand_jobs_finished}. */
  @Override
  public FinishedSeries finishedSeries(Instant first, Duration step, int count, Instant end) {
    FinishedSeries.check(first, step, count, end);
    return run(
        "finished series",
        c -> {
          try (PreparedStatement ps = c.prepareStatement(FINISHED_SERIES_SQL)) {
            ps.setLong(1, ChronoUnit.MICROS.between(Instant.EPOCH, first));
            ps.setLong(2, micros(step));
            ps.setInt(3, count - 1);
            ps.setString(4, isoMicros(first));
            ps.setString(5, isoMicros(end));
            return Sql.finishedSeries(ps, first, step, count, end);
          }
        });
  }

  /** One aggregate over the window's rows, found through {@code errand_jobs_finished}. */
  @Override
  public FinishedStats finishedStats(Instant from, Instant to) {
    return run(
        "finished stats",
        c -> {
          try (PreparedStatement ps = c.prepareStatement(FINISHED_STATS_SQL)) {
            ps.setString(1, isoMicros(from));
            ps.setString(2, isoMicros(to));
            return new FinishedStats(from, to, Sql.finishedRows(ps));
          }
        });
  }

  @Override
  public JobCounts liveCounts() {
    // Three parts, each answered from its partial index, however many finished jobs there are.
    return counts(
        "count live jobs",
        "SELECT queue, type, state, count(*) FROM errand_jobs WHERE state = 'QUEUED'"
            + " GROUP BY queue, type, state"
            + " UNION ALL SELECT queue, type, state, count(*) FROM errand_jobs"
            + " WHERE state IN ('SCHEDULED', 'RETRYING') GROUP BY queue, type, state"
            + " UNION ALL SELECT queue, type, state, count(*) FROM errand_jobs"
            + " WHERE state = 'RUNNING' GROUP BY queue, type, state");
  }

  private JobCounts counts(String operation, String sql) {
    return run(
        operation,
        c -> {
          List<JobCounts.Row> rows = new ArrayList<>();
          try (PreparedStatement ps = c.prepareStatement(sql);
              ResultSet rs = ps.executeQuery()) {
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

  // ------------------------------------------------------------------ management

  @Override
  public boolean retry(long id) {
    try {
      return run(
          "retry job",
          c -> {
            try (PreparedStatement ps = c.prepareStatement(RETRY_BY_HAND_SQL)) {
              ps.setLong(1, id);
              try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getLong(1) > 0;
              }
            }
          });
    } catch (StoreException e) {
      if ("23505".equals(e.sqlState())) {
        // another live job took the key between the check and the write
        return false;
      }
      throw e;
    }
  }

  @Override
  public boolean cancel(long id) {
    return update(
            "cancel job",
            "UPDATE errand_jobs SET state = 'CANCELLED', finished_at = now(),"
                + " lease_until = NULL WHERE id = ? AND state IN "
                + LIVE,
            id)
        > 0;
  }

  @Override
  public boolean delete(long id) {
    return update("delete job", "DELETE FROM errand_jobs WHERE id = ? AND state <> 'RUNNING'", id)
        > 0;
  }

  @Override
  public int prune(JobState state, Instant before, int limit) {
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(before, "before");
    if (limit < 0) {
      throw new IllegalArgumentException("limit must be >= 0, got " + limit);
    }
    if (limit == 0) {
      return 0;
    }
    return update("prune jobs", PRUNE_SQL, state.name(), timestamp(before), limit);
  }

  @Override
  public void setPaused(String queue, boolean paused) {
    Objects.requireNonNull(queue, "queue");
    run(
        "pause queue",
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO errand_queues (name, paused, updated_at) VALUES (?, ?, now())"
                      + " ON CONFLICT (name) DO UPDATE SET paused = excluded.paused, updated_at = now()")) {
            ps.setString(1, queue);
            ps.setBoolean(2, paused);
            ps.executeUpdate();
          }
          if (!paused) {
            // resumed: wake every node's fetcher for this queue
            try (PreparedStatement ps =
                c.prepareStatement("SELECT pg_notify('" + CHANNEL + "', ?)")) {
              ps.setString(1, queue);
              ps.execute();
            }
          }
          return null;
        });
  }

  @Override
  public Set<String> pausedQueues() {
    return run(
        "list paused queues",
        c -> {
          Set<String> out = new LinkedHashSet<>();
          try (PreparedStatement ps =
                  c.prepareStatement("SELECT name FROM errand_queues WHERE paused ORDER BY name");
              ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              out.add(rs.getString(1));
            }
          }
          return Set.copyOf(out);
        });
  }

  // ------------------------------------------------------------------ nodes

  @Override
  public void heartbeatNode(Node node) {
    Objects.requireNonNull(node, "node");
    String[] names = node.queues().keySet().stream().sorted().toArray(String[]::new);
    Integer[] slots = new Integer[names.length];
    for (int i = 0; i < names.length; i++) {
      slots[i] = node.queues().get(names[i]);
    }
    run(
        "node heartbeat",
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO errand_nodes (id, host, pid, started_at, heartbeat_at, queue_names,"
                      + " queue_slots) VALUES (?, ?, ?, ?, now(), ?::text[], ?::int[])"
                      + " ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid,"
                      + " started_at = excluded.started_at, heartbeat_at = now(),"
                      + " queue_names = excluded.queue_names, queue_slots = excluded.queue_slots")) {
            ps.setString(1, node.id());
            ps.setString(2, node.host());
            ps.setLong(3, node.pid());
            ps.setObject(4, timestamp(node.startedAt()));
            ps.setArray(5, c.createArrayOf("text", names));
            ps.setArray(6, c.createArrayOf("int4", slots));
            ps.executeUpdate();
          }
          return null;
        });
  }

  @Override
  public void removeNode(String nodeId) {
    update("remove node", "DELETE FROM errand_nodes WHERE id = ?", nodeId);
  }

  @Override
  public List<Node> nodes() {
    return run(
        "list nodes",
        c -> {
          List<Node> out = new ArrayList<>();
          try (PreparedStatement ps =
                  c.prepareStatement(
                      "SELECT id, host, pid, started_at,"
                          + " heartbeat_at, queue_names, queue_slots FROM errand_nodes"
                          + " ORDER BY started_at, id");
              ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              String[] names = (String[]) rs.getArray(6).getArray();
              Integer[] slots = (Integer[]) rs.getArray(7).getArray();
              Map<String, Integer> queues = new LinkedHashMap<>();
              for (int i = 0; i < names.length; i++) {
                queues.put(names[i], slots[i]);
              }
              out.add(
                  new Node(
                      rs.getString(1),
                      rs.getString(2),
                      rs.getLong(3),
                      instant(rs, 4),
                      instant(rs, 5),
                      queues));
            }
          }
          return out;
        });
  }

  @Override
  public int pruneNodes(Duration staleAfter) {
    Objects.requireNonNull(staleAfter, "staleAfter");
    return update(
        "prune nodes",
        "DELETE FROM errand_nodes WHERE heartbeat_at < now() - ?::bigint" + MICROS,
        micros(staleAfter));
  }

  // ------------------------------------------------------------------ notifications

  /**
   * True: the listener runs on the store's {@code errand-pg-listen} thread, which the engine may
   * use to claim. A {@link #claim} made there runs on the LISTEN connection itself (in auto-commit,
   * on the backend that has just sent the notification) rather than one from the pool;
   * notifications that arrive meanwhile wait in the connection's buffer.
   */
  @Override
  public boolean notifiesOnOwnThread() {
    return true;
  }

  /**
   * Listens for {@code NOTIFY errand_jobs} on a dedicated connection taken from the DataSource
   * (held until the subscription is closed) and calls {@code listener} with each queue name on the
   * daemon thread {@value PostgresListener#THREAD_NAME}. Reconnects by itself with backoff;
   * notifications sent while disconnected are lost, so the engine keeps polling as a fallback.
   * Closing the returned handle, or this store, stops the thread.
   */
  @Override
  public AutoCloseable subscribe(Consumer<String> listener) {
    Objects.requireNonNull(listener, "listener");
    PostgresListener[] self = new PostgresListener[1];
    PostgresListener l =
        new PostgresListener(
                dataSource,
                CHANNEL,
                EVENTS_LOCK_CLASS + ", " + JOBS_LOCK_ID,
                PostgresListener.THREAD_NAME,
                payload -> {
                  if (LISTENING.equals(payload)) {
                    forgetListenerCount(); // someone (re)started listening: notify, count again
                  } else {
                    listener.accept(payload);
                  }
                },
                () -> listeners.remove(self[0]))
            .onListen(this::announceListening);
    self[0] = l;
    listeners.add(l);
    l.start();
    return l;
  }

  /** True: {@code NOTIFY errand_events} reaches every engine listening on this database. */
  @Override
  public boolean supportsClusterEvents() {
    return true;
  }

  // -1 until the first count, and after a count failed
  private volatile int eventListenerCount = -1;
  private volatile int jobListenerCount = -1;
  private volatile long listenersCountedAt = Long.MIN_VALUE / 2; // when the last count started
  private volatile long countTakenAt = Long.MIN_VALUE / 2; // when the last count was stored
  // bumped when a listener (re)starts: a count taken before that is not stored
  private final AtomicLong countGeneration = new AtomicLong();
  private final AtomicBoolean countingListeners = new AtomicBoolean();
  private ScheduledExecutorService listenerCounter; // created on first use

  /**
   * How long after the call that found the count stale the count runs. Not at once: that call is an
   * enqueue (or a job's event), and on a small machine the count's query, run beside it, slowed it
   * down. At 25 paced enqueues a second every 25th one overlapped its count, which put the count
   * into the enqueue's p99. After this delay the enqueue, and at low load the start of its job on
   * another node, are done.
   */
  static final long COUNT_DELAY_MILLIS = 5;

  /**
   * The listeners holding the events lock in {@code pg_locks}, counted at most once a second on
   * this store's daemon thread {@code errand-pg-count-listeners}, never on the caller's: -1
   * (publish) until the first count and while the last one is more than 2 s old. A listener that
   * just connected is seen by the publishers within about a second.
   */
  @Override
  public int eventListeners() {
    countListenersIfStale();
    return countIsFresh() ? eventListenerCount : -1;
  }

  /**
   * A count older than this is not trusted (publish, notify): counts are taken at most once a
   * second and only when asked for, so after a quiet spell the last one may be minutes old.
   */
  private static final long COUNT_TRUSTED_NANOS = 2_000_000_000L;

  private boolean countIsFresh() {
    return System.nanoTime() - countTakenAt < COUNT_TRUSTED_NANOS;
  }

  /**
   * Whether a {@value #CHANNEL} listener other than this store's own subscriptions holds the jobs
   * lock: another engine (another JVM, or another store in this one) that a NOTIFY would wake. The
   * store's own engine wakes its workers in the JVM after an enqueue returns, so an engine alone on
   * its database sends no NOTIFY for the jobs it enqueues. Counted like {@link #eventListeners()}:
   * true until the first count, while counting fails, and while the last count is more than 2 s
   * old. A listener that (re)starts announces itself ({@link #LISTENING}), so every store whose
   * listener hears it notifies again at once; a store without a listener sees it at its next count,
   * within about a second, and until then the new node finds those jobs by polling.
   */
  boolean othersListenForJobs() {
    countListenersIfStale();
    int all = jobListenerCount;
    if (all < 0 || !countIsFresh()) {
      return true;
    }
    // At most one of this store's subscriptions is the enqueuing engine's own; a second one is
    // another engine sharing the store object, which the in-JVM wake-up does not reach.
    int own = 0;
    for (PostgresListener l : listeners) {
      if (l.channel().equals(CHANNEL) && l.isListening()) {
        own = 1;
        break;
      }
    }
    return all > own;
  }

  /** {@value #CHANNEL} listeners on this database as last counted, or -1 (for tests). */
  int jobListeners() {
    countListenersIfStale();
    return jobListenerCount;
  }

  /**
   * After one of this store's listeners (re)started LISTEN: forget the count, so that enqueues
   * notify until it is taken again, and tell every other store on the database to do the same
   * ({@link #LISTENING} on {@value #CHANNEL}), so that a node that just started listening, or came
   * back after an outage, hears the next enqueue of every node instead of finding it by polling.
   */
  private void announceListening() {
    forgetListenerCount();
    run(
        "announce a listener",
        c -> {
          try (PreparedStatement ps = c.prepareStatement("SELECT pg_notify(?, ?)")) {
            ps.setString(1, CHANNEL);
            ps.setString(2, LISTENING);
            ps.execute();
          }
          return null;
        });
  }

  /** The listener count is unknown (so enqueues notify) until a count started after this call. */
  private void forgetListenerCount() {
    synchronized (countGeneration) {
      countGeneration.incrementAndGet();
      jobListenerCount = -1;
      eventListenerCount = -1;
      listenersCountedAt = Long.MIN_VALUE / 2;
    }
    countListenersIfStale();
  }

  /** How often this store heard a listener announce itself or forgot its count (for tests). */
  long listenerCountsForgotten() {
    return countGeneration.get();
  }

  private void countListenersIfStale() {
    long now = System.nanoTime();
    if (now - listenersCountedAt > 1_000_000_000L && countingListeners.compareAndSet(false, true)) {
      listenersCountedAt = now;
      try {
        listenerCounter().schedule(this::countListeners, COUNT_DELAY_MILLIS, TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException closed) {
        countingListeners.set(false);
      }
    }
  }

  private synchronized ScheduledExecutorService listenerCounter() {
    if (listenerCounter == null) {
      listenerCounter =
          Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread t = new Thread(r, "errand-pg-count-listeners");
                t.setDaemon(true);
                return t;
              });
    }
    return listenerCounter;
  }

  private void countListeners() {
    long generation = countGeneration.get();
    try {
      int[] counts =
          run(
              "count listeners",
              c -> {
                int[] byId = new int[EVENTS_LOCK_ID + 1];
                try (Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery(COUNT_LISTENERS_SQL)) {
                  while (rs.next()) {
                    byId[rs.getInt(1)] = rs.getInt(2);
                  }
                }
                return byId;
              });
      synchronized (countGeneration) {
        if (countGeneration.get() == generation) { // else a listener appeared meanwhile: recount
          jobListenerCount = counts[JOBS_LOCK_ID];
          eventListenerCount = counts[EVENTS_LOCK_ID];
          countTakenAt = System.nanoTime();
        }
      }
    } catch (RuntimeException e) {
      jobListenerCount = -1; // cannot tell: notify
      eventListenerCount = -1; // and publish
    } finally {
      countingListeners.set(false);
    }
  }

  /** PostgreSQL's limit on a NOTIFY payload is 8000 bytes; this leaves room for the channel. */
  @Override
  public int maxEventMessageBytes() {
    return 7_900;
  }

  /**
   * Sends every message in one statement, {@code pg_notify('errand_events', m)} for each, in its
   * own transaction with {@code synchronous_commit = off} (its commit need not wait for the WAL:
   * live events are best effort).
   */
  @Override
  public void publishEvents(List<String> messages) {
    if (messages.isEmpty()) {
      return;
    }
    for (String m : messages) {
      if (m.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > maxEventMessageBytes()) {
        throw new IllegalArgumentException(
            "an event message must be at most " + maxEventMessageBytes() + " bytes");
      }
    }
    run(
        "publish events",
        c -> {
          try (PreparedStatement ps = c.prepareStatement(PUBLISH_EVENTS_SQL)) {
            ps.setArray(1, c.createArrayOf("text", messages.toArray(new String[0])));
            ps.executeQuery().close();
          }
          return null;
        });
  }

  /**
   * Listens for {@code NOTIFY errand_events} on another dedicated connection (thread {@code
   * errand-pg-listen-events}), with the same reconnects as {@link #subscribe}.
   */
  @Override
  public AutoCloseable subscribeEvents(Consumer<String> listener) {
    Objects.requireNonNull(listener, "listener");
    PostgresListener[] self = new PostgresListener[1];
    PostgresListener l =
        new PostgresListener(
            dataSource,
            EVENTS_CHANNEL,
            EVENTS_LOCK_CLASS + ", " + EVENTS_LOCK_ID,
            "errand-pg-listen-events",
            listener,
            () -> listeners.remove(self[0]));
    self[0] = l;
    listeners.add(l);
    l.start();
    return l;
  }

  // ------------------------------------------------------------------ schedules

  private volatile ScheduleStore schedules; // created on first use

  /**
   * The stored schedules ({@code errand_schedules}, migration V2). Each method is one transaction
   * on a pooled connection; concurrent schedulers on many nodes serialize on the schedule's row
   * ({@code FOR UPDATE}, and the conditional cursor update of {@link ScheduleStore#materialize}).
   */
  @Override
  public ScheduleStore schedules() {
    ScheduleStore s = schedules;
    if (s == null) {
      synchronized (this) {
        if (schedules == null) {
          schedules = new JdbcScheduleStore(new PostgresScheduleAccess());
        }
        s = schedules;
      }
    }
    return s;
  }

  /** PostgreSQL's side of {@link JdbcScheduleStore}. */
  private final class PostgresScheduleAccess implements JdbcScheduleStore.Access {
    @Override
    public <R> R write(String operation, Sql.Work<R> work) {
      return Sql.inTransaction(dataSource, operation, work);
    }

    @Override
    public <R> R read(String operation, Sql.Work<R> work) {
      return run(operation, work);
    }

    @Override
    public List<EnqueueResult> enqueue(Connection c, List<NewJob> jobs) {
      return PostgresJobStore.this.enqueue(c, jobs);
    }

    @Override
    public List<Job> jobs(Collection<Long> ids) {
      return findAll(ids);
    }

    @Override
    public Instant now() {
      return PostgresJobStore.this.now();
    }

    @Override
    public void bindTime(PreparedStatement ps, int index, Instant t) throws SQLException {
      if (t == null) {
        ps.setNull(index, java.sql.Types.TIMESTAMP_WITH_TIMEZONE);
      } else {
        ps.setObject(index, timestamp(t));
      }
    }

    @Override
    public Instant time(ResultSet rs, String column) throws SQLException {
      return instant(rs, column);
    }

    @Override
    public String falseLiteral() {
      return "FALSE";
    }

    @Override
    public String forUpdate() {
      return " FOR UPDATE";
    }
  }

  /**
   * Runs single-statement (or read-only) work on a connection of its own: in auto-commit, so one
   * statement is one round trip, or in a committed transaction if the DataSource hands out
   * connections with auto-commit off.
   */
  private <R> R run(String operation, Sql.Work<R> work) {
    try (Connection c = dataSource.getConnection()) {
      if (!c.getAutoCommit()) {
        return Sql.inTransaction(c, operation, work);
      }
      return work.run(c);
    } catch (SQLException e) {
      throw new StoreException(operation, e);
    }
  }

  private int update(String operation, String sql, Object... params) {
    return run(
        operation,
        c -> {
          try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
              ps.setObject(i + 1, params[i]);
            }
            return ps.executeUpdate();
          }
        });
  }

  private static List<Long> ids(PreparedStatement ps) throws SQLException {
    List<Long> out = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.add(rs.getLong(1));
      }
    }
    return out;
  }

  private static List<Job> jobs(PreparedStatement ps) throws SQLException {
    List<Job> out = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.add(readJob(rs));
      }
    }
    return out;
  }

  static Job readJob(ResultSet rs) throws SQLException {
    return new Job(
        rs.getLong("id"),
        rs.getString("type"),
        rs.getString("queue"),
        rs.getString("payload"),
        JobState.valueOf(rs.getString("state")),
        rs.getInt("priority"),
        rs.getInt("attempt"),
        rs.getInt("max_attempts"),
        instant(rs, "run_at"),
        rs.getString("unique_key"),
        instant(rs, "lease_until"),
        rs.getString("node_id"),
        instant(rs, "created_at"),
        instant(rs, "started_at"),
        instant(rs, "finished_at"),
        rs.getString("last_error"),
        StoreCodec.errorsFromJson(rs.getString("errors")),
        (Integer) rs.getObject("progress"),
        rs.getString("result"),
        rs.getString("schedule_id"),
        StoreCodec.tagsFromColumn(rs.getString("tags")),
        rs.getInt("rescues"));
  }

  private static Instant instant(ResultSet rs, String column) throws SQLException {
    OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
    return t == null ? null : t.toInstant();
  }

  private static Instant instant(ResultSet rs, int column) throws SQLException {
    OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
    return t == null ? null : t.toInstant();
  }

  /**
   * The error as PostgreSQL can store it: {@code text} and {@code jsonb} cannot hold U+0000, which
   * an exception message or stack trace may contain, so it becomes U+FFFD. Without this, the whole
   * batch of outcomes that carries such an error would be refused, again at every retry.
   */
  static AttemptError storable(AttemptError e) {
    if (e == null || (e.message().indexOf('\0') < 0 && e.stackTrace().indexOf('\0') < 0)) {
      return e;
    }
    return new AttemptError(
        e.attempt(),
        e.startedAt(),
        e.at(),
        e.kind(),
        e.message().replace('\0', '\uFFFD'),
        e.stackTrace().replace('\0', '\uFFFD'));
  }

  /** An instant as bound to a {@code timestamptz} parameter: UTC, microseconds. */
  static OffsetDateTime timestamp(Instant instant) {
    return OffsetDateTime.ofInstant(instant.truncatedTo(ChronoUnit.MICROS), ZoneOffset.UTC);
  }

  /**
   * An instant as an element of a {@code text[]} parameter cast to {@code timestamptz}: ISO-8601
   * with an explicit {@code Z}, so the session time zone plays no part.
   */
  static String isoMicros(Instant instant) {
    return instant.truncatedTo(ChronoUnit.MICROS).toString();
  }

  private static long micros(Duration d) {
    return d.toNanos() / 1_000;
  }

  private static void requirePositive(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, got " + d);
    }
  }
}
