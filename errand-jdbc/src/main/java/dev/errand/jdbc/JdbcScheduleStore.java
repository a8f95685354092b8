package dev.errand.jdbc;

import dev.errand.Job;
import dev.errand.Misfire;
import dev.errand.Schedule;
import dev.errand.spi.EnqueueResult;
import dev.errand.spi.Materialization;
import dev.errand.spi.MaterializeResult;
import dev.errand.spi.NewJob;
import dev.errand.spi.ScheduleStore;
import dev.errand.spi.ScheduleWrite;
import dev.errand.spi.StoredSchedule;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The {@link ScheduleStore} of both JDBC stores: one set of statements over {@code
 * errand_schedules} (migration V2), with the few differences between SQLite and PostgreSQL behind
 * {@link Access}. Each method is one write transaction of the owning store (SQLite: its one writer,
 * {@code BEGIN IMMEDIATE}; PostgreSQL: a pooled connection, with {@code FOR UPDATE} row locks), or
 * one read.
 */
final class JdbcScheduleStore implements ScheduleStore {
  /** What differs between the two databases, and the owning store's transactions. */
  interface Access {
    /** Runs {@code work} in one write transaction of the store. */
    <R> R write(String operation, Sql.Work<R> work);

    /** Runs {@code work} on a connection that sees the last committed state. */
    <R> R read(String operation, Sql.Work<R> work);

    /** Enqueues {@code jobs} on {@code c} inside the current write transaction. */
    List<EnqueueResult> enqueue(Connection c, List<NewJob> jobs) throws SQLException;

    /** The jobs with these ids (any order). */
    List<Job> jobs(Collection<Long> ids);

    /** The store's clock. */
    Instant now();

    /** Binds an instant (or SQL NULL). */
    void bindTime(PreparedStatement ps, int index, Instant t) throws SQLException;

    /** Reads an instant column (null for SQL NULL). */
    Instant time(ResultSet rs, String column) throws SQLException;

    /** {@code FALSE} or {@code 0}, as the partial index is written. */
    String falseLiteral();

    /** {@code " FOR UPDATE"} where the database has row locks, else empty. */
    String forUpdate();
  }

  private static final String WAITING = "('SCHEDULED', 'QUEUED', 'RETRYING')";
  private static final String LIVE = "('SCHEDULED', 'QUEUED', 'RUNNING', 'RETRYING')";
  private static final String COLUMNS =
      "name, type, queue, priority, max_attempts, payload,"
          + " schedule, look_ahead, misfire, paused, materialized_through, refill_at, created_at,"
          + " updated_at";
  private static final String CANCEL =
      "UPDATE errand_jobs SET state = 'CANCELLED',"
          + " finished_at = ?, lease_until = NULL WHERE schedule_id = ? AND state IN "
          + WAITING;

  private final Access db;

  JdbcScheduleStore(Access db) {
    this.db = db;
  }

  @Override
  public ScheduleWrite upsert(StoredSchedule s) {
    Objects.requireNonNull(s, "schedule");
    Instant now = db.now();
    return db.write(
        "define schedule " + s.name(),
        c -> {
          StoredSchedule old = select(c, s.name());
          if (old == null) {
            try (PreparedStatement ps =
                c.prepareStatement(
                    "INSERT INTO errand_schedules ("
                        + COLUMNS
                        + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?) ON CONFLICT (name) DO NOTHING")) {
              ps.setString(1, s.name());
              int p = bindDefinition(ps, 2, s);
              ps.setBoolean(p++, s.paused());
              db.bindTime(ps, p++, s.materializedThrough());
              db.bindTime(ps, p++, now);
              db.bindTime(ps, p, now);
              if (ps.executeUpdate() == 1) {
                return new ScheduleWrite(true, false, 0);
              }
            }
            old = select(c, s.name()); // another node created it meanwhile
          }
          if (old.sameDefinition(s)) {
            return new ScheduleWrite(false, false, 0);
          }
          try (PreparedStatement ps =
              c.prepareStatement(
                  "UPDATE errand_schedules SET type = ?,"
                      + " queue = ?, priority = ?, max_attempts = ?, payload = ?, schedule = ?, look_ahead = ?,"
                      + " misfire = ?, materialized_through = ?, refill_at = NULL, updated_at = ?"
                      + " WHERE name = ?")) {
            int p = bindDefinition(ps, 1, s);
            db.bindTime(ps, p++, earlier(old.materializedThrough(), now));
            db.bindTime(ps, p++, now);
            ps.setString(p, s.name());
            ps.executeUpdate();
          }
          return new ScheduleWrite(false, true, cancelAfter(c, s.name(), now));
        });
  }

