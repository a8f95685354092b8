package dev.errand.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class WakeProbeTest {
  @Test
  void measures_every_wake_up_and_sorts_them() throws Exception {
    long[] d = WakeProbe.measure(5);
    assertThat(d).hasSize(5).isSorted();
    // each delay is a real interval from unpark to running, so never zero or negative
    assertThat(d[0]).isPositive();
  }

  @Test
  void describes_the_median_and_the_90th_percentile() {
    assertThat(WakeProbe.describe(3))
        .matches("p50 \\d+ µs, p90 \\d+ µs \\(3 wake-ups after 40 ms idle\\)");
  }

  @Test
  void refuses_no_samples() {
    assertThatThrownBy(() -> WakeProbe.measure(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least 1");
  }
}
