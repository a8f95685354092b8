package dev.errand.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Pattern;
import javax.management.JMException;
import javax.management.ObjectName;

/**
 * The CPU time this JVM's JIT compiler threads spent, read from Linux's {@code
 * /proc/self/task/TID/schedstat} (nanoseconds on a CPU) for the threads HotSpot names {@code C1
 * CompilerThreadN} and {@code C2 CompilerThreadN}. JFR and the other in-JVM profilers sample Java
 * threads only, so compilation never shows in them; on this two-core VM it was half of the
 * benchmark JVM's CPU ten seconds into the mixed workload.
 *
 * <p>A compiler thread that competes with busy workload threads for two cores can look idle while
 * its queue is long, so {@link #queued()} tells how many compilations are still waiting.
 *
 * <p>Compiler threads come and go (HotSpot adds and retires them with the queue length), so a
 * reading is a delta per thread since the previous reading, not a difference of two sums. Not
 * thread-safe: one reader per instance.
 */
final class JitCpu {
  private static final Path TASKS = Path.of("/proc/self/task");

  /** A queued task in {@code Compiler.queue}'s output starts with its compile id. */
  private static final Pattern TASK = Pattern.compile("^\\s*\\d+\\s");

  private final Map<String, Long> lastByThread = new HashMap<>();
  private final boolean available;

  JitCpu() {
    available = Files.isDirectory(TASKS);
    if (available) {
      sinceLast();
    }
  }

  /** Whether this platform has the per-thread counters (Linux); without them readings are 0. */
  boolean available() {
    return available;
  }

  /**
   * Milliseconds of CPU the compiler threads used since the previous call (or since this object was
   * made); 0 where {@link #available()} is false.
   */
  double sinceLast() {
    if (!available) {
      return 0;
    }
    long delta = 0;
    Map<String, Long> now = new HashMap<>();
    try (DirectoryStream<Path> tasks = Files.newDirectoryStream(TASKS)) {
      for (Path task : tasks) {
        try {
          String comm = Files.readString(task.resolve("comm")).trim();
          if (!comm.startsWith("C1 CompilerThre") && !comm.startsWith("C2 CompilerThre")) {
            continue;
          }
          String schedstat = Files.readString(task.resolve("schedstat")).trim();
          long onCpu = Long.parseLong(schedstat.substring(0, schedstat.indexOf(' ')));
          String tid = task.getFileName().toString();
          now.put(tid, onCpu);
          delta += onCpu - lastByThread.getOrDefault(tid, 0L);
        } catch (IOException | RuntimeException e) {
          // the thread ended between the listing and the read: its last slice is lost, no more
        }
      }
    } catch (IOException e) {
      return 0;
    }
    lastByThread.clear();
    lastByThread.putAll(now);
    return delta / 1e6;
  }

  /**
   * Compilations waiting in the C1 and C2 queues now (HotSpot's {@code Compiler.queue} diagnostic
   * command, the one {@code jcmd PID Compiler.queue} runs), not counting those being compiled; -1
   * where the JVM has no such command.
   */
  static int queued() {
    String out;
    try {
      out =
          (String)
              ManagementFactory.getPlatformMBeanServer()
                  .invoke(
                      new ObjectName("com.sun.management:type=DiagnosticCommand"),
                      "compilerQueue",
                      new Object[] {null},
                      new String[] {String[].class.getName()});
    } catch (JMException | RuntimeException e) {
      return -1;
    }
    return countQueued(out);
  }

  /**
   * The tasks listed under the {@code C1 compile queue:} and {@code C2 compile queue:} headings of
   * {@code Compiler.queue}'s output; the {@code Current compiles:} above them are not counted.
   */
  static int countQueued(String compilerQueueOutput) {
    int queued = 0;
    boolean inQueue = false;
    for (String line : compilerQueueOutput.split("\n")) {
      if (line.endsWith("compile queue:")) {
        inQueue = true;
      } else if (inQueue && TASK.matcher(line).find()) {
        queued++;
      }
    }
    return queued;
  }
}
