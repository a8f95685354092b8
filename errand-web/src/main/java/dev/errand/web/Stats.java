package dev.errand.web;

import dev.errand.Errand;
import dev.errand.Job;
import dev.errand.JobCounts;
import dev.errand.JobPage;
import dev.errand.JobQuery;
import dev.errand.JobState;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Statistics from what the store holds, so they are the cluster's, not one node's: counts by state,
 * queue and type ({@link Errand#counts()}), and over a window the jobs that finished in it, read
 * newest first up to {@link WebConfig#statsSample()} finished jobs.
 *
 * <p>Rates are over finished jobs (SUCCEEDED or FAILED) whose {@code finishedAt} lies in the
 * window: success and error rate are the shares that succeeded and failed; retry rate the share
 * that needed more than one attempt; timeout rate the share with at least one timed-out attempt.
 * Durations are of each job's last attempt ({@code finishedAt - startedAt}). {@code complete} is
 * false when the sample limit was reached before the store ran out of finished jobs, so a very busy
 * window is under-counted rather than slow to compute. Finished jobs pruned by retention are not
 * counted.
 */
final class Stats {
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

  /** Window statistics over [now - window, now]. */
  Map<String, Object> window(Duration window, Instant now) {
    Instant from = now.minus(window);
    long finished = 0, succeeded = 0, failed = 0, retried = 0, timedOut = 0, timed = 0;
    long totalMs = 0, maxMs = 0;
    int read = 0;
    boolean complete = true;
    JobQuery q =
        JobQuery.all()
            .states(JobState.SUCCEEDED, JobState.FAILED)
            .limit(Math.min(JobQuery.MAX_LIMIT, config.statsSample()));
    Long cursor = null;
    do {
      JobPage page = errand.jobs(q.before(cursor));
      for (Job j : page.jobs()) {
        read++;
        if (j.finishedAt() == null
            || j.finishedAt().isBefore(from)
            || j.finishedAt().isAfter(now)) {
          continue;
        }
        finished++;
        if (j.state() == JobState.SUCCEEDED) {
          succeeded++;
        } else {
          failed++;
        }
        if (j.attempt() > 1) {
          retried++;
        }
        if (j.errors().stream().anyMatch(e -> e.kind().equals("timeout"))) {
          timedOut++;
        }
        if (j.startedAt() != null && !j.finishedAt().isBefore(j.startedAt())) {
          long ms = Duration.between(j.startedAt(), j.finishedAt()).toMillis();
          timed++;
          totalMs += ms;
          maxMs = Math.max(maxMs, ms);
        }
      }
      cursor = page.nextCursor();
      if (cursor != null && read >= config.statsSample()) {
        complete = false;
        break;
      }
    } while (cursor != null);
    double hours = window.toMillis() / 3_600_000.0;
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("duration", window.toString());
    m.put("from", from);
    m.put("to", now);
    m.put("finished", finished);
    m.put("succeeded", succeeded);
    m.put("failed", failed);
    m.put("retried", retried);
    m.put("timedOut", timedOut);
    m.put("successRate", rate(succeeded, finished));
    m.put("errorRate", rate(failed, finished));
    m.put("retryRate", rate(retried, finished));
    m.put("timeoutRate", rate(timedOut, finished));
    m.put("avgDurationMs", timed == 0 ? null : (double) totalMs / timed);
    m.put("maxDurationMs", timed == 0 ? null : maxMs);
    m.put("throughputPerMinute", finished / (hours * 60));
    m.put("jobsPerHour", finished / hours);
    m.put("sampled", read);
    m.put("complete", complete);
    return m;
  }

  private static Double rate(long n, long of) {
    return of == 0 ? null : (double) n / of;
  }
}
