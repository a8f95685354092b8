package dev.errand.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the scheduler-overhead workload at a tiny size on SQLite and PostgreSQL, so a broken
 * benchmark fails the build: every schedule's window is materialized by the cold start, and the
 * report prints.
 */
class ScheduleWorkloadTest {
  @TempDir Path dir;

  @Test
  void the_cold_start_materializes_every_window_on_sqlite() throws Exception {
    check(
        ScheduleWorkload.Options.parse(
            "--store",
            "sqlite",
            "--sqlite-dir",
            dir.toString(),
            "--schedules",
            "200",
            "--minutes",
            "0.02"));
  }

  @Test
  void the_cold_start_materializes_every_window_on_postgres() throws Exception {
    String prefix =
        "errand_bench_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    String url = dev.errand.jdbc.PgTestDatabase.adminUrl();
    try {
      check(
          ScheduleWorkload.Options.parse(
              "--store",
              "postgres",
              "--pg-url",
              url,
              "--schedules",
              "200",
              "--minutes",
              "0.02",
              "--db-prefix",
              prefix));
    } finally {
      new PgServer(url).dropAll(prefix);
    }
  }

  @Test
  void bad_options_are_rejected_naming_them() {
    assertThatThrownBy(() -> ScheduleWorkload.Options.parse("--store", "postgres"))
        .hasMessageContaining("--store postgres needs --pg-url");
    assertThatThrownBy(() -> ScheduleWorkload.Options.parse("--schedules", "0"))
        .hasMessageContaining("--schedules must be positive");
    assertThatThrownBy(() -> ScheduleWorkload.Options.parse("--nope", "1"))
        .hasMessageContaining("unknown option --nope");
  }

  private static void check(ScheduleWorkload.Options o) throws Exception {
    ScheduleWorkload.Result r = ScheduleWorkload.run(o, System.err);
    // three ahead of now for each schedule, plus a late one for each schedule whose fire time
    // passed between its definition and the cold start
    assertThat(r.occurrences()).isBetween(3L * o.schedules(), 4L * o.schedules());
    assertThat(r.coldStartSeconds()).isPositive();
    assertThat(r.schedulerCpuPerMinute()).isNotNegative();
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    try (PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8)) {
      ScheduleWorkload.print(o, r, out);
    }
    assertThat(buffer.toString(StandardCharsets.UTF_8))
        .contains(
            "cold start: materialize every look-ahead window ("
                + r.occurrences()
                + " occurrences)");
  }
}
