package dev.errand.examples.civic;

import static dev.errand.examples.ExampleDatabase.number;
import static dev.errand.examples.ExampleDatabase.update;

import dev.errand.Backoff;
import dev.errand.Errand;
import dev.errand.JobContext;
import dev.errand.JobType;
import dev.errand.PermanentFailure;
import dev.errand.examples.ExampleDatabase;
import dev.errand.examples.Json;
import jakarta.mail.internet.AddressException;
import java.time.Clock;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The durable work of seed 001, as Errand job types on queue {@value #QUEUE}: the work whose loss
 * 001 itself names as the thing to fix ("guaranteed delivery", "email queue with retry logic,
 * exponential backoff, dead letter queue") and the periodic token cleanup.
 */
final class CivicJobs {
  private static final Logger log = LoggerFactory.getLogger(CivicJobs.class);
  static final String QUEUE = "civic";

  /** A verification email to send. */
  record Email(String to, String subject, String body) {}

  /** A report to put on the admin review queue. */
  record Review(long reportId) {}

  /** A job that needs no input besides why it runs. */
  record Run(String reason) {}

  private final ExampleDatabase db;
  private final Clock clock;
  private final SmtpMailer mailer;
  final JobType<Email> sendEmail;
  final JobType<Review> queueForReview;
  final JobType<Run> cleanupTokens;

  CivicJobs(Errand errand, ExampleDatabase db, CivicConfig config, SmtpMailer mailer) {
    this.db = db;
    this.clock = config.clock();
    this.mailer = mailer;
    sendEmail =
        errand.register(
            JobType.of("civic.send-email", Email.class, this::send)
                .queue(QUEUE)
                .maxAttempts(config.emailAttempts())
                .backoff(Backoff.exponential(config.emailBackoff()))
                .timeout(config.smtpTimeout().multipliedBy(3)));
    queueForReview =
        errand.register(
            JobType.of("civic.queue-for-review", Review.class, this::review)
                .queue(QUEUE)
                .maxAttempts(10)
                .backoff(Backoff.exponential(Duration.ofSeconds(1))));
    cleanupTokens =
        errand.register(
            JobType.of("civic.cleanup-tokens", Run.class, this::cleanup)
                .queue(QUEUE)
                .maxAttempts(3)
                .backoff(Backoff.exponential(Duration.ofSeconds(5))));
  }

  /** 001's {@code send_email_notification_bg}: a failed send is retried with backoff. */
  private void send(JobContext ctx, Email e) throws Exception {
    if (e.to() == null || e.subject() == null || e.body() == null) {
      throw new PermanentFailure("invalid email " + e + ": to, subject and body are required");
    }
    try {
      mailer.send(e.to(), e.subject(), e.body());
    } catch (AddressException bad) {
      throw new PermanentFailure("email address '" + e.to() + "' is not valid: " + bad);
    } catch (Exception failed) {
      log.warn(
          "Background: Failed to send email to {} (attempt {} of {}): {}",
          e.to(),
          ctx.attempt(),
          ctx.maxAttempts(),
          failed.toString());
      throw failed;
    }
    log.info("Background: Email sent to {}", e.to());
  }

  /**
   * 001's {@code queue_report_for_processing_bg} ({@code LPUSH queue:admin_review}): one row per
   * report in {@code review_queue}, so a second delivery of the job changes nothing.
   */
  private void review(JobContext ctx, Review r) {
    db.inTransaction(
        c -> {
          if (number(c, "SELECT COUNT(*) FROM reports WHERE id = ?", r.reportId()) == 0) {
            throw new PermanentFailure("report " + r.reportId() + " does not exist");
          }
          return CivicApp.enqueueReview(c, r.reportId(), clock.instant());
        });
    log.info("Background: Report {} queued for processing", r.reportId());
  }

  /** 001's {@code cleanup_expired_tokens_bg}: OTP codes, access tokens and email links. */
  private void cleanup(JobContext ctx, Run run) {
    long now = clock.instant().toEpochMilli();
    int[] n =
        db.inTransaction(
            c ->
                new int[] {
                  update(c, "DELETE FROM otp_codes WHERE expires_at <= ?", now),
                  update(c, "DELETE FROM access_tokens WHERE expires_at <= ?", now),
                  update(c, "DELETE FROM email_tokens WHERE expires_at <= ?", now)
                });
    ctx.result(Json.object("otpCodes", n[0], "accessTokens", n[1], "emailTokens", n[2]));
    log.info(
        "Background: cleaned up expired tokens ({}): {} OTP codes, {} access tokens, {} email"
            + " links",
        run.reason(),
        n[0],
        n[1],
        n[2]);
  }
}
