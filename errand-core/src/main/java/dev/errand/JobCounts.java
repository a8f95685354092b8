package dev.errand;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Job counts grouped by queue, type and stored state.
 *
 * @param rows one row per (queue, type, state) that has jobs
 */
public record JobCounts(List<Row> rows) {
  /** Count of jobs of one type on one queue in one stored state. */
  public record Row(String queue, String type, JobState state, long count) {}

  public JobCounts {
    rows = List.copyOf(rows);
  }

  /** Total per state, every state present (zero when none). */
  public Map<JobState, Long> byState() {
    Map<JobState, Long> m = new EnumMap<>(JobState.class);
    for (JobState s : JobState.values()) {
      m.put(s, 0L);
    }
    rows.forEach(r -> m.merge(r.state(), r.count(), Long::sum));
    return m;
  }

  /** Per queue, per state. */
  public Map<String, Map<JobState, Long>> byQueue() {
    Map<String, Map<JobState, Long>> m = new TreeMap<>();
    rows.forEach(
        r ->
            m.computeIfAbsent(r.queue(), q -> new EnumMap<>(JobState.class))
                .merge(r.state(), r.count(), Long::sum));
    return m;
  }

  /** Per type, per state. */
  public Map<String, Map<JobState, Long>> byType() {
    Map<String, Map<JobState, Long>> m = new TreeMap<>();
    rows.forEach(
        r ->
            m.computeIfAbsent(r.type(), q -> new EnumMap<>(JobState.class))
                .merge(r.state(), r.count(), Long::sum));
    return m;
  }

  /**
   * The count in one state over all queues and types, Errand's own maintenance jobs (queue {@code
   * errand}, types {@code errand.*}) included.
   */
  public long count(JobState state) {
    return rows.stream().filter(r -> r.state() == state).mapToLong(Row::count).sum();
  }

  /** The count of one job type in one state, over all queues. */
  public long count(String type, JobState state) {
    return rows.stream()
        .filter(r -> r.state() == state && r.type().equals(type))
        .mapToLong(Row::count)
        .sum();
  }
}
