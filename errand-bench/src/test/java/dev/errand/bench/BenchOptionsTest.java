package dev.errand.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class BenchOptionsTest {
  @Test
  void defaults_are_the_sizes_of_the_issue() {
    BenchOptions o = BenchOptions.defaults();
    assertThat(o.stores()).containsExactly(StoreKind.POSTGRES);
    assertThat(o.runs()).isEqualTo(3);
    assertThat(o.threads()).isEqualTo(8);
    assertThat(o.singleJobs()).isEqualTo(5_000);
    assertThat(o.batchJobs()).isEqualTo(50_000);
    assertThat(o.batchSize()).isEqualTo(10_000);
    assertThat(o.drainJobs()).isEqualTo(20_000);
    assertThat(o.latencyJobs()).isEqualTo(500);
    assertThat(o.latencyJitJobs()).isEqualTo(10_000);
    assertThat(o.mixedProducers()).isEqualTo(4);
    assertThat(o.mixedDuration()).isEqualTo(Duration.ofSeconds(20));
    assertThat(o.mixedWarmup()).isEqualTo(Duration.ofSeconds(10));
    assertThat(o.mixedJitSettle()).isEqualTo(Duration.ofSeconds(60));
    assertThat(o.bloatRows()).isEqualTo(1_000_000);
    assertThat(o.workloads()).containsExactly("enqueue", "drain", "latency", "mixed", "bloat");
    assertThat(o.systems()).containsExactly("errand", "db-scheduler", "jobrunr");
  }

  @Test
  void options_override_defaults_and_workloads_keep_their_order() {
    BenchOptions o =
        BenchOptions.parse(
            "--store",
            "sqlite,postgres",
            "--workload",
            "bloat,enqueue",
            "--peers",
            "errand,jobrunr",
            "--latency-seconds",
            "2.5",
            "--runs",
            "1");
    assertThat(o.stores()).containsExactly(StoreKind.SQLITE, StoreKind.POSTGRES);
    assertThat(o.workloads()).containsExactly("enqueue", "bloat");
    assertThat(o.systems()).containsExactly("errand", "jobrunr");
    assertThat(o.latencyDuration()).isEqualTo(Duration.ofMillis(2500));
    assertThat(o.args())
        .containsExactly(
            "--store",
            "sqlite,postgres",
            "--workload",
            "bloat,enqueue",
            "--peers",
            "errand,jobrunr",
            "--latency-seconds",
            "2.5",
            "--runs",
            "1");
  }

  @Test
  void bad_options_are_rejected_with_a_message_naming_them() {
    assertThatThrownBy(() -> BenchOptions.parse("--runs", "0")).hasMessageContaining("--runs");
    assertThatThrownBy(() -> BenchOptions.parse("--latency-jit-jobs", "-1"))
        .hasMessageContaining("--latency-jit-jobs must be at least 0, got -1");
    assertThat(BenchOptions.parse("--latency-jit-jobs", "0").latencyJitJobs()).isZero();
    assertThat(BenchOptions.defaults().wakeProbeSamples()).isEqualTo(50);
    assertThat(BenchOptions.parse("--wake-probe", "0").wakeProbeSamples()).isZero();
    assertThatThrownBy(() -> BenchOptions.parse("--wake-probe", "-2"))
        .hasMessageContaining("--wake-probe must be at least 0, got -2");
    assertThatThrownBy(() -> BenchOptions.parse("--store", "mysql")).hasMessageContaining("mysql");
    assertThatThrownBy(() -> BenchOptions.parse("--workload", "soak")).hasMessageContaining("soak");
    assertThatThrownBy(() -> BenchOptions.parse("--peers", "quartz"))
        .hasMessageContaining("quartz");
    assertThatThrownBy(() -> BenchOptions.parse("--colour", "red"))
        .hasMessageContaining("--colour");
    assertThatThrownBy(() -> BenchOptions.parse("--runs")).hasMessageContaining("--runs");
  }

  @Test
  void only_loopback_postgres_servers_are_accepted() {
    assertThat(new PgServer("jdbc:postgresql://127.0.0.1:5432/test?user=postgres").urlFor("x"))
        .isEqualTo("jdbc:postgresql://127.0.0.1:5432/x?user=postgres");
    assertThat(new PgServer("jdbc:postgresql://localhost/test").urlFor("y"))
        .isEqualTo("jdbc:postgresql://localhost/y");
    assertThatThrownBy(() -> new PgServer("jdbc:postgresql://10.1.2.3:5432/test"))
        .hasMessageContaining("not a loopback");
    assertThatThrownBy(() -> new PgServer("postgres://127.0.0.1/test"))
        .hasMessageContaining("--pg-url");
  }

  @Test
  void percentiles_use_the_nearest_rank() {
    double[] v = Report.sorted(List.of(5.0, 1.0, 4.0, 2.0, 3.0));
    assertThat(Report.percentile(v, 50)).isEqualTo(3.0);
    assertThat(Report.percentile(v, 99)).isEqualTo(5.0);
    assertThat(Report.percentile(v, 1)).isEqualTo(1.0);
  }
}
