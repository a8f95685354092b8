package dev.errand.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * The worker JVM of the cross-process latency workload. Opens one system on an existing database,
 * starts its workers and prints {@code @READY}; once {@code --expect} jobs started (or {@code
 * --timeout-ms} passed, or a newline arrives on standard input) prints {@code @S <seq>
 * <startMicros>} for every job that started, then {@code @END <started> <repeats>}, and exits. It
 * also exits when its standard input closes (the benchmark JVM ended). Logging goes to standard
 * error.
 */
public final class WorkerMain {
  private WorkerMain() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> a = new HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      a.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    }
    JobSystem system = JobSystem.named(required(a, "system"));
    StoreKind kind = StoreKind.parse(required(a, "store"));
    String url = required(a, "url");
    int threads = Integer.parseInt(required(a, "threads"));
    int expect = Integer.parseInt(required(a, "expect"));
    long timeoutMs = Long.parseLong(required(a, "timeout-ms"));

    Probe probe = Probe.install(expect);
    CountDownLatch reportNow = new CountDownLatch(1);
    Thread watchdog =
        new Thread(
            () -> {
              try {
                int b;
                while ((b = System.in.read()) >= 0) {
                  if (b == '\n') {
                    reportNow.countDown(); // the benchmark wants what started so far
                  }
                }
              } catch (IOException ignored) {
                // treat as closed
              }
              Runtime.getRuntime().halt(3); // EOF: the benchmark JVM closed us or died
            },
            "bench-stdin-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();

    PrintStream out = System.out;
    Database db = Database.existing(kind, url);
    JobSystem.Session session = system.open(db, threads);
    session.startWorkers();
    out.println("@READY");
    out.flush();
    long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
    while (probe.count() < expect && System.nanoTime() - deadline < 0 && reportNow.getCount() > 0) {
      probe.awaitCount(expect, Math.min(deadline, System.nanoTime() + 100_000_000L));
    }
    db.printTimings();
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < expect; i++) {
      long t = probe.startedMicros(i);
      if (t != 0) {
        sb.append("@S ").append(i).append(' ').append(t).append('\n');
      }
    }
    sb.append("@END ").append(probe.count()).append(' ').append(probe.repeats()).append('\n');
    out.print(sb);
    out.flush();
    try {
      session.close();
      db.close();
    } finally {
      System.exit(0);
    }
  }

  private static String required(Map<String, String> a, String name) {
    String v = a.get(name);
    if (v == null) {
      throw new IllegalArgumentException("WorkerMain needs --" + name);
    }
    return v;
  }
}
