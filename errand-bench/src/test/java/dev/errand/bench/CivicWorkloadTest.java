package dev.errand.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Runs the civic (001) workload at a tiny size, so a broken benchmark fails the build: both modes
 * answer every call of every iteration, every text and email reaches the far side, every report
 * reaches the review queue, and the report prints. No timing is asserted.
 */
class CivicWorkloadTest {
  @Test
  void both_modes_complete_every_flow_and_the_report_prints() throws Exception {
    CivicWorkload.Options o =
        CivicWorkload.Options.parse(
            "--requests",
            "4",
            "--warmup",
            "2",
            "--concurrency",
            "2",
            "--smtp-delay-ms",
            "50",
            "--sms-delay-ms",
            "10",
            "--workers",
            "2",
            "--lane-threads",
            "2");

    CivicWorkload.Result result = CivicWorkload.run(o, System.err);

    assertThat(result.rows()).hasSize(2 * CivicWorkload.ENDPOINTS.size());
    assertThat(result.rows()).allSatisfy(r -> assertThat(r.p50()).isLessThanOrEqualTo(r.p99()));
    assertThat(result.effects())
        .extracting(CivicWorkload.Effects::mode)
        .containsExactly("synchronous", "errand");
    assertThat(result.effects())
        .allSatisfy(
            e -> {
              assertThat(e.texts()).isEqualTo(6); // 2 unmeasured iterations, then 4
              assertThat(e.emails()).isEqualTo(6);
              assertThat(e.reportsQueued()).isEqualTo(6);
              assertThat(e.auditEntries()).isEqualTo(12); // a login and a report per iteration
            });
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    try (PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8)) {
      CivicWorkload.print(o, result, out);
    }
    assertThat(buffer.toString(StandardCharsets.UTF_8))
        .contains(
            "| POST /api/v1/reports | synchronous |",
            "| POST /api/v1/users/me/verification/email/send | errand |",
            "SMTP 50 ms");
  }

  @Test
  void bad_options_are_rejected_naming_them() {
    assertThatThrownBy(() -> CivicWorkload.Options.parse("--workers", "0"))
        .hasMessageContaining("--workers must be positive, got 0");
    assertThatThrownBy(() -> CivicWorkload.Options.parse("--nope", "1"))
        .hasMessageContaining("unknown option --nope");
    assertThatThrownBy(() -> CivicWorkload.Options.parse("--requests"))
        .hasMessageContaining("--requests needs a value");
  }
}