  /** Binds type … misfire from parameter {@code p} on; returns the next parameter index. */
  private static int bindDefinition(PreparedStatement ps, int p, StoredSchedule s)
      throws SQLException {
    ps.setString(p++, s.type());
    ps.setString(p++, s.queue());
    ps.setInt(p++, s.priority());
    ps.setInt(p++, s.maxAttempts());
    ps.setString(p++, s.payload());
    ps.setString(p++, s.schedule().toString());
    ps.setInt(p++, s.lookAhead());
    ps.setString(p++, s.misfire().toString());
    return p;
  }

  /** Cancels the waiting occurrences of {@code name} due after {@code now}. */
  private int cancelAfter(Connection c, String name, Instant now) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(CANCEL + " AND run_at > ?")) {
      db.bindTime(ps, 1, now);
      ps.setString(2, name);
      db.bindTime(ps, 3, now);
      return ps.executeUpdate();
    }
  }

  private StoredSchedule select(Connection c, String name) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT " + COLUMNS + " FROM errand_schedules WHERE name = ?" + db.forUpdate())) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? row(rs) : null;
      }
    }
  }

  private StoredSchedule row(ResultSet rs) throws SQLException {
    return new StoredSchedule(
        rs.getString("name"),
        rs.getString("type"),
        rs.getString("queue"),
        rs.getInt("priority"),
        rs.getInt("max_attempts"),
        rs.getString("payload"),
        Schedule.parse(rs.getString("schedule")),
        rs.getInt("look_ahead"),
        Misfire.parse(rs.getString("misfire")),
        rs.getBoolean("paused"),
        db.time(rs, "materialized_through"),
        db.time(rs, "refill_at"),
        db.time(rs, "created_at"),
        db.time(rs, "updated_at"));
  }

  private List<StoredSchedule> rows(PreparedStatement ps) throws SQLException {
    List<StoredSchedule> out = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.add(row(rs));
      }
    }
    return out;
  }

  @Override
  public Optional<StoredSchedule> find(String name) {
    Objects.requireNonNull(name, "name");
    return db.read(
        "find schedule " + name,
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("SELECT " + COLUMNS + " FROM errand_schedules WHERE name = ?")) {
            ps.setString(1, name);
            return rows(ps).stream().findFirst();
          }
        });
  }

  @Override
  public List<StoredSchedule> list() {
    return db.read(
        "list schedules",
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("SELECT " + COLUMNS + " FROM errand_schedules ORDER BY name")) {
            return rows(ps);
          }
        });
  }

  @Override
  public List<StoredSchedule> due(Instant now, String afterName, int limit) {
    Objects.requireNonNull(now, "now");
    Objects.requireNonNull(afterName, "afterName");
    return db.read(
        "find due schedules",
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT "
                      + COLUMNS
                      + " FROM errand_schedules"
                      + " WHERE paused = "
                      + db.falseLiteral()
                      + " AND (refill_at IS NULL OR refill_at <= ?)"
                      + " AND name > ? ORDER BY name LIMIT ?")) {
            db.bindTime(ps, 1, now);
            ps.setString(2, afterName);
            ps.setInt(3, limit);
            return rows(ps);
          }
        });
  }

  @Override
  public List<MaterializeResult> materialize(List<Materialization> steps) {
    if (steps.isEmpty()) {
      return List.of();
    }
    Instant now = steps.stream().anyMatch(m -> !m.cancel().isEmpty()) ? db.now() : null;
    return db.write(
        "materialize schedules",
        c -> {
          boolean[] applied = new boolean[steps.size()];
          int[] cancelled = new int[steps.size()];
          List<NewJob> jobs = new ArrayList<>();
          try (PreparedStatement move =
                  c.prepareStatement(
                      "UPDATE errand_schedules"
                          + " SET materialized_through = ?, refill_at = ? WHERE name = ?"
                          + " AND materialized_through = ? AND paused = "
                          + db.falseLiteral());
              PreparedStatement cancel =
                  c.prepareStatement(CANCEL + " AND id = ? AND attempt = 0")) {
            for (int i = 0; i < steps.size(); i++) {
              Materialization m = steps.get(i);
              db.bindTime(move, 1, m.newCursor());
              db.bindTime(move, 2, m.refillAt());
              move.setString(3, m.name());
              db.bindTime(move, 4, m.expectedCursor());
              applied[i] = move.executeUpdate() == 1;
              if (!applied[i]) {
                continue;
              }
              for (long id : m.cancel()) {
                db.bindTime(cancel, 1, now);
                cancel.setString(2, m.name());
                cancel.setLong(3, id);
                cancelled[i] += cancel.executeUpdate();
              }
              jobs.addAll(m.create());
            }
          }
          List<EnqueueResult> enqueued = jobs.isEmpty() ? List.of() : db.enqueue(c, jobs);
          List<MaterializeResult> out = new ArrayList<>(steps.size());
          int next = 0;
          for (int i = 0; i < steps.size(); i++) {
            if (!applied[i]) {
              out.add(MaterializeResult.NOT_APPLIED);
              continue;
            }
            int n = steps.get(i).create().size();
            out.add(
                new MaterializeResult(
                    true, List.copyOf(enqueued.subList(next, next + n)), cancelled[i]));
            next += n;
          }
          return out;
        });
  }

  @Override
  public OptionalInt delete(String name) {
    Objects.requireNonNull(name, "name");
    Instant now = db.now();
    return db.write(
        "delete schedule " + name,
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("DELETE FROM errand_schedules WHERE name = ?")) {
            ps.setString(1, name);
            if (ps.executeUpdate() == 0) {
              return OptionalInt.empty();
            }
          }
          try (PreparedStatement ps = c.prepareStatement(CANCEL)) {
            db.bindTime(ps, 1, now);
            ps.setString(2, name);
            return OptionalInt.of(ps.executeUpdate());
          }
        });
  }

  @Override
  public OptionalInt setPaused(String name, boolean paused) {
    Objects.requireNonNull(name, "name");
    Instant now = db.now();
    return db.write(
        (paused ? "pause" : "resume") + " schedule " + name,
        c -> {
          StoredSchedule s = select(c, name);
          if (s == null) {
            return OptionalInt.empty();
          }
          if (s.paused() == paused) {
            return OptionalInt.of(0);
          }
          Instant cursor =
              paused
                  ? earlier(s.materializedThrough(), now)
                  : (s.materializedThrough().isAfter(now) ? s.materializedThrough() : now);
          try (PreparedStatement ps =
              c.prepareStatement(
                  "UPDATE errand_schedules SET paused = ?,"
                      + " materialized_through = ?, refill_at = NULL WHERE name = ?")) {
            ps.setBoolean(1, paused);
            db.bindTime(ps, 2, cursor);
            ps.setString(3, name);
            ps.executeUpdate();
          }
          return OptionalInt.of(paused ? cancelAfter(c, name, now) : 0);
        });
  }

  @Override
  public List<Job> occurrences(String name, int limit) {
    Objects.requireNonNull(name, "name");
    List<Long> ids =
        db.read(
            "list occurrences of schedule " + name,
            c -> {
              try (PreparedStatement ps =
                  c.prepareStatement(
                      "SELECT id FROM errand_jobs"
                          + " WHERE schedule_id = ? AND state IN "
                          + LIVE
                          + " ORDER BY run_at, id LIMIT ?")) {
                ps.setString(1, name);
                ps.setInt(2, limit);
                List<Long> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                  while (rs.next()) {
                    out.add(rs.getLong(1));
                  }
                }
                return out;
              }
            });
    if (ids.isEmpty()) {
      return List.of();
    }
    List<Job> jobs = new ArrayList<>(db.jobs(ids));
    jobs.sort(Comparator.comparing(Job::runAt).thenComparingLong(Job::id));
    return jobs;
  }

  @Override
  public int cancelOrphans(int limit) {
    Instant now = db.now();
    return db.write(
        "cancel orphaned occurrences",
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "UPDATE errand_jobs SET state = 'CANCELLED',"
                      + " finished_at = ?, lease_until = NULL WHERE state IN "
                      + WAITING
                      + " AND id IN ("
                      + "SELECT j.id FROM errand_jobs j WHERE j.schedule_id IS NOT NULL AND j.state IN "
                      + WAITING
                      + " AND NOT EXISTS (SELECT 1 FROM errand_schedules s"
                      + " WHERE s.name = j.schedule_id) LIMIT ?)")) {
            db.bindTime(ps, 1, now);
            ps.setInt(2, limit);
            return ps.executeUpdate();
          }
        });
  }

  private static Instant earlier(Instant a, Instant b) {
    return a.isBefore(b) ? a : b;
  }
}
