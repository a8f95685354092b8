package dev.errand.jdbc.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.errand.Errand;
import dev.errand.JobType;
import dev.errand.Misfire;
import dev.errand.RecurringJob;
import dev.errand.Schedule;
import dev.errand.jdbc.PostgresJobStore;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Two and three engines on one PostgreSQL database, each with its own store and pool as nodes would
 * have, all running the scheduler for one schedule that fires every second: over more than 30
 * seconds of fire times, every fire time runs exactly once, none is missed, and none gets a second
 * job.
 */
class ClusterScheduleTest extends ClusterTestSupport {
  static final int FIRE_TIMES = 31;

  /** The payload of a tick. */
  record Tick(String name) {}

  @ParameterizedTest(name = "{0} scheduler nodes")
  @ValueSource(ints = {2, 3})
  void every_fire_time_runs_exactly_once_however_many_nodes_run_the_scheduler(int nodes)
      throws SQLException {
    Map<Long, AtomicInteger> runs = new ConcurrentHashMap<>();
    JobType<Tick> tick =
        JobType.of(
            "tick",
            Tick.class,
            (ctx, t) ->
                runs.computeIfAbsent(ctx.jobId(), id -> new AtomicInteger()).incrementAndGet());
    List<Errand> engines = new ArrayList<>();
    for (int i = 1; i <= nodes; i++) {
      String node = "node-" + i;
      Errand e =
          track(
              Errand.builder()
                  .store(PostgresJobStore.create(db.newDataSource(node)))
                  .nodeId(node)
                  .queue("default", 4)
                  .schedulerInterval(Duration.ofMillis(200))
                  .pollInterval(Duration.ofMillis(100))
                  .build());
      e.register(tick);
      engines.add(e);
    }
    Instant defined =
        engines
            .get(0)
            .defineSchedule(
                RecurringJob.of("tick", tick, new Tick("t"), Schedule.every(Duration.ofSeconds(1)))
                    .misfire(Misfire.skip()))
            .materializedThrough();
    List<Instant> expected = Schedule.every(Duration.ofSeconds(1)).occurrences(defined, FIRE_TIMES);
    engines.forEach(Errand::start);

    DataSource ds = db.dataSource();
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofSeconds(1))
        .until(() -> succeeded(ds).keySet().containsAll(expected));
    engines.forEach(Errand::close);

    Map<Instant, List<Long>> byFireTime = succeeded(ds);
    assertThat(byFireTime.keySet())
        .as("fire times that ran")
        .containsAll(expected)
        .allSatisfy(
            fire ->
                assertThat(Schedule.every(Duration.ofSeconds(1)).next(fire.minusMillis(1)))
                    .as("a fire time of the schedule")
                    .isEqualTo(fire));
    assertThat(byFireTime)
        .allSatisfy((fire, ids) -> assertThat(ids).as("jobs that ran for %s", fire).hasSize(1));
    assertThat(byFireTime.values().stream().flatMap(List::stream).toList())
        .allSatisfy(id -> assertThat(runs.get(id)).as("runs of job %d", id).hasValue(1));
    assertThat(
            TestSql.count(
                ds,
                "SELECT count(*) FROM (SELECT run_at FROM errand_jobs"
                    + " WHERE schedule_id = 'tick' GROUP BY run_at HAVING count(*) > 1) d"))
        .as("fire times with more than one job")
        .isZero();
  }

  /** SUCCEEDED occurrences of the schedule by fire time. */
  private static Map<Instant, List<Long>> succeeded(DataSource ds) throws SQLException {
    Map<Instant, List<Long>> out = new TreeMap<>();
    try (Connection c = ds.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT run_at, id FROM errand_jobs"
                    + " WHERE schedule_id = 'tick' AND state = 'SUCCEEDED' ORDER BY run_at, id");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.computeIfAbsent(
                rs.getObject(1, OffsetDateTime.class).toInstant(), k -> new ArrayList<>())
            .add(rs.getLong(2));
      }
    }
    return out;
  }
}
