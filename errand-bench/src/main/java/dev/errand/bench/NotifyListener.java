package dev.errand.bench;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * A profiling aid, off by default: with {@code -Derrand.bench.listen=CHANNEL} the latency workload
 * on PostgreSQL also LISTENs on {@code CHANNEL} from the benchmark JVM and records when each
 * notification arrives (wall clock, microseconds). Matching arrivals to enqueue calls splits
 * enqueue-to-start into commit, notification delivery and what the worker does after it.
 */
final class NotifyListener implements AutoCloseable {
  static final String CHANNEL = System.getProperty("errand.bench.listen", "");

  private final Connection connection;
  private final Thread thread;
  private final List<Long> arrivals = new ArrayList<>();
  private volatile boolean running = true;

  NotifyListener(String url) throws Exception {
    connection = DriverManager.getConnection(url);
    try (Statement st = connection.createStatement()) {
      st.execute("LISTEN " + CHANNEL.replaceAll("[^a-z_]", ""));
    }
    thread = new Thread(this::loop, "bench-notify-listener");
    thread.setDaemon(true);
    thread.start();
  }

  private void loop() {
    try {
      PGConnection pg = connection.unwrap(PGConnection.class);
      while (running) {
        PGNotification[] n = pg.getNotifications(200);
        long now = Probe.wallMicros();
        if (n != null) {
          synchronized (arrivals) {
            for (int i = 0; i < n.length; i++) {
              arrivals.add(now);
            }
          }
        }
      }
    } catch (Exception e) {
      if (running) {
        System.err.println("bench: notify listener failed: " + e);
      }
    }
  }

  /**
   * For each enqueue call (wall-clock return times in {@code after}, measured from index {@code
   * from}), the delay in ms from the call's return to the first notification that arrived after the
   * call began ({@code before}); NaN where none arrived before the next call began.
   */
  List<Double> delaysAfterReturn(long[] before, long[] after, int from) {
    List<Long> a;
    synchronized (arrivals) {
      a = new ArrayList<>(arrivals);
    }
    List<Double> out = new ArrayList<>();
    int j = 0;
    for (int i = from; i < before.length; i++) {
      long next = i + 1 < before.length ? before[i + 1] : Long.MAX_VALUE;
      while (j < a.size() && a.get(j) < before[i]) {
        j++;
      }
      out.add(j < a.size() && a.get(j) < next ? (a.get(j) - after[i]) / 1000.0 : Double.NaN);
    }
    return out;
  }

  @Override
  public void close() throws Exception {
    running = false;
    thread.join(1_000);
    connection.close();
  }
}
