package dev.errand.examples;

import static dev.errand.examples.ExampleDatabase.number;
import static dev.errand.examples.ExampleDatabase.query;
import static dev.errand.examples.ExampleDatabase.update;

import dev.errand.Errand;
import dev.errand.JobEvent;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Alerts of an example application, stored in its database (table {@code alerts}) and logged at
 * ERROR: a job that was dead-lettered (a permanent failure, or its last attempt failed), a job type
 * whose attempts failed {@code threshold} times within {@code window} (repeated failures), and
 * whatever the application raises itself (an unhealthy health check). One alert per key and window:
 * a storm of failures gives one row, not thousands. Thread-safe.
 */
public final class Alerts {
  private static final Logger log = LoggerFactory.getLogger(Alerts.class);

  static final String SCHEMA =
      """
      CREATE TABLE IF NOT EXISTS alerts (
        id ${ID},
        alert_key TEXT NOT NULL,
        severity TEXT NOT NULL,
        message TEXT NOT NULL,
        raised_at BIGINT NOT NULL);
      CREATE INDEX IF NOT EXISTS alerts_key ON alerts (alert_key, raised_at)
      """;

  /** A stored alert. */
  public record Alert(long id, String key, String severity, String message, Instant raisedAt) {}

  private final ExampleDatabase db;
  private final Clock clock;
  private final int threshold;
  private final Duration window;
  private final Map<String, Deque<Instant>> failures = new HashMap<>();

  /**
   * @param threshold failed attempts of one job type within {@code window} that raise a
   *     repeated-failures alert
   */
  public Alerts(ExampleDatabase db, Clock clock, int threshold, Duration window) {
    this.db = db;
    this.clock = clock;
    this.threshold = threshold;
    this.window = window;
    db.migrate(SCHEMA);
  }

  /** Raises alerts from {@code errand}'s job events until the returned handle is closed. */
  public AutoCloseable watch(Errand errand) {
    return errand.subscribe(this::onEvent);
  }

  private void onEvent(JobEvent e) {
    if (e.kind() == JobEvent.Kind.FAILED) {
      raise(
          "job-failed:" + e.type() + ":" + e.jobId(),
          "high",
          "job "
              + e.jobId()
              + " ("
              + e.type()
              + ") failed for good after attempt "
              + e.attempt()
              + ": "
              + e.error());
    }
    if (e.kind() == JobEvent.Kind.RETRY_SCHEDULED || e.kind() == JobEvent.Kind.FAILED) {
      int recent;
      Instant now = clock.instant();
      synchronized (failures) {
        Deque<Instant> times = failures.computeIfAbsent(e.type(), t -> new ArrayDeque<>());
        times.addLast(now);
        while (!times.isEmpty() && times.peekFirst().isBefore(now.minus(window))) {
          times.removeFirst();
        }
        recent = times.size();
      }
      if (recent >= threshold) {
        raise(
            "repeated-failures:" + e.type(),
            "medium",
            recent
                + " failed attempts of "
                + e.type()
                + " within "
                + window
                + "; last: "
                + e.error());
      }
    }
  }

  /** Stores and logs an alert unless one with {@code key} was raised within the window. */
  public boolean raise(String key, String severity, String message) {
    Instant now = clock.instant();
    boolean raised =
        db.inTransaction(
            c -> {
              if (number(
                      c,
                      "SELECT COUNT(*) FROM alerts WHERE alert_key = ? AND raised_at > ?",
                      key,
                      now.minus(window).toEpochMilli())
                  > 0) {
                return false;
              }
              update(
                  c,
                  "INSERT INTO alerts (alert_key, severity, message, raised_at) VALUES (?, ?, ?, ?)",
                  key,
                  severity,
                  message,
                  now.toEpochMilli());
              return true;
            });
    if (raised) {
      log.error("ALERT [{}] {}: {}", severity, key, message);
    }
    return raised;
  }

  /** Every stored alert, newest first. */
  public List<Alert> list() {
    return db.read(
        c ->
            query(
                c,
                "SELECT id, alert_key, severity, message, raised_at FROM alerts"
                    + " ORDER BY id DESC",
                rs ->
                    new Alert(
                        rs.getLong(1),
                        rs.getString(2),
                        rs.getString(3),
                        rs.getString(4),
                        Instant.ofEpochMilli(rs.getLong(5)))));
  }
}
