package dev.errand;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * What the jobs that finished (SUCCEEDED or FAILED) in {@code [from, to]} did, by queue and type,
 * counted by the store over every such job it still holds (jobs pruned by retention are not
 * counted). Cancelled jobs are not finished work and are left out.
 *
 * @param from start of the window, inclusive (store clock)
 * @param to end of the window, inclusive (store clock)
 * @param rows one row per queue and type with at least one finished job
 */
public record FinishedStats(Instant from, Instant to, List<Row> rows) {
  /**
   * The finished jobs of one type on one queue.
   *
   * @param queue the queue
   * @param type the job type
   * @param succeeded jobs that ended SUCCEEDED
   * @param failed jobs that ended FAILED (dead-lettered: out of attempts, failed permanently or
   *     quarantined)
   * @param retried jobs that needed more than one attempt
   * @param timedOut jobs with at least one attempt that hit its type's timeout
   * @param timed jobs whose last attempt has a start and an end, the ones the durations cover
   * @param totalDurationMillis sum of their last attempt's durations
   * @param maxDurationMillis the longest of them (0 when {@code timed} is 0)
   */
  public record Row(
      String queue,
      String type,
      long succeeded,
      long failed,
      long retried,
      long timedOut,
      long timed,
      long totalDurationMillis,
      long maxDurationMillis) {

    /** Succeeded plus failed. */
    public long finished() {
      return succeeded + failed;
    }

    /** Mean duration of the timed jobs' last attempt, or null when none was timed. */
    public Double averageDurationMillis() {
      return timed == 0 ? null : (double) totalDurationMillis / timed;
    }

    /** This row and {@code o} together (the names of this row are kept). */
    public Row plus(Row o) {
      return new Row(
          queue,
          type,
          succeeded + o.succeeded,
          failed + o.failed,
          retried + o.retried,
          timedOut + o.timedOut,
          timed + o.timed,
          totalDurationMillis + o.totalDurationMillis,
          Math.max(maxDurationMillis, o.maxDurationMillis));
    }
  }

  public FinishedStats {
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(to, "to");
    rows = List.copyOf(rows);
  }

  /**
   * Counts {@code jobs} the way stores do in SQL, for stores that compute it in Java: those that
   * ended SUCCEEDED or FAILED with {@code finishedAt} in {@code [from, to]}.
   */
  public static FinishedStats of(Instant from, Instant to, Iterable<Job> jobs) {
    Map<String, Row> rows = new TreeMap<>();
    for (Job j : jobs) {
      boolean ok = j.state() == JobState.SUCCEEDED;
      if ((!ok && j.state() != JobState.FAILED)
          || j.finishedAt() == null
          || j.finishedAt().isBefore(from)
          || j.finishedAt().isAfter(to)) {
        continue;
      }
      boolean timed = j.startedAt() != null && !j.finishedAt().isBefore(j.startedAt());
      long ms = timed ? java.time.Duration.between(j.startedAt(), j.finishedAt()).toMillis() : 0;
      Row r =
          new Row(
              j.queue(),
              j.type(),
              ok ? 1 : 0,
              ok ? 0 : 1,
              j.attempt() > 1 ? 1 : 0,
              j.errors().stream().anyMatch(e -> e.kind().equals("timeout")) ? 1 : 0,
              timed ? 1 : 0,
              ms,
              ms);
      rows.merge(j.queue() + '\0' + j.type(), r, Row::plus);
    }
    return new FinishedStats(from, to, List.copyOf(rows.values()));
  }

  /** Every row added up (queue and type {@code "*"}). */
  public Row total() {
    Row t = new Row("*", "*", 0, 0, 0, 0, 0, 0, 0);
    for (Row r : rows) {
      t = t.plus(r);
    }
    return t;
  }

  /** Rows added up per type, by name. */
  public Map<String, Row> byType() {
    return group(Row::type);
  }

  /** Rows added up per queue, by name. */
  public Map<String, Row> byQueue() {
    return group(Row::queue);
  }

  private Map<String, Row> group(Function<Row, String> key) {
    Map<String, Row> m = new TreeMap<>();
    for (Row r : rows) {
      m.merge(key.apply(r), r, Row::plus);
    }
    return m;
  }
}
