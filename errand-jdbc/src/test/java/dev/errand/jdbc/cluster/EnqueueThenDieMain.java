package dev.errand.jdbc.cluster;

import dev.errand.Enqueue;
import dev.errand.Errand;
import dev.errand.JobHandle;
import dev.errand.JobType;
import dev.errand.jdbc.PostgresJobStore;
import dev.errand.jdbc.cluster.WorkerMain.Work;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The process that dies right after its transaction commits: opens a JDBC connection, begins a
 * transaction, enqueues one {@code work} job on it with an Errand that serves no queues, commits,
 * prints {@code COMMITTED <id>} and halts at once with status 137, before anything else can run.
 * Options: {@code --url} (required), {@code --n} (the job's number, 0), {@code --delay-ms} (the job
 * is due that long after the commit; 0 means at once).
 */
public final class EnqueueThenDieMain {
  private EnqueueThenDieMain() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> o = new HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      o.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    }
    String url = o.get("url");
    long delayMs = Long.parseLong(o.getOrDefault("delay-ms", "0"));
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setURL(url);
    Errand errand =
        Errand.builder()
            .scheduler(false)
            .store(PostgresJobStore.create(ds))
            .nodeId("enqueuer")
            .build();
    JobType<Work> work = errand.register(WorkerMain.workType(ds, "enqueuer"));
    Connection c = DriverManager.getConnection(url);
    c.setAutoCommit(false);
    JobHandle h =
        errand.enqueue(
            c,
            work,
            new Work(Integer.parseInt(o.getOrDefault("n", "0")), 0),
            delayMs == 0 ? Enqueue.now() : Enqueue.after(Duration.ofMillis(delayMs)));
    c.commit();
    System.out.println("COMMITTED " + h.id());
    System.out.flush();
    Runtime.getRuntime().halt(137);
  }
}
