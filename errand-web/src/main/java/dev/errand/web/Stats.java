package dev.errand.web;

import dev.errand.Errand;
import dev.errand.FinishedSeries;
import dev.errand.FinishedStats;
import dev.errand.JobCounts;
import dev.errand.JobState;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Statistics from what the store holds, so they are the cluster's, not one node's: counts by state,
 * queue and type ({@link Errand#counts()}), and over a window the jobs that finished in it ({@link
 * Errand#finishedStats}, one aggregate query), in all, per type and per queue.
 *
 * <p>Rates are over finished jobs (SUCCEEDED or FAILED) whose {@code finishedAt} lies in the
 * window: success and error rate are the shares that succeeded and failed; retry rate the share
 * that needed more than one attempt; timeout rate the share with at least one timed-out attempt.
 * Durations are of each job's last attempt ({@code finishedAt - startedAt}). Every finished job the
 * store still holds is counted; those pruned by retention are not.
 */
final class Stats {
  /** Most points {@link #series} gives. */
  static final int MAX_POINTS = 240;

  private final Errand errand;
  private final WebConfig config;

  Stats(Errand errand, WebConfig config) {
    this.errand = errand;
    this.config = config;
  }

  /** Counts plus window statistics ending now (store clock). */
  Map<String, Object> compute(Duration window) {
    Instant now = errand.store().now();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("at", now);
    out.put("counts", counts(errand.counts()));
    out.put("window", window(window, now));
    return out;
  }

  static Map<String, Object> counts(JobCounts counts) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("total", counts.rows().stream().mapToLong(JobCounts.Row::count).sum());
    m.put("byState", names(counts.byState()));
    Map<String, Object> q = new TreeMap<>();
    counts.byQueue().forEach((k, v) -> q.put(k, names(v)));
    m.put("byQueue", q);
    Map<String, Object> t = new TreeMap<>();
    counts.byType().forEach((k, v) -> t.put(k, names(v)));
    m.put("byType", t);
    return m;
  }

  static Map<String, Long> names(Map<JobState, Long> byState) {
    Map<String, Long> m = new LinkedHashMap<>();
    for (JobState s : JobState.values()) {
      m.put(s.name(), byState.getOrDefault(s, 0L));
    }
    return m;
  }

  /** Window statistics over [now - window, now]: in all, then per type and per queue. */
  Map<String, Object> window(Duration window, Instant now) {
    Instant from = now.minus(window);
    FinishedStats stats = errand.finishedStats(from, now);
    double hours = window.toMillis() / 3_600_000.0;
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("duration", window.toString());
    m.put("from", from);
    m.put("to", now);
    m.putAll(figures(stats.total(), hours));
    Map<String, Object> byType = new TreeMap<>();
    stats.byType().forEach((t, r) -> byType.put(t, figures(r, hours)));
    m.put("byType", byType);
    Map<String, Object> byQueue = new TreeMap<>();
    stats.byQueue().forEach((q, r) -> byQueue.put(q, figures(r, hours)));
    m.put("byQueue", byQueue);
    return m;
  }

  /**
   * Finished jobs per {@code step} over the {@code window} ending now: steps aligned to whole
   * multiples of {@code step} since the epoch (so minutes start at :00), the last one still
   * filling, all counted in one {@link Errand#finishedSeries} query.
   */
  Map<String, Object> series(Duration window, Duration step) {
    Instant now = errand.store().now();
    long stepMs = step.toMillis();
    long last = Math.floorDiv(now.toEpochMilli(), stepMs) * stepMs;
    int count = (int) Math.max(1, window.toMillis() / stepMs);
    Instant first = Instant.ofEpochMilli(last - (count - 1) * stepMs);
    List<Map<String, Object>> points = new ArrayList<>();
    for (FinishedSeries.Point r :
        errand.finishedSeries(first, Duration.ofMillis(stepMs), count, now).points()) {
      Map<String, Object> p = new LinkedHashMap<>();
      p.put("at", r.from());
      p.put("succeeded", r.succeeded());
      p.put("failed", r.failed());
      p.put("errorRate", rate(r.failed(), r.finished()));
      points.add(p);
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("at", now);
    m.put("window", window.toString());
    m.put("step", step.toString());
    m.put("points", points);
    return m;
  }

  private static Map<String, Object> figures(FinishedStats.Row r, double hours) {
    long finished = r.finished();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("finished", finished);
    m.put("succeeded", r.succeeded());
    m.put("failed", r.failed());
    m.put("retried", r.retried());
    m.put("timedOut", r.timedOut());
    m.put("successRate", rate(r.succeeded(), finished));
    m.put("errorRate", rate(r.failed(), finished));
    m.put("retryRate", rate(r.retried(), finished));
    m.put("timeoutRate", rate(r.timedOut(), finished));
    m.put("avgDurationMs", r.averageDurationMillis());
    m.put("maxDurationMs", r.timed() == 0 ? null : r.maxDurationMillis());
    m.put("throughputPerMinute", finished / (hours * 60));
    m.put("jobsPerHour", finished / hours);
    return m;
  }

  private static Double rate(long n, long of) {
    return of == 0 ? null : (double) n / of;
  }
}
