package dev.errand.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * The CPU time the whole machine spent busy (every process, every core: the database server, the
 * benchmark and anything else), from the first line of Linux's {@code /proc/stat}. Throughput on a
 * shared two-core VM swings with its neighbours; the CPU a workload spends per job swings much
 * less, so before/after comparisons report both.
 */
final class MachineCpu {
  private static final Path STAT = Path.of("/proc/stat");

  /** {@code USER_HZ}: the unit of {@code /proc/stat}, 100 on every Linux build that matters. */
  private static final long TICKS_PER_SECOND = 100;

  private MachineCpu() {}

  /**
   * Busy milliseconds since boot (user, nice, system, irq, softirq and steal; not idle or iowait),
   * or empty where there is no {@code /proc/stat}.
   */
  static OptionalLong busyMillis() {
    try {
      String first = Files.readAllLines(STAT).get(0);
      String[] f = first.trim().split("\\s+");
      if (!f[0].equals("cpu") || f.length < 9) {
        return OptionalLong.empty();
      }
      long busy = 0;
      for (int i : new int[] {1, 2, 3, 6, 7, 8}) {
        busy += Long.parseLong(f[i]);
      }
      return OptionalLong.of(busy * 1000 / TICKS_PER_SECOND);
    } catch (Exception e) {
      return OptionalLong.empty();
    }
  }

  /**
   * Context switches on every core since boot (the {@code ctxt} line), or empty where there is no
   * {@code /proc/stat}. Each one is a thread put to sleep or woken; on a VM a wake-up on the other
   * vCPU costs an interrupt through the hypervisor, so hand-offs show up here before they show up
   * in the CPU time.
   */
  static OptionalLong contextSwitches() {
    try {
      for (String line : Files.readAllLines(STAT)) {
        if (line.startsWith("ctxt ")) {
          return OptionalLong.of(Long.parseLong(line.substring(5).trim()));
        }
      }
      return OptionalLong.empty();
    } catch (Exception e) {
      return OptionalLong.empty();
    }
  }
}
