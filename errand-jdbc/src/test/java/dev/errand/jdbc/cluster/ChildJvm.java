package dev.errand.jdbc.cluster;

import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A JVM started from this test JVM's classpath to run one main class, for the tests that kill,
 * freeze or crash a node. Its stdout and stderr are read on a daemon thread: lines are echoed with
 * the child's name, {@code READY <pid>} and {@code STATS rejected=R lost=L} are parsed. {@link
 * #close()} kills it (SIGCONT first, in case it is stopped); a shutdown hook kills every child
 * still alive if this JVM exits, and a {@link WorkerMain} stops by itself when its stdin closes.
 */
final class ChildJvm implements AutoCloseable {
  private static final Pattern STATS = Pattern.compile("STATS rejected=(\\d+) lost=(\\d+)");
  private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(() -> LIVE.forEach(Process::destroyForcibly), "child-jvm-reaper"));
  }

  /** The lease counters a {@link WorkerMain} reports. */
  record Stats(long rejected, long lost) {
    long total() {
      return rejected + lost;
    }
  }

  private final String name;
  private final Process process;
  private final List<String> output = new CopyOnWriteArrayList<>();
  private final Thread reader;
  private volatile boolean ready;
  private volatile Stats stats = new Stats(0, 0);

  private ChildJvm(String name, Process process) {
    this.name = name;
    this.process = process;
    this.reader = new Thread(this::read, "child-" + name + "-stdout");
    reader.setDaemon(true);
    reader.start();
  }

  /** Starts {@code main} with {@code args} in a new JVM. */
  static ChildJvm start(String name, Class<?> main, String... args) {
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                // small and quick to start: two cores are shared with the test JVM and PostgreSQL
                "-Xmx256m",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-cp",
                System.getProperty("java.class.path"),
                main.getName()));
    command.addAll(List.of(args));
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      LIVE.add(p);
      return new ChildJvm(name, p);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + name + ": " + command, e);
    }
  }

  /**
   * Starts a {@link WorkerMain} serving queue {@code default} and waits for its READY line; {@code
   * options} are more {@code --name value} pairs.
   */
  static ChildJvm worker(
      String node, String url, int concurrency, long leaseMs, int quarantine, String... options) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--url",
                url,
                "--node",
                node,
                "--concurrency",
                Integer.toString(concurrency),
                "--lease-ms",
                Long.toString(leaseMs),
                "--quarantine",
                Integer.toString(quarantine)));
    args.addAll(List.of(options));
    ChildJvm w = start(node, WorkerMain.class, args.toArray(String[]::new));
    w.awaitReady(Duration.ofSeconds(60));
    return w;
  }

  private void read() {
    try (BufferedReader in =
        new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = in.readLine()) != null; ) {
        Matcher m = STATS.matcher(line);
        if (m.find()) {
          stats = new Stats(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)));
          continue;
        }
        if (line.startsWith("READY")) {
          ready = true;
        }
        output.add(line);
        System.out.println("[" + name + "] " + line);
      }
    } catch (IOException e) {
      // the pipe breaks when the process dies: what was read is kept
    }
  }

  /** Waits for {@code READY}; fails with the child's output if it exits first. */
  void awaitReady(Duration timeout) {
    await(name + " prints READY")
        .atMost(timeout)
        .pollInterval(Duration.ofMillis(20))
        .until(
            () -> {
              if (!ready && !process.isAlive()) {
                throw new AssertionError(
                    name
                        + " exited with "
                        + process.exitValue()
                        + " before READY; its output:\n"
                        + String.join("\n", output));
              }
              return ready;
            });
  }

  String name() {
    return name;
  }

  long pid() {
    return process.pid();
  }

  Process process() {
    return process;
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** The last {@code STATS} line. */
  Stats stats() {
    return stats;
  }

  List<String> output() {
    return List.copyOf(output);
  }

  /** {@code kill -9}: SIGKILL, then waits for the exit. */
  void kill() {
    process.destroyForcibly();
    waitForExit(Duration.ofSeconds(30));
  }

  /** Sends a signal by name ({@code STOP}, {@code CONT}) with {@code kill}. */
  void signal(String signal) {
    try {
      Process k =
          new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid()))
              .redirectErrorStream(true)
              .start();
      if (!k.waitFor(10, TimeUnit.SECONDS) || k.exitValue() != 0) {
        throw new IllegalStateException(
            "kill -"
                + signal
                + " "
                + process.pid()
                + " failed: "
                + new String(k.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while signalling " + name, e);
    }
  }

  /** Waits for the process to exit and returns its exit code. */
  int waitForExit(Duration timeout) {
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IllegalStateException(name + " did not exit within " + timeout);
      }
      reader.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for " + name, e);
    }
    LIVE.remove(process);
    return process.exitValue();
  }

  /** Closes its stdin ({@link WorkerMain} then stops gracefully); kills it if it does not exit. */
  void stopGracefully(Duration timeout) {
    try {
      process.getOutputStream().close();
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        kill();
      }
    } catch (IOException e) {
      kill();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      kill();
    }
    LIVE.remove(process);
  }

  /** Kills it if it still runs. Safe to call in any state, any number of times. */
  @Override
  public void close() {
    if (process.isAlive()) {
      try {
        signal("CONT"); // a stopped process is killed just as well, but its pipes drain sooner
      } catch (RuntimeException ignored) {
        // it may have exited meanwhile
      }
      process.destroyForcibly();
      try {
        process.waitFor(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    LIVE.remove(process);
  }

  @Override
  public String toString() {
    return name + " (pid " + process.pid() + ")";
  }
}
