package dev.errand.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Runs the email response-time workload at a tiny size, so a broken benchmark fails the build: both
 * modes deliver every email through the real SMTP server, the lanes drain, the report prints.
 */
class EmailWorkloadTest {
  @Test
  void both_modes_deliver_every_email_and_the_report_prints() throws Exception {
    EmailWorkload.Options o =
        EmailWorkload.Options.parse(
            "--requests",
            "6",
            "--concurrency",
            "2",
            "--smtp-delay-ms",
            "100",
            "--lane-threads",
            "2");
    List<EmailWorkload.Row> rows = EmailWorkload.run(o, System.err);
    assertThat(rows)
        .extracting(EmailWorkload.Row::mode)
        .containsExactly("synchronous", "after-response");
    assertThat(rows)
        .allSatisfy(
            r -> {
              assertThat(r.emailsAccepted()).isEqualTo(6);
              assertThat(r.lane().drained()).isTrue();
              assertThat(r.p50()).isLessThanOrEqualTo(r.p99());
            });
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    try (PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8)) {
      EmailWorkload.print(o, rows, out);
    }
    assertThat(buffer.toString(StandardCharsets.UTF_8))
        .contains("| synchronous |", "| after-response |", "100 ms SMTP server");
  }

  @Test
  void percentiles_are_nearest_rank() {
    long[] sorted = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    assertThat(EmailWorkload.percentile(sorted, 0.50)).isEqualTo(5);
    assertThat(EmailWorkload.percentile(sorted, 0.99)).isEqualTo(10);
    assertThat(EmailWorkload.percentile(new long[] {7}, 0.5)).isEqualTo(7);
  }

  @Test
  void bad_options_are_rejected_naming_them() {
    assertThatThrownBy(() -> EmailWorkload.Options.parse("--requests", "0"))
        .hasMessageContaining("--requests must be positive, got 0");
    assertThatThrownBy(() -> EmailWorkload.Options.parse("--nope", "1"))
        .hasMessageContaining("unknown option --nope");
  }
}
