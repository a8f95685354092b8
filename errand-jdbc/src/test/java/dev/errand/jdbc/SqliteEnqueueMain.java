package dev.errand.jdbc;

import dev.errand.spi.EnqueueResult;
import dev.errand.spi.NewJob;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * The process the durability test kills: opens the store in {@code args[0]} and enqueues {@code
 * args[1]} jobs one {@code enqueue} call at a time, printing {@code ACK <id>} to stdout (flushed)
 * only after each call has returned, then {@code DONE}.
 */
public final class SqliteEnqueueMain {
  private SqliteEnqueueMain() {}

  public static void main(String[] args) {
    Path file = Path.of(args[0]);
    int n = Integer.parseInt(args[1]);
    PrintStream out = System.out;
    try (SqliteJobStore store = SqliteJobStore.file(file)) {
      store.open();
      out.println("READY");
      out.flush();
      for (int i = 0; i < n; i++) {
        NewJob job =
            new NewJob(
                "durable",
                "default",
                "{\"i\":" + i + "}",
                0,
                3,
                Instant.now(),
                null,
                Set.of(),
                null);
        EnqueueResult r = store.enqueue(List.of(job)).get(0);
        out.println("ACK " + r.id());
        out.flush();
      }
      out.println("DONE");
      out.flush();
    }
  }
}
