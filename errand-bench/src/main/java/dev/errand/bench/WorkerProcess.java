package dev.errand.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A worker JVM for the cross-process latency workload: {@code java -cp <this JVM's class path>
 * dev.errand.bench.WorkerMain …}. Its standard output carries the protocol of {@link WorkerMain};
 * its log goes to this JVM's standard error. Closing it closes the worker's standard input (the
 * worker exits on that) and kills it if it has not exited within 15 s.
 */
final class WorkerProcess implements AutoCloseable {
  private static final String EOF = "@EOF";

  private final Process process;
  private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

  private WorkerProcess(Process process) {
    this.process = process;
    Thread reader = new Thread(this::read, "bench-worker-stdout");
    reader.setDaemon(true);
    reader.start();
  }

  static WorkerProcess start(
      JobSystem system,
      Database db,
      int threads,
      int expect,
      Duration timeout,
      List<String> jvmOptions)
      throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmOptions);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(WorkerMain.class.getName());
    cmd.addAll(
        List.of(
            "--system",
            system.name(),
            "--store",
            db.kind.label(),
            "--url",
            db.jdbcUrl,
            "--threads",
            Integer.toString(threads),
            "--expect",
            Integer.toString(expect),
            "--timeout-ms",
            Long.toString(timeout.toMillis())));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
    return new WorkerProcess(pb.start());
  }

  private void read() {
    try (BufferedReader r =
        new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        lines.add(line);
      }
    } catch (IOException e) {
      lines.add("@ERROR " + e);
    } finally {
      lines.add(EOF);
    }
  }

  /** Waits for the worker's {@code @READY}: its workers run. */
  void awaitReady(long deadlineNanos) throws InterruptedException {
    while (true) {
      String line = next(deadlineNanos, "to start its workers");
      if (line.equals("@READY")) {
        return;
      }
    }
  }

  /**
   * Waits for the worker's report and returns, per sequence number below {@code expect}, the
   * wall-clock microseconds at which its handler started (0 if it did not). At {@code
   * deadlineNanos} it asks the worker to report what it has.
   */
  long[] awaitStarts(int expect, long deadlineNanos) throws InterruptedException {
    long[] started = new long[expect];
    boolean asked = false;
    while (true) {
      if (!asked && System.nanoTime() - deadlineNanos >= 0) {
        ask(); // report what started so far
        asked = true;
        deadlineNanos = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
      }
      String line =
          asked
              ? next(deadlineNanos, "to report its job starts")
              : lines.poll(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (line == null) {
        continue;
      }
      failIfClosed(line, "to report its job starts");
      if (line.startsWith("@S ")) {
        String[] f = line.split(" ");
        int seq = Integer.parseInt(f[1]);
        if (seq >= 0 && seq < expect) {
          started[seq] = Long.parseLong(f[2]);
        }
      } else if (line.startsWith("@END")) {
        return started;
      }
    }
  }

  private String next(long deadlineNanos, String what) throws InterruptedException {
    long left = deadlineNanos - System.nanoTime();
    String line = left > 0 ? lines.poll(left, TimeUnit.NANOSECONDS) : lines.poll();
    if (line == null) {
      throw new IllegalStateException("the worker JVM did not manage " + what + " in time");
    }
    failIfClosed(line, what);
    return line;
  }

  private void failIfClosed(String line, String what) {
    if (line.equals(EOF) || line.startsWith("@ERROR")) {
      String exit = process.isAlive() ? "still running" : "exit code " + process.exitValue();
      throw new IllegalStateException(
          "the worker JVM closed its output before "
              + what
              + " ("
              + exit
              + "; its log is on standard error)");
    }
  }

  /** Asks the worker to report now, whether or not every expected job started. */
  private void ask() {
    try {
      process.getOutputStream().write('\n');
      process.getOutputStream().flush();
    } catch (IOException e) {
      // it has exited; the reader will see EOF
    }
  }

  @Override
  public void close() throws InterruptedException {
    try {
      process.getOutputStream().close();
    } catch (IOException ignored) {
      // it has exited
    }
    if (!process.waitFor(15, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }
}
