package dev.errand.spring.app;

import dev.errand.JobHandle;
import dev.errand.spring.JobEnqueuer;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.annotation.Transactional;

/** Writes a sign-up row and enqueues its welcome email in one transaction. */
public class Signups {
  private final JdbcTemplate jdbc;
  private final JobEnqueuer jobs;

  /** Id of the job the last sign-up enqueued, kept even when the transaction rolls back. */
  private final AtomicLong lastJobId = new AtomicLong();

  public Signups(JdbcTemplate jdbc, JobEnqueuer jobs) {
    this.jdbc = jdbc;
    this.jobs = jobs;
  }

  public void createTable() {
    jdbc.execute("CREATE TABLE IF NOT EXISTS signups (name VARCHAR(100) PRIMARY KEY)");
    jdbc.execute("CREATE TABLE IF NOT EXISTS audit_log (entry VARCHAR(100), attempt INT)");
  }

  /** Inserts the row, then enqueues; throws after both if {@code fail}, rolling both back. */
  @Transactional
  public long signUp(String name, boolean fail) {
    int seen = jdbc.queryForObject("SELECT count(*) FROM signups", Integer.class);
    jdbc.update("INSERT INTO signups (name) VALUES (?)", name);
    JobHandle job = jobs.enqueue("welcome-email", new Welcome(name));
    lastJobId.set(job.id());
    if (fail) {
      throw new IllegalStateException(
          "sign-up of " + name + " rolled back on purpose (" + seen + " before)");
    }
    return job.id();
  }

  public long lastJobId() {
    return lastJobId.get();
  }

  public boolean exists(String name) {
    return jdbc.queryForObject("SELECT count(*) FROM signups WHERE name = ?", Integer.class, name)
        == 1;
  }
}
