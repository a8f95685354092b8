package dev.errand.spring.app;

import dev.errand.JobContext;
import dev.errand.spring.ErrandJob;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.annotation.Transactional;

/** An annotated handler whose attempts each run in a Spring transaction. */
public class Audits {
  private final JdbcTemplate jdbc;

  public Audits(JdbcTemplate jdbc) {
    this.jdbc = jdbc;
  }

  /** Writes the entry, then fails the first attempt: its insert must roll back. */
  @Transactional
  @ErrandJob(name = "audit", backoff = "100ms")
  public void audit(Audit audit, JobContext ctx) {
    jdbc.update(
        "INSERT INTO audit_log (entry, attempt) VALUES (?, ?)", audit.entry(), ctx.attempt());
    if (ctx.attempt() == 1) {
      throw new IllegalStateException("attempt 1 of " + audit.entry() + " fails after its insert");
    }
  }

  public java.util.List<Integer> attemptsStored(String entry) {
    return jdbc.queryForList("SELECT attempt FROM audit_log WHERE entry = ?", Integer.class, entry);
  }
}
