package dev.errand.spi;

import static org.assertj.core.api.Assertions.assertThat;

import dev.errand.AttemptError;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class StoreCodecTest {
  private static final Instant START = Instant.parse("2026-03-04T05:06:07.000001Z");
  private static final Instant END = Instant.parse("2026-03-04T05:06:08.250001Z");

  @Test
  void error_history_round_trips_with_each_attempts_start_and_end() {
    List<AttemptError> errors =
        List.of(
            new AttemptError(1, START, END, "error", "boom", "at x"),
            new AttemptError(2, null, END, "rescued", "lease expired", ""));
    String json = StoreCodec.errorsToJson(errors);
    assertThat(json).contains("\"startedAt\":\"2026-03-04T05:06:07.000001Z\"");
    assertThat(json).as("the duration is derived, not stored").doesNotContain("duration");
    List<AttemptError> read = StoreCodec.errorsFromJson(json);
    assertThat(read).isEqualTo(errors);
    assertThat(read.get(0).duration()).isEqualTo(Duration.ofMillis(1250));
    assertThat(read.get(1).duration()).isNull();
  }

  @Test
  void error_written_before_errand_recorded_the_start_reads_with_an_unknown_duration() {
    List<AttemptError> read =
        StoreCodec.errorsFromJson(
            "[{\"attempt\":1,\"at\":\"2026-03-04T05:06:08.250001Z\",\"kind\":\"error\","
                + "\"message\":\"boom\",\"stackTrace\":\"at x\"}]");
    assertThat(read).containsExactly(new AttemptError(1, null, END, "error", "boom", "at x"));
    assertThat(read.get(0).duration()).isNull();
  }

  @Test
  void fields_a_later_version_adds_are_ignored() {
    List<AttemptError> read =
        StoreCodec.errorsFromJson(
            "[{\"attempt\":1,\"startedAt\":\"2026-03-04T05:06:07.000001Z\","
                + "\"at\":\"2026-03-04T05:06:08.250001Z\",\"kind\":\"error\",\"message\":\"boom\","
                + "\"stackTrace\":\"\",\"nodeId\":\"n1\"}]");
    assertThat(read).containsExactly(new AttemptError(1, START, END, "error", "boom", ""));
  }
}
