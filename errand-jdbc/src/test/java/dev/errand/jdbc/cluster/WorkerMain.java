package dev.errand.jdbc.cluster;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.errand.Errand;
import dev.errand.JobType;
import dev.errand.jdbc.PostgresJobStore;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import javax.sql.DataSource;

/**
 * A worker node in its own JVM, for the crash, frozen-worker and poison-job tests. Serves queue
 * {@code default} on the PostgreSQL database given by {@code --url}; every run of a {@code work}
 * job is recorded in {@code errand_test_runs} before the handler sleeps {@code sleepMs}, and its
 * {@code done_at} is set when the handler returns; a {@code poison} job halts the JVM at once, like
 * a native crash. Prints {@code READY <pid>} once started and {@code STATS rejected=R lost=L} every
 * 200 ms, and stops gracefully when its stdin closes.
 *
 * <p>Options: {@code --url} (required), {@code --node} (node id, default {@code worker}), {@code
 * --concurrency} (4), {@code --lease-ms} (2000), {@code --quarantine} (rescues before a job is
 * quarantined, 3), {@code --claim-batch} (100) and {@code --completion-batch} (1000).
 */
public final class WorkerMain {
  /** A unit of work: {@code n} identifies it, {@code sleepMs} is how long it takes. */
  public record Work(int n, int sleepMs) {}

  /** Kills the JVM that runs it. */
  public record Poison(String why) {}

  private WorkerMain() {}

  /**
   * The {@code work} type: records the run (job id, n, node) in {@code errand_test_runs} with its
   * own connection from {@code ds}, sleeps, then sets the run's {@code done_at}. An interrupted
   * sleep (lease lost, shutdown) leaves {@code done_at} null.
   */
  public static JobType<Work> workType(DataSource ds, String node) {
    return JobType.of(
            "work",
            Work.class,
            (ctx, w) -> {
              try (Connection c = ds.getConnection();
                  PreparedStatement ps =
                      c.prepareStatement(
                          "INSERT INTO errand_test_runs (job_id, n, node) VALUES (?, ?, ?)")) {
                ps.setLong(1, ctx.jobId());
                ps.setInt(2, w.n());
                ps.setString(3, node);
                ps.executeUpdate();
              }
              if (w.sleepMs() > 0) {
                Thread.sleep(w.sleepMs());
              }
              try (Connection c = ds.getConnection();
                  PreparedStatement ps =
                      c.prepareStatement(
                          "UPDATE errand_test_runs"
                              + " SET done_at = clock_timestamp() WHERE job_id = ? AND node = ? AND done_at IS NULL")) {
                ps.setLong(1, ctx.jobId());
                ps.setString(2, node);
                ps.executeUpdate();
              }
            })
        .maxAttempts(10);
  }

  public static JobType<Poison> poisonType() {
    return JobType.of("poison", Poison.class, (ctx, p) -> Runtime.getRuntime().halt(137))
        .maxAttempts(10);
  }

  public static void createRunsTable(DataSource ds) throws Exception {
    try (Connection c = ds.getConnection();
        var st = c.createStatement()) {
      st.execute(
          "CREATE TABLE IF NOT EXISTS errand_test_runs (job_id BIGINT NOT NULL, n INT NOT NULL,"
              + " node TEXT NOT NULL, at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),"
              + " done_at TIMESTAMPTZ)");
      st.execute("CREATE INDEX IF NOT EXISTS errand_test_runs_job ON errand_test_runs (job_id)");
    }
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> o = new HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      o.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    }
    String node = o.getOrDefault("node", "worker");
    int concurrency = Integer.parseInt(o.getOrDefault("concurrency", "4"));
    HikariConfig hc = new HikariConfig();
    hc.setJdbcUrl(o.get("url"));
    hc.setPoolName("worker-" + node);
    // the engine's own threads (fetch, completer, heartbeat, maintenance, LISTEN) plus two
    // statements per handler that never overlap within one handler
    hc.setMaximumPoolSize(concurrency + 6);
    HikariDataSource ds = new HikariDataSource(hc);
    Errand errand =
        Errand.builder()
            .scheduler(false)
            .store(PostgresJobStore.create(ds))
            .nodeId(node)
            .queue("default", concurrency)
            .lease(Duration.ofMillis(Long.parseLong(o.getOrDefault("lease-ms", "2000"))))
            .rescueInterval(Duration.ofMillis(500))
            .pollInterval(Duration.ofMillis(200))
            .quarantineAfterRescues(Integer.parseInt(o.getOrDefault("quarantine", "3")))
            .claimBatch(Integer.parseInt(o.getOrDefault("claim-batch", "100")))
            .completionBatch(Integer.parseInt(o.getOrDefault("completion-batch", "1000")))
            .shutdownGrace(Duration.ofSeconds(1))
            .build();
    errand.register(workType(ds, node));
    errand.register(poisonType());
    errand.start();
    System.out.println("READY " + ProcessHandle.current().pid());
    System.out.flush();
    Thread stats =
        new Thread(
            () -> {
              while (true) {
                double rejected = counter(errand, "errand.lease.rejected");
                double lost = counter(errand, "errand.lease.lost");
                System.out.println("STATS rejected=" + (long) rejected + " lost=" + (long) lost);
                System.out.flush();
                try {
                  Thread.sleep(200);
                } catch (InterruptedException e) {
                  return;
                }
              }
            },
            "stats");
    stats.setDaemon(true);
    stats.start();
    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
      while (in.readLine() != null) {
        // wait for stdin to close
      }
    }
    errand.close();
    ds.close();
  }

  private static double counter(Errand errand, String name) {
    var c = errand.meterRegistry().find(name).counter();
    return c == null ? 0 : c.count();
  }
}
