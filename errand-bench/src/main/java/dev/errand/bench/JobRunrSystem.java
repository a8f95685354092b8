package dev.errand.bench;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Optional;
import java.util.stream.LongStream;
import org.jobrunr.jobs.mappers.JobMapper;
import org.jobrunr.scheduling.JobScheduler;
import org.jobrunr.server.BackgroundJobServer;
import org.jobrunr.server.BackgroundJobServerConfiguration;
import org.jobrunr.server.JobActivator;
import org.jobrunr.storage.StorageProvider;
import org.jobrunr.storage.sql.postgres.PostgresStorageProvider;
import org.jobrunr.storage.sql.sqlite.SqLiteStorageProvider;
import org.jobrunr.utils.mapper.JsonMapper;
import org.jobrunr.utils.mapper.jackson.JacksonJsonMapper;

/**
 * JobRunr (open-source edition) with its SQL storage provider, a {@link BackgroundJobServer} of the
 * benchmark's worker count and the shortest poll interval it accepts for SQL storage (5 s; it
 * rejects less with "The smallest supported pollInterval is 5 seconds").
 */
final class JobRunrSystem implements JobSystem {
  static final Duration POLL_INTERVAL = Duration.ofSeconds(5);

  @Override
  public String name() {
    return "jobrunr";
  }

  @Override
  public Optional<String> unsupported(StoreKind kind) {
    return Optional.empty();
  }

  @Override
  public String configuration(StoreKind kind, int threads) {
    return (kind == StoreKind.POSTGRES ? "PostgresStorageProvider" : "SqLiteStorageProvider")
        + "(HikariCP pool of "
        + (kind == StoreKind.POSTGRES
            ? Database.POOL_SIZE + ")"
            : Database.SQLITE_POOL_SIZE + " in WAL mode: with more, JobRunr fails on SQLITE_BUSY)")
        + " with JacksonJsonMapper; BackgroundJobServer("
        + "usingStandardBackgroundJobServerConfiguration().andWorkerCount("
        + threads
        + ").andPollInterval("
        + POLL_INTERVAL.toSeconds()
        + " s)) — the smallest poll interval it"
        + " allows for SQL storage; JobScheduler.enqueue(lambda) and enqueue(Stream, lambda)";
  }

  @Override
  public String bloatEquivalent() {
    return "rows in state SUCCEEDED (JobRunr keeps succeeded jobs, 36 h by default), cloned with one"
        + " INSERT … SELECT from a job JobRunr itself wrote";
  }

  @Override
  public Session open(Database db, int threads) {
    JsonMapper json = new JacksonJsonMapper();
    StorageProvider storage =
        db.kind == StoreKind.POSTGRES
            ? new PostgresStorageProvider(db.dataSource())
            : new SqLiteStorageProvider(db.dataSource());
    storage.setJobMapper(new JobMapper(json));
    return new JobRunrSession(db, threads, json, storage, new JobScheduler(storage));
  }

  private static final class JobRunrSession implements Session {
    private final Database db;
    private final int threads;
    private final JsonMapper json;
    private final StorageProvider storage;
    private final JobScheduler scheduler;
    private BackgroundJobServer server;

    JobRunrSession(
        Database db,
        int threads,
        JsonMapper json,
        StorageProvider storage,
        JobScheduler scheduler) {
      this.db = db;
      this.threads = threads;
      this.json = json;
      this.storage = storage;
      this.scheduler = scheduler;
    }

    @Override
    public void enqueue(long seq, long enqueuedMicros) {
      scheduler.enqueue(() -> JobRunrJobs.noop(seq, enqueuedMicros));
    }

    @Override
    public void enqueueBatch(long firstSeq, int count, long enqueuedMicros) {
      scheduler.enqueue(
          LongStream.range(firstSeq, firstSeq + count).boxed(),
          seq -> JobRunrJobs.noop(seq, enqueuedMicros));
    }

    @Override
    public void startWorkers() {
      JobActivator none =
          new JobActivator() {
            @Override
            public <T> T activateJob(Class<T> type) {
              return null; // static job method: nothing to activate
            }
          };
      server =
          new BackgroundJobServer(
              storage,
              json,
              none,
              BackgroundJobServerConfiguration.usingStandardBackgroundJobServerConfiguration()
                  .andWorkerCount(threads)
                  .andPollInterval(POLL_INTERVAL));
      server.start();
    }

    @Override
    public long unfinished() throws Exception {
      try (Connection c = db.connect();
          Statement st = c.createStatement();
          ResultSet rs =
              st.executeQuery(
                  "SELECT count(*) FROM jobrunr_jobs"
                      + " WHERE state NOT IN ('SUCCEEDED', 'FAILED', 'DELETED')")) {
        rs.next();
        return rs.getLong(1);
      }
    }

    /**
     * Enqueues one template job through JobRunr's API, clones it {@code n} times in state SUCCEEDED
     * with new ids (the id inside the stored JSON is replaced too), and deletes the template.
     */
    @Override
    public void insertFinished(int n) throws Exception {
      scheduler.enqueue(() -> JobRunrJobs.noop(-1L, 0L));
      boolean pg = db.kind == StoreKind.POSTGRES;
      String ids =
          pg
              ? "SELECT gen_random_uuid()::text AS id FROM generate_series(1, ?)"
              : "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)"
                  + " SELECT lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-' ||"
                  + " hex(randomblob(2)) || '-' || hex(randomblob(2)) || '-' || hex(randomblob(6))) AS id"
                  + " FROM n";
      try (Connection c = db.connect()) {
        String template;
        try (Statement st = c.createStatement();
            ResultSet rs = st.executeQuery("SELECT id FROM jobrunr_jobs")) {
          if (!rs.next()) {
            throw new IllegalStateException("JobRunr did not store the template job");
          }
          template = rs.getString(1).trim();
        }
        try (var ps =
            c.prepareStatement(
                "INSERT INTO jobrunr_jobs (id, version, jobasjson,"
                    + " jobsignature, state, createdat, updatedat, scheduledat, recurringjobid)"
                    + " SELECT g.id, t.version, replace(t.jobasjson, ?, g.id), t.jobsignature, 'SUCCEEDED',"
                    + " t.createdat, t.updatedat, NULL, NULL FROM jobrunr_jobs t CROSS JOIN ("
                    + ids
                    + ") g"
                    + " WHERE t.id = ?")) {
          ps.setString(1, template);
          ps.setInt(2, n);
          ps.setString(3, template);
          ps.executeUpdate();
        }
        try (var ps = c.prepareStatement("DELETE FROM jobrunr_jobs WHERE id = ?")) {
          ps.setString(1, template);
          ps.executeUpdate();
        }
      }
    }

    @Override
    public void close() {
      if (server != null) {
        server.stop();
      }
      storage.close();
    }
  }
}
