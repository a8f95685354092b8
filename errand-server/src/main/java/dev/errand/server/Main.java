package dev.errand.server;

import dev.errand.Backoff;
import dev.errand.Enqueue;
import dev.errand.Errand;
import dev.errand.JobCounts;
import dev.errand.JobEvent;
import dev.errand.JobState;
import dev.errand.JobType;
import dev.errand.PermanentFailure;
import dev.errand.jdbc.SqliteJobStore;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The console demo: Errand on its embedded SQLite default, running a small mixed workload (jobs
 * that succeed, fail and retry with backoff, and get dead-lettered) while printing live counts.
 *
 * <pre>
 * java -jar errand-server/target/errand-server.jar [--db errand-demo.db] [--seconds 0]
 * </pre>
 *
 * {@code --seconds 0} (the default) runs until Ctrl-C; the shutdown is graceful.
 */
public final class Main {
  /** An email to send. */
  public record Email(String to, String subject) {}

  /** An image to resize. */
  public record Resize(String image, int width) {}

  /** A report that can never be built. */
  public record Report(String name) {}

  private Main() {}

  public static void main(String[] args) throws Exception {
    Path db = Path.of("errand-demo.db");
    long seconds = 0;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--db" -> db = Path.of(value(args, ++i, "--db"));
        case "--seconds" -> {
          String v = value(args, ++i, "--seconds");
          try {
            seconds = Long.parseLong(v);
          } catch (NumberFormatException e) {
            seconds = -1;
          }
          if (seconds < 0) {
            usage("--seconds takes a whole number of seconds >= 0 (0 runs until Ctrl-C), got '" + v + "'");
          }
        }
        case "-h", "--help" -> usage(null);
        default -> usage("unknown option '" + args[i] + "'");
      }
    }
    run(db, seconds);
  }

  private static String value(String[] args, int i, String option) {
    if (i >= args.length) {
      usage(option + " needs a value");
    }
    return args[i];
  }

  private static void usage(String problem) {
    if (problem != null) {
      System.err.println("errand demo: " + problem);
    }
    System.err.println("usage: java -jar errand-server.jar [--db FILE] [--seconds N]");
    System.exit(problem == null ? 0 : 2);
  }

  static void run(Path db, long seconds) throws Exception {
    Errand errand = Errand.builder()
        .store(SqliteJobStore.file(db))
        .queue("default", 4)
        .queue("email", 2)
        .build();
    AtomicLong sentEmails = new AtomicLong();
    JobType<Email> sendEmail = errand.register(JobType.of("send-email", Email.class, (ctx, email) -> {
      Thread.sleep(ThreadLocalRandom.current().nextInt(20, 120));
      if (ThreadLocalRandom.current().nextInt(100) < 30) {
        throw new java.io.IOException("SMTP relay refused the connection (simulated)");
      }
      sentEmails.incrementAndGet();
    }).queue("email").maxAttempts(4).backoff(Backoff.exponential(Duration.ofSeconds(2))));
    JobType<Resize> resize = errand.register(JobType.of("resize-image", Resize.class, (ctx, r) -> {
      for (int p = 0; p <= 100; p += 25) {
        ctx.progress(p);
        Thread.sleep(50);
      }
      ctx.result(Map.of("thumbnail", r.image() + "@" + r.width()));
    }));
    JobType<Report> report = errand.register(JobType.of("build-report", Report.class, (ctx, r) -> {
      if (ctx.attempt() < 3) {
        throw new IllegalStateException("report source '" + r.name() + "' is unavailable");
      }
      throw new PermanentFailure("report '" + r.name() + "' has no data source; giving up");
    }).maxAttempts(5).backoff(Backoff.exponential(Duration.ofSeconds(1))));

    errand.subscribe(e -> {
      if (e.kind() == JobEvent.Kind.FAILED) {
        System.out.printf("  dead-lettered: job %d (%s) after attempt %d: %s%n", e.jobId(), e.type(), e.attempt(), e.error());
      }
    });
    AtomicBoolean stopping = new AtomicBoolean();
    Thread main = Thread.currentThread();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      stopping.set(true);
      main.interrupt();
      errand.close();
    }, "errand-demo-shutdown"));

    errand.start();
    System.out.println("Errand demo on " + db.toAbsolutePath() + " (SQLite). Ctrl-C stops it gracefully.");
    System.out.println("Jobs: send-email (30% of attempts fail, retried 2s, 4s, 8s), resize-image (progress),"
        + " build-report (retries, then fails permanently: the dead letter).");
    Instant end = seconds == 0 ? Instant.MAX : Instant.now().plusSeconds(seconds);
    long tick = 0;
    try {
      while (!stopping.get() && Instant.now().isBefore(end)) {
        int user = ThreadLocalRandom.current().nextInt(1000);
        errand.enqueue(sendEmail, new Email("user" + user + "@example.com", "Welcome!"),
            Enqueue.now().uniqueKey("welcome:" + user));
        errand.enqueue(resize, new Resize("photo-" + tick + ".jpg", 320));
        if (tick % 5 == 0) {
          errand.enqueue(report, new Report("weekly-" + tick));
        }
        if (tick % 2 == 0) {
          print(errand.counts(), sentEmails.get());
        }
        tick++;
        Thread.sleep(500);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (!stopping.get()) {
      print(errand.counts(), sentEmails.get());
      errand.close();
    }
  }

  private static void print(JobCounts counts, long sent) {
    Map<JobState, Long> s = counts.byState();
    System.out.printf("%s  scheduled=%d queued=%d running=%d retrying=%d succeeded=%d failed=%d  (emails sent: %d)%n",
        java.time.LocalTime.now().format(java.time.format.DateTimeFormatter.ofPattern("HH:mm:ss")), s.get(JobState.SCHEDULED), s.get(JobState.QUEUED),
        s.get(JobState.RUNNING), s.get(JobState.RETRYING), s.get(JobState.SUCCEEDED),
        s.get(JobState.FAILED), sent);
  }
}
