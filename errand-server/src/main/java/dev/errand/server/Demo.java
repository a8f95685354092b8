package dev.errand.server;

import dev.errand.Backoff;
import dev.errand.Enqueue;
import dev.errand.Errand;
import dev.errand.JobCounts;
import dev.errand.JobEvent;
import dev.errand.JobState;
import dev.errand.JobType;
import dev.errand.PermanentFailure;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The demo workload: jobs that succeed, fail and retry with backoff, and get dead-lettered, with
 * live counts printed to the console. Runs on the main thread.
 */
final class Demo {
  /** An email to send. */
  public record Email(String to, String subject) {}

  /** An image to resize. */
  public record Resize(String image, int width) {}

  /** A report that can never be built. */
  public record Report(String name) {}

  private final Errand errand;
  private final AtomicLong sentEmails = new AtomicLong();
  private final JobType<Email> sendEmail;
  private final JobType<Resize> resize;
  private final JobType<Report> report;

  /** Registers the demo's types on {@code errand} (before it starts). */
  Demo(Errand errand) {
    this.errand = errand;
    sendEmail =
        errand.register(
            JobType.of(
                    "send-email",
                    Email.class,
                    (ctx, email) -> {
                      Thread.sleep(ThreadLocalRandom.current().nextInt(20, 120));
                      if (ThreadLocalRandom.current().nextInt(100) < 30) {
                        throw new java.io.IOException(
                            "SMTP relay refused the connection (simulated)");
                      }
                      sentEmails.incrementAndGet();
                    })
                .queue("email")
                .maxAttempts(4)
                .backoff(Backoff.exponential(Duration.ofSeconds(2))));
    resize =
        errand.register(
            JobType.of(
                "resize-image",
                Resize.class,
                (ctx, r) -> {
                  for (int p = 0; p <= 100; p += 25) {
                    ctx.progress(p);
                    Thread.sleep(50);
                  }
                  ctx.result(Map.of("thumbnail", r.image() + "@" + r.width()));
                }));
    report =
        errand.register(
            JobType.of(
                    "build-report",
                    Report.class,
                    (ctx, r) -> {
                      if (ctx.attempt() < 3) {
                        throw new IllegalStateException(
                            "report source '" + r.name() + "' is unavailable");
                      }
                      throw new PermanentFailure(
                          "report '" + r.name() + "' has no data source; giving up");
                    })
                .maxAttempts(5)
                .backoff(Backoff.exponential(Duration.ofSeconds(1))));
    errand.subscribe(
        e -> {
          if (e.kind() == JobEvent.Kind.FAILED) {
            System.out.printf(
                "  dead-lettered: job %d (%s) after attempt %d: %s%n",
                e.jobId(), e.type(), e.attempt(), e.error());
          }
        });
  }

  /**
   * Enqueues a mixed workload every half second until interrupted or {@code seconds} pass (0: no
   * end).
   */
  void run(long seconds) {
    System.out.println(
        "Jobs: send-email (30% of attempts fail, retried 2s, 4s, 8s), resize-image (progress),"
            + " build-report (retries, then fails permanently: the dead letter).");
    long end = seconds == 0 ? Long.MAX_VALUE : System.nanoTime() + seconds * 1_000_000_000L;
    long tick = 0;
    try {
      while (System.nanoTime() - end < 0) {
        int user = ThreadLocalRandom.current().nextInt(1000);
        errand.enqueue(
            sendEmail,
            new Email("user" + user + "@example.com", "Welcome!"),
            Enqueue.now().uniqueKey("welcome:" + user));
        errand.enqueue(resize, new Resize("photo-" + tick + ".jpg", 320));
        if (tick % 5 == 0) {
          errand.enqueue(report, new Report("weekly-" + tick));
        }
        if (tick % 2 == 0) {
          print(errand.counts());
        }
        tick++;
        Thread.sleep(500);
      }
      print(errand.counts());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void print(JobCounts counts) {
    Map<JobState, Long> s = counts.byState();
    System.out.printf(
        "%s  scheduled=%d queued=%d running=%d retrying=%d succeeded=%d failed=%d  (emails sent: %d)%n",
        LocalTime.now().format(DateTimeFormatter.ofPattern("HH:mm:ss")),
        s.get(JobState.SCHEDULED),
        s.get(JobState.QUEUED),
        s.get(JobState.RUNNING),
        s.get(JobState.RETRYING),
        s.get(JobState.SUCCEEDED),
        s.get(JobState.FAILED),
        sentEmails.get());
  }
}
