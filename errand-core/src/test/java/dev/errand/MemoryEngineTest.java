package dev.errand;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.errand.spi.JobStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class MemoryEngineTest extends EngineContract {
  private MemoryJobStore last;

  @Override
  protected JobStore newStore() {
    last = MemoryJobStore.create();
    return last;
  }

  /** A memory store lives in one object: engines on "one database" share it. */
  @Override
  protected JobStore sharedStore() {
    return last;
  }

  /**
   * The fetch loop claims when a cooldown ends whatever it was told meanwhile, so enqueues during
   * the cooldown must not wake its thread: each such wake-up used to cost it a context switch. On
   * the memory store, because the burst must fit inside the cooldown; the loop is the same on every
   * store. Reads the thread's voluntary context switches from Linux's /proc.
   */
  @Test
  void enqueues_during_a_claim_cooldown_do_not_wake_the_fetch_thread() throws Exception {
    Assumptions.assumeTrue(
        Files.isDirectory(Path.of("/proc/self/task")), "Linux only: reads /proc/self/task");
    Duration cooldown = Errand.Builder.MAX_COOLDOWN;
    Errand errand =
        engine(b -> b.queue("cool", 8).claimCooldown(cooldown).completionCooldown(Duration.ZERO));
    AtomicLong firstStarted = new AtomicLong();
    JobType<Msg> type =
        errand.register(
            JobType.of(
                    "cool", Msg.class, (ctx, m) -> firstStarted.compareAndSet(0, System.nanoTime()))
                .queue("cool"));
    errand.start();
    // its claim returned fewer jobs than it asked for: the next claim waits out the cooldown
    finish(errand.enqueue(type, new Msg("first", 0)));
    Path status = threadStatus("errand-fetch-co"); // Linux keeps 15 characters of a thread name

    Thread fetch =
        Thread.getAllStackTraces().keySet().stream()
            .filter(t -> t.getName().equals("errand-fetch-cool"))
            .findFirst()
            .orElseThrow();
    List<JobHandle> burst = new ArrayList<>();
    long asleep = voluntarySwitches(status);
    burst.add(errand.enqueue(type, new Msg("wakes the loop, which starts its cooldown", 0)));
    // it woke, and went to sleep again: in the cooldown
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () ->
                voluntarySwitches(status) > asleep
                    && fetch.getState() == Thread.State.TIMED_WAITING);
    long before = voluntarySwitches(status);
    for (int i = 1; i <= 100; i++) {
      burst.add(errand.enqueue(type, new Msg("burst", i)));
    }
    long switches = voluntarySwitches(status) - before;
    long took =
        System.nanoTime() - firstStarted.get(); // its claim started the cooldown just before
    for (JobHandle h : burst) {
      assertThat(finish(h).state()).isEqualTo(JobState.SUCCEEDED);
    }
    Assumptions.assumeTrue(
        took < cooldown.toNanos() * 8 / 10,
        "the first job and the burst took " + took / 1_000_000 + " ms: not inside the cooldown");
    assertThat(switches)
        .as("the fetch thread's voluntary context switches during 100 enqueues in its cooldown")
        .isLessThanOrEqualTo(5);
  }

  private static Path threadStatus(String name) throws IOException {
    try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
      for (Path task : (Iterable<Path>) tasks::iterator) {
        if (Files.readString(task.resolve("comm")).strip().equals(name)) {
          return task.resolve("status");
        }
      }
    }
    throw new AssertionError("no thread named " + name);
  }

  private static long voluntarySwitches(Path status) throws IOException {
    for (String line : Files.readAllLines(status)) {
      if (line.startsWith("voluntary_ctxt_switches:")) {
        return Long.parseLong(line.substring(line.indexOf(':') + 1).strip());
      }
    }
    throw new AssertionError("no voluntary_ctxt_switches in " + status);
  }
}
