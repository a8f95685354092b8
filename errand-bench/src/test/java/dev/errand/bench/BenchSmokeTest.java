package dev.errand.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs every workload once at tiny sizes for every system on PostgreSQL (the latency workload with
 * its worker JVM) and on SQLite, so a broken benchmark fails the build without spending minutes.
 * The benchmark's databases get a random prefix, so this test collides with nothing else on the
 * server, and are dropped afterwards.
 */
class BenchSmokeTest {
  /** ERRAND_TEST_PG_URL when set, else the embedded PostgreSQL the other tests use. */
  private static final String PG_URL = dev.errand.jdbc.PgTestDatabase.adminUrl();

  @TempDir Path sqliteDir;

  @Test
  void every_workload_runs_once_for_every_system_on_postgres_and_sqlite() throws Exception {
    String prefix =
        "errand_bench_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    BenchOptions o =
        BenchOptions.parse(
            "--store",
            "postgres,sqlite",
            "--pg-url",
            PG_URL,
            "--runs",
            "1",
            "--single-jobs",
            "200",
            "--batch-jobs",
            "400",
            "--batch-size",
            "200",
            "--drain-jobs",
            "200",
            "--latency-rate",
            "25",
            "--latency-seconds",
            "1",
            "--latency-warmup-seconds",
            "0.4",
            "--latency-jit-jobs",
            "50",
            "--mixed-seconds",
            "2",
            "--mixed-warmup-seconds",
            "0.5",
            "--mixed-jit-settle-seconds",
            "2",
            "--bloat-rows",
            "2000",
            "--timeout-seconds",
            "60",
            "--db-prefix",
            prefix,
            "--sqlite-dir",
            sqliteDir.toString(),
            "--wake-probe",
            "2");
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    Report report;
    try (PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8)) {
      report = Bench.run(o, out, System.err);
    } finally {
      new PgServer(PG_URL).dropAll(prefix);
    }
    String printed = buffer.toString(StandardCharsets.UTF_8);
    System.out.println(printed);

    for (StoreKind kind : List.of(StoreKind.POSTGRES, StoreKind.SQLITE)) {
      for (JobSystem system : JobSystem.all()) {
        if (system.unsupported(kind).isPresent()) {
          assertThat(report.notes(kind, "drain"))
              .anyMatch(n -> n.startsWith(system.name() + " skipped"));
          continue;
        }
        for (Metric m : Metric.values()) {
          if (m.direction == Metric.Direction.INFO) {
            continue;
          }
          // a 2 s mix may end before JobRunr's first 5 s poll: completions can be 0 there
          assertThat(report.values(kind, m, system.name()))
              .as(
                  "%s on %s: %s (notes: %s)",
                  system.name(), kind.label(), m.label, report.notes(kind, m.workload))
              .hasSize(1)
              .allMatch(v -> !v.isNaN() && v >= 0);
        }
      }
    }
    for (StoreKind kind : List.of(StoreKind.POSTGRES, StoreKind.SQLITE)) {
      for (String workload : BenchOptions.WORKLOADS) {
        assertThat(report.notes(kind, workload))
            .as("the wake-up probe around %s on %s", workload, kind.label())
            .anyMatch(
                n ->
                    n.matches(
                        "a thread woken after an idle gap, before this workload: p50 \\d+ µs, p90"
                            + " \\d+ µs \\(2 wake-ups after 40 ms idle\\); after: p50 .*"));
      }
    }
    for (Metric floor :
        List.of(
            Metric.LATENCY_FLOOR_SELECT_P50,
            Metric.LATENCY_FLOOR_INSERT_P50,
            Metric.LATENCY_FLOOR_INSERT_P99)) {
      for (StoreKind kind : List.of(StoreKind.POSTGRES, StoreKind.SQLITE)) {
        assertThat(report.values(kind, floor, "errand"))
            .as("%s on %s", floor.label, kind.label())
            .singleElement()
            .satisfies(v -> assertThat(v).isPositive());
      }
    }
    for (StoreKind kind : List.of(StoreKind.POSTGRES, StoreKind.SQLITE)) {
      // the fixed half second, then at most one 2 s settling step
      assertThat(report.values(kind, Metric.MIXED_WARMUP, "errand"))
          .singleElement()
          .satisfies(v -> assertThat(v).isBetween(0.5, 30.0));
      assertThat(report.values(kind, Metric.MIXED_JIT, "errand"))
          .singleElement()
          .satisfies(v -> assertThat(v).isNotNegative());
      // every job is handed from the fetch loop to a handler thread at least
      assertThat(report.values(kind, Metric.MIXED_SWITCHES, "errand"))
          .singleElement()
          .satisfies(v -> assertThat(v).isPositive());
    }
    assertThat(printed)
        .contains(
            "## Machine",
            "PostgreSQL 1",
            "### Errand against the targets — postgres",
            "### Errand against the targets — sqlite",
            "| drain rate (jobs/s) | db-scheduler |");
  }
}
