package dev.errand.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Runs the HTTP API workload at a tiny size, so a broken benchmark fails the build: every enqueue
 * is answered 201, every SSE client receives every event, the report prints. No timing is asserted.
 */
class HttpApiWorkloadTest {
  @Test
  void every_request_is_stored_every_client_gets_every_event_and_the_report_prints()
      throws Exception {
    HttpApiWorkload.Options o =
        HttpApiWorkload.Options.parse(
            "--requests",
            "20",
            "--concurrency",
            "2",
            "--batches",
            "4",
            "--batch-size",
            "5",
            "--sse-clients",
            "3",
            "--sse-jobs",
            "5",
            "--sse-rate",
            "50",
            "--workers",
            "2");
    HttpApiWorkload.Result r = HttpApiWorkload.run(o, System.err);
    assertThat(r.single().requests()).isEqualTo(20);
    assertThat(r.batch().requests()).isEqualTo(4);
    assertThat(r.batch().jobsPerRequest()).isEqualTo(5);
    assertThat(r.fanOut().expected()).isEqualTo(3L * 5 * 3);
    assertThat(r.fanOut().missing()).isZero();
    assertThat(r.fanOut().sorted()).hasSize(45);
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    try (PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8)) {
      HttpApiWorkload.print(o, r, out);
    }
    assertThat(buffer.toString(StandardCharsets.UTF_8))
        .contains("| POST /api/jobs (1 job) | 20 |", "| POST /api/jobs/batch (5 jobs) | 4 | 20 |")
        .contains("3 clients on GET /api/events");
  }

  @Test
  void fields_are_read_from_flat_json() {
    String data = "{\"kind\":\"STARTED\",\"jobId\":17,\"type\":\"bench-noop\"}";
    assertThat(HttpApiWorkload.field(data, "kind")).isEqualTo("STARTED");
    assertThat(HttpApiWorkload.field(data, "jobId")).isEqualTo("17");
  }

  @Test
  void bad_options_are_rejected_naming_them() {
    assertThatThrownBy(() -> HttpApiWorkload.Options.parse("--requests", "0"))
        .hasMessageContaining("--requests must be positive, got 0");
    assertThatThrownBy(() -> HttpApiWorkload.Options.parse("--batch-size", "5000"))
        .hasMessageContaining("--batch-size must be at most 1000");
    assertThatThrownBy(() -> HttpApiWorkload.Options.parse("--nope", "1"))
        .hasMessageContaining("unknown option --nope");
  }
}
