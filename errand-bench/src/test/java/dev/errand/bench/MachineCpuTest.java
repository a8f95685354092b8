package dev.errand.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class MachineCpuTest {
  @Test
  void threads_that_sleep_and_wake_show_as_context_switches() throws Exception {
    assumeTrue(Files.isReadable(Path.of("/proc/stat")), "no /proc/stat: Linux only");
    OptionalLong before = MachineCpu.contextSwitches();
    assertThat(before).isPresent();
    for (int i = 0; i < 20; i++) {
      Thread.sleep(1); // each sleep puts this thread off its core and back
    }
    OptionalLong after = MachineCpu.contextSwitches();
    assertThat(after).isPresent();
    assertThat(after.getAsLong() - before.getAsLong()).isGreaterThanOrEqualTo(20);
  }

  @Test
  void busy_time_never_goes_backwards() {
    assumeTrue(Files.isReadable(Path.of("/proc/stat")), "no /proc/stat: Linux only");
    long first = MachineCpu.busyMillis().orElseThrow();
    long sink = 0;
    for (int i = 0; i < 5_000_000; i++) {
      sink += i ^ (sink >>> 3);
    }
    assertThat(MachineCpu.busyMillis().orElseThrow())
        .as("after %d", sink)
        .isGreaterThanOrEqualTo(first);
  }
}
