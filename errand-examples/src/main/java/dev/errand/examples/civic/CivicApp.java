package dev.errand.examples.civic;

import static dev.errand.examples.ExampleDatabase.insert;
import static dev.errand.examples.ExampleDatabase.query;
import static dev.errand.examples.ExampleDatabase.queryOne;
import static dev.errand.examples.ExampleDatabase.update;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import dev.errand.AfterResponse;
import dev.errand.AfterResponseLane;
import dev.errand.Backoff;
import dev.errand.Enqueue;
import dev.errand.Errand;
import dev.errand.RecurringJob;
import dev.errand.Schedule;
import dev.errand.TaskOptions;
import dev.errand.examples.Alerts;
import dev.errand.examples.ApiError;
import dev.errand.examples.Env;
import dev.errand.examples.ExampleDatabase;
import dev.errand.examples.ExampleServer;
import dev.errand.examples.Json;
import dev.errand.javalin.AfterResponsePlugin;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.router.JavalinDefaultRoutingApi;
import jakarta.mail.MessagingException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CivicLens backend of seed 001 on Errand: citizens sign in with a one-time code sent by SMS,
 * file civic reports, and verify their email address.
 *
 * <p>What runs where (001's "design decisions"; docs/examples.md explains each choice):
 *
 * <ul>
 *   <li><b>In the request</b>: validation, authentication, the OTP and token writes, the report
 *       row, and the security audit entry of a login (success or failure), which 001 keeps
 *       synchronous.
 *   <li><b>After the response</b> ({@link AfterResponse} on an {@link AfterResponseLane} behind the
 *       Javalin {@link AfterResponsePlugin}; in memory, lost if the process dies): the reporter's
 *       reputation, the report's audit entry, login statistics, and the OTP text (retried in
 *       memory: a code lives 5 minutes, and the citizen can ask again).
 *   <li><b>Durable jobs</b> (queue {@value CivicJobs#QUEUE}, enqueued in the transaction of the
 *       change they belong to): the verification email (retried with exponential backoff, then
 *       dead-lettered and alerted), the report's place on the review queue, and the expired-token
 *       cleanup, a stored schedule.
 * </ul>
 *
 * <p>With {@link CivicConfig#background()} false every one of these runs inside its request, as
 * 001's code did before the change: the benchmark's "synchronous" side.
 *
 * <p>Endpoints: {@code POST /api/v1/auth/request-otp}, {@code POST /api/v1/auth/verify-otp}, {@code
 * POST /api/v1/reports}, {@code GET /api/v1/reports/{id}}, {@code GET /api/v1/users/me}, {@code GET
 * /api/v1/users/me/activity}, {@code POST /api/v1/users/me/verification/email/send}, {@code GET
 * /api/v1/users/verify-email?token=…}. A signed-in caller sends {@code Authorization: Bearer
 * <access_token>}.
 */
public final class CivicApp implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CivicApp.class);
  static final String TOKEN_CLEANUP = "civic-token-cleanup";
  static final List<String> SEVERITIES = List.of("low", "medium", "high", "critical");
  static final int MAX_OTP_ATTEMPTS = 5;
  private static final Pattern PHONE = Pattern.compile("\\+[1-9][0-9]{7,14}");
  private static final Pattern EMAIL = Pattern.compile("[^@\\s]{1,64}@[^@\\s]+\\.[^@\\s]+");
  private static final SecureRandom RANDOM = new SecureRandom();

  static final String SCHEMA =
      """
      CREATE TABLE IF NOT EXISTS users (id ${ID}, phone TEXT NOT NULL UNIQUE, email TEXT,
        email_verified INTEGER NOT NULL DEFAULT 0, reputation BIGINT NOT NULL DEFAULT 0,
        login_count BIGINT NOT NULL DEFAULT 0, last_login_at BIGINT, created_at BIGINT NOT NULL);
      CREATE TABLE IF NOT EXISTS otp_codes (phone TEXT PRIMARY KEY, code_hash TEXT NOT NULL,
        expires_at BIGINT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0);
      CREATE TABLE IF NOT EXISTS access_tokens (token_hash TEXT PRIMARY KEY, user_id BIGINT NOT NULL,
        expires_at BIGINT NOT NULL);
      CREATE TABLE IF NOT EXISTS email_tokens (token_hash TEXT PRIMARY KEY, user_id BIGINT NOT NULL,
        email TEXT NOT NULL, expires_at BIGINT NOT NULL);
      CREATE INDEX IF NOT EXISTS otp_codes_expiry ON otp_codes (expires_at);
      CREATE INDEX IF NOT EXISTS access_tokens_expiry ON access_tokens (expires_at);
      CREATE INDEX IF NOT EXISTS email_tokens_expiry ON email_tokens (expires_at);
      CREATE TABLE IF NOT EXISTS reports (id ${ID}, user_id BIGINT, title TEXT NOT NULL,
        description TEXT NOT NULL, latitude DOUBLE PRECISION NOT NULL, longitude DOUBLE PRECISION NOT NULL,
        severity TEXT NOT NULL, status TEXT NOT NULL, created_at BIGINT NOT NULL);
      CREATE TABLE IF NOT EXISTS review_queue (report_id BIGINT PRIMARY KEY, queue TEXT NOT NULL,
        queued_at BIGINT NOT NULL);
      CREATE TABLE IF NOT EXISTS audit_log (id ${ID}, action TEXT NOT NULL, status TEXT NOT NULL,
        user_id BIGINT, description TEXT NOT NULL, resource_type TEXT, resource_id TEXT,
        ip_address TEXT, user_agent TEXT, at BIGINT NOT NULL);
      CREATE INDEX IF NOT EXISTS audit_log_user ON audit_log (user_id, id)
      """;

  /** Body of {@code POST /api/v1/auth/request-otp}. */
  record OtpRequest(String phone) {}

  /** Body of {@code POST /api/v1/auth/verify-otp}. */
  record OtpVerify(String phone, String otp) {}

  /** Body of {@code POST /api/v1/reports}. */
  record ReportCreate(
      String title, String description, Double latitude, Double longitude, String severity) {}

  /** Body of {@code POST /api/v1/users/me/verification/email/send}. */
  record EmailChange(String email) {}

  /** Where a request came from, for the audit log. */
  private record Origin(String ip, String userAgent) {}

  /** A row of the audit log. */
  private record Audit(
      String action,
      String status,
      Long userId,
      String description,
      String resourceType,
      String resourceId,
      Origin origin) {}

  /** Work that may throw, run after the response or in the request. */
  @FunctionalInterface
  private interface Task {
    void run() throws Exception;
  }

  private final CivicConfig config;
  private final ExampleDatabase db;
  private final ObjectMapper mapper = Errand.defaultMapper();
  private final Errand errand;
  private final AfterResponseLane lane;
  private final SmtpMailer mailer;
  private final CivicJobs jobs;
  private final Alerts alerts;
  private final AutoCloseable alertWatch;
  private final TaskOptions smsOptions;
  private volatile Javalin server;

  private CivicApp(CivicConfig config) {
    this.config = config;
    this.db = config.database().get();
    db.migrate(SCHEMA);
    this.errand =
        Errand.builder().store(db.jobStore()).queue(CivicJobs.QUEUE, config.workers()).build();
    this.mailer =
        new SmtpMailer(
            config.smtpHost(), config.smtpPort(), config.mailFrom(), config.smtpTimeout());
    this.jobs = new CivicJobs(errand, db, config, mailer);
    this.alerts = new Alerts(db, config.clock(), 3, Duration.ofMinutes(10));
    this.alertWatch = alerts.watch(errand);
    this.lane = AfterResponseLane.builder().threads(config.laneThreads()).errand(errand).build();
    AfterResponse.installIfAbsent(lane);
    this.smsOptions =
        TaskOptions.defaults()
            .timeout(Duration.ofSeconds(30))
            .retries(config.smsAttempts(), Backoff.exponential(config.smsBackoff()));
  }

  /**
   * Opens the database, starts the HTTP server on {@code config.host():config.port()} with the
   * after-response plugin, then the workers and the token cleanup schedule.
   */
  public static CivicApp start(CivicConfig config) {
    return ExampleServer.launch(
        new CivicApp(config),
        app -> {
          app.server =
              ExampleServer.start(
                  app.mapper,
                  config.host(),
                  config.port(),
                  cfg -> cfg.registerPlugin(app.afterResponsePlugin()),
                  app::routes);
          app.begin();
        });
  }

  /**
   * Opens the database and starts the workers without a server. A host server mounts the app with
   * {@code Javalin.create(cfg -> { cfg.registerPlugin(app.afterResponsePlugin());
   * app.routes(cfg.routes); })}; without the plugin the after-response tasks still run, on the
   * lane's next free thread instead of after the response.
   *
   * @throws IllegalArgumentException if {@link CivicConfig#publicBaseUrl} is not set: the link in
   *     verification emails must point to the host server
   */
  public static CivicApp create(CivicConfig config) {
    if (config.publicBaseUrl() == null) {
      throw new IllegalArgumentException(
          "without its own server the app needs publicBaseUrl: the URL of the server its routes"
              + " are mounted on, which the link in verification emails points to");
    }
    return ExampleServer.launch(new CivicApp(config), CivicApp::begin);
  }

  private void begin() {
    errand.start();
    errand.defineSchedule(
        RecurringJob.of(
            TOKEN_CLEANUP,
            jobs.cleanupTokens,
            new CivicJobs.Run("schedule"),
            Schedule.every(config.tokenCleanupInterval())));
    log.info(
        "civic reports: {}; background work {}; email via {}; token cleanup {}",
        server == null ? "mounted" : "listening on " + baseUrl(),
        config.background() ? "after the response and in durable jobs" : "off (all in the request)",
        mailer,
        errand.schedule(TOKEN_CLEANUP).orElseThrow().schedule());
  }

  /** A new Javalin plugin that runs this app's after-response tasks once each response is sent. */
  public AfterResponsePlugin afterResponsePlugin() {
    return AfterResponsePlugin.of(lane);
  }

  /** Adds the app's routes to a Javalin configuration. */
  public void routes(JavalinDefaultRoutingApi r) {
    ApiError.install(r);
    r.post("/api/v1/auth/request-otp", this::requestOtp);
    r.post("/api/v1/auth/verify-otp", this::verifyOtp);
    r.post("/api/v1/reports", this::createReport);
    r.get("/api/v1/reports/{id}", this::getReport);
    r.get("/api/v1/users/me", ctx -> ctx.json(db.read(c -> user(c, currentUser(ctx)))));
    r.get("/api/v1/users/me/activity", this::activity);
    r.post("/api/v1/users/me/verification/email/send", this::sendEmailVerification);
    r.get("/api/v1/users/verify-email", this::verifyEmail);
  }

  // ------------------------------------------------------------------ auth

  private void requestOtp(Context ctx) {
    String phone = phone(ApiError.body(ctx, mapper, OtpRequest.class).phone());
    String otp = String.format("%06d", RANDOM.nextInt(1_000_000));
    Instant expires = config.clock().instant().plus(config.otpTtl());
    db.inTransaction(
        c ->
            update(
                c,
                "INSERT INTO otp_codes (phone, code_hash, expires_at, attempts) VALUES (?, ?, ?, 0)"
                    + " ON CONFLICT (phone) DO UPDATE SET code_hash = excluded.code_hash,"
                    + " expires_at = excluded.expires_at, attempts = 0",
                phone,
                sha256(otp),
                expires.toEpochMilli()));
    later(
        "send-otp-sms",
        smsOptions,
        () -> {
          config.smsSender().send(phone, "Your CivicLens code is " + otp);
          log.info("Background: OTP sent to {}", phone);
        });
    ctx.json(Json.object("message", "OTP sent successfully"));
  }

  /** A stored OTP: the SHA-256 of the code, its expiry (epoch ms), wrong tries so far. */
  private record OtpCode(String hash, long expiresAt, int attempts) {}

  /** The outcome of checking an OTP, decided and audited in one transaction. */
  private record Login(long userId, String token, String failure) {}

  private void verifyOtp(Context ctx) {
    OtpVerify in = ApiError.body(ctx, mapper, OtpVerify.class);
    String phone = phone(in.phone());
    if (in.otp() == null || !in.otp().matches("[0-9]{6}")) {
      throw ApiError.badRequest("otp must be the 6-digit code sent to " + phone + ", e.g. 123456");
    }
    Origin origin = origin(ctx);
    Instant now = config.clock().instant();
    Login login =
        db.inTransaction(
            c -> {
              Optional<OtpCode> code =
                  queryOne(
                      c,
                      "SELECT code_hash, expires_at, attempts FROM otp_codes WHERE phone = ?",
                      rs -> new OtpCode(rs.getString(1), rs.getLong(2), rs.getInt(3)),
                      phone);
              String failure = null;
              if (code.isEmpty() || code.get().expiresAt() <= now.toEpochMilli()) {
                failure =
                    "no valid code for "
                        + phone
                        + ": it expired or was never sent; request a new one with POST"
                        + " /api/v1/auth/request-otp";
              } else if (!MessageDigest.isEqual(
                  sha256(in.otp()).getBytes(StandardCharsets.US_ASCII),
                  code.get().hash().getBytes(StandardCharsets.US_ASCII))) {
                int left = MAX_OTP_ATTEMPTS - code.get().attempts() - 1;
                if (left <= 0) {
                  update(c, "DELETE FROM otp_codes WHERE phone = ?", phone);
                  failure = "the code is wrong and was used up: request a new one";
                } else {
                  update(c, "UPDATE otp_codes SET attempts = attempts + 1 WHERE phone = ?", phone);
                  failure = "the code is wrong: " + left + " attempts left";
                }
              }
              if (failure != null) {
                // 001: security audit of logins stays synchronous, failures included
                audit(
                    c,
                    new Audit(
                        "login",
                        "failure",
                        null,
                        "OTP login failed for " + phone,
                        "user",
                        phone,
                        origin),
                    now);
                return new Login(0, null, failure);
              }
              if (update(
                      c,
                      "DELETE FROM otp_codes WHERE phone = ? AND code_hash = ?",
                      phone,
                      code.get().hash())
                  == 0) {
                // another request signed in with this code between our read and this delete
                return new Login(0, null, "the code was just used: request a new one");
              }
              update(
                  c,
                  "INSERT INTO users (phone, created_at) VALUES (?, ?) ON CONFLICT (phone) DO NOTHING",
                  phone,
                  now.toEpochMilli());
              long userId =
                  queryOne(c, "SELECT id FROM users WHERE phone = ?", rs -> rs.getLong(1), phone)
                      .orElseThrow();
              String token = randomToken();
              update(
                  c,
                  "INSERT INTO access_tokens (token_hash, user_id, expires_at) VALUES (?, ?, ?)",
                  sha256(token),
                  userId,
                  now.plus(config.accessTokenTtl()).toEpochMilli());
              audit(
                  c,
                  new Audit(
                      "login",
                      "success",
                      userId,
                      "OTP login of " + phone,
                      "user",
                      String.valueOf(userId),
                      origin),
                  now);
              return new Login(userId, token, null);
            });
    if (login.failure() != null) {
      throw new ApiError(401, "Unauthorized", login.failure());
    }
    later(
        "update-login-stats",
        TaskOptions.defaults(),
        () ->
            db.inTransaction(
                c ->
                    update(
                        c,
                        "UPDATE users SET login_count = login_count + 1, last_login_at = ?"
                            + " WHERE id = ?",
                        now.toEpochMilli(),
                        login.userId())));
    ctx.json(
        Json.object(
            "access_token",
            login.token(),
            "token_type",
            "bearer",
            "expires_in",
            config.accessTokenTtl().toSeconds(),
            "user_id",
            login.userId()));
  }

  /** The signed-in user's id, or 401. */
  private long currentUser(Context ctx) {
    return optionalUser(ctx)
        .orElseThrow(
            () ->
                new ApiError(
                    401,
                    "Unauthorized",
                    "sign in first: send Authorization: Bearer <access_token> from POST"
                        + " /api/v1/auth/verify-otp"));
  }

  /** The signed-in user's id, empty without an Authorization header, 401 for a bad token. */
  private Optional<Long> optionalUser(Context ctx) {
    String header = ctx.header("Authorization");
    if (header == null || header.isBlank()) {
      return Optional.empty();
    }
    if (!header.startsWith("Bearer ") || header.length() <= 7) {
      throw new ApiError(
          401, "Unauthorized", "the Authorization header must be 'Bearer <access_token>'");
    }
    String hash = sha256(header.substring(7).trim());
    long now = config.clock().instant().toEpochMilli();
    return Optional.of(
        db.read(
                c ->
                    queryOne(
                        c,
                        "SELECT user_id FROM access_tokens WHERE token_hash = ? AND expires_at > ?",
                        rs -> rs.getLong(1),
                        hash,
                        now))
            .orElseThrow(
                () ->
                    new ApiError(
                        401,
                        "Unauthorized",
                        "the access token is unknown or expired: sign in again with POST"
                            + " /api/v1/auth/request-otp")));
  }

  // ------------------------------------------------------------------ reports

  private void createReport(Context ctx) {
    Optional<Long> userId = optionalUser(ctx);
    ReportCreate in = ApiError.body(ctx, mapper, ReportCreate.class);
    String title = text(in.title(), "title", 200);
    String description = text(in.description(), "description", 5000);
    double latitude = coordinate(in.latitude(), "latitude", 90);
    double longitude = coordinate(in.longitude(), "longitude", 180);
    String severity = in.severity() == null ? "medium" : in.severity();
    if (!SEVERITIES.contains(severity)) {
      throw ApiError.badRequest("severity must be one of " + SEVERITIES + ", got " + severity);
    }
    Instant now = config.clock().instant();
    Origin origin = origin(ctx);
    long id =
        db.inTransaction(
            c -> {
              long reportId =
                  insert(
                          c,
                          "INSERT INTO reports (user_id, title, description, latitude, longitude,"
                              + " severity, status, created_at) VALUES (?, ?, ?, ?, ?, ?,"
                              + " 'received', ?) RETURNING id",
                          userId.orElse(null),
                          title,
                          description,
                          latitude,
                          longitude,
                          severity,
                          now.toEpochMilli())
                      .orElseThrow();
              if (config.background()) {
                // durable: the report and its place in the review queue commit together
                errand.enqueue(
                    c, jobs.queueForReview, new CivicJobs.Review(reportId), Enqueue.now());
              }
              return reportId;
            });
    if (userId.isPresent()) {
      later(
          "update-reputation",
          TaskOptions.defaults(),
          () -> {
            db.inTransaction(
                c ->
                    update(
                        c,
                        "UPDATE users SET reputation = reputation + ? WHERE id = ?",
                        config.reputationPerReport(),
                        userId.get()));
            log.info(
                "Background: Updated reputation for user {} (+{} points)",
                userId.get(),
                config.reputationPerReport());
          });
    }
    if (!config.background()) {
      db.inTransaction(c -> enqueueReview(c, id, now));
    }
    later(
        "audit-report-created",
        TaskOptions.defaults(),
        () ->
            db.inTransaction(
                c ->
                    audit(
                        c,
                        new Audit(
                            "report_created",
                            "success",
                            userId.orElse(null),
                            "Created report: " + title,
                            "report",
                            String.valueOf(id),
                            origin),
                        now)));
    ctx.status(201).json(db.read(c -> report(c, id)));
  }

  private void getReport(Context ctx) {
    String id = ctx.pathParam("id");
    if (!id.matches("[0-9]{1,18}")) {
      throw ApiError.notFound("report " + id + " not found");
    }
    ctx.json(db.read(c -> report(c, Long.parseLong(id))));
  }

  /** Puts a report on the admin review queue once; true if this call added it. */
  static boolean enqueueReview(Connection c, long reportId, Instant now) throws SQLException {
    return update(
            c,
            "INSERT INTO review_queue (report_id, queue, queued_at) VALUES (?, 'admin_review', ?)"
                + " ON CONFLICT (report_id) DO NOTHING",
            reportId,
            now.toEpochMilli())
        == 1;
  }

  private static Map<String, Object> report(Connection c, long id) throws SQLException {
    return queryOne(
            c,
            "SELECT r.id, r.user_id, r.title, r.description, r.latitude, r.longitude, r.severity,"
                + " r.status, r.created_at, q.queued_at FROM reports r"
                + " LEFT JOIN review_queue q ON q.report_id = r.id WHERE r.id = ?",
            rs -> {
              long user = rs.getLong(2);
              boolean anonymous = rs.wasNull();
              rs.getLong(10);
              boolean queued = !rs.wasNull();
              return Json.object(
                  "id",
                  rs.getLong(1),
                  "userId",
                  anonymous ? null : user,
                  "title",
                  rs.getString(3),
                  "description",
                  rs.getString(4),
                  "latitude",
                  rs.getDouble(5),
                  "longitude",
                  rs.getDouble(6),
                  "severity",
                  rs.getString(7),
                  "status",
                  rs.getString(8),
                  "createdAt",
                  Instant.ofEpochMilli(rs.getLong(9)).toString(),
                  "queuedForReview",
                  queued);
            },
            id)
        .orElseThrow(() -> ApiError.notFound("report " + id + " not found"));
  }

  // ------------------------------------------------------------------ users

  private void activity(Context ctx) {
    long me = currentUser(ctx);
    ctx.json(
        db.read(
            c ->
                query(
                    c,
                    "SELECT action, status, description, resource_type, resource_id, at"
                        + " FROM audit_log WHERE user_id = ? ORDER BY id",
                    rs ->
                        Json.object(
                            "action",
                            rs.getString(1),
                            "status",
                            rs.getString(2),
                            "description",
                            rs.getString(3),
                            "resourceType",
                            rs.getString(4),
                            "resourceId",
                            rs.getString(5),
                            "at",
                            Instant.ofEpochMilli(rs.getLong(6)).toString()),
                    me)));
  }

  private void sendEmailVerification(Context ctx) {
    long me = currentUser(ctx);
    String email = ApiError.body(ctx, mapper, EmailChange.class).email();
    if (email == null || email.length() > 254 || !EMAIL.matcher(email.trim()).matches()) {
      throw ApiError.badRequest(
          "email must be an address such as name@example.org, got "
              + (email == null ? "nothing" : "'" + email + "'"));
    }
    String address = email.trim();
    String token = randomToken();
    Instant now = config.clock().instant();
    CivicJobs.Email message =
        new CivicJobs.Email(
            address,
            "Verify your email",
            "Open this link to verify your email address for CivicLens:\n\n"
                + linkBase()
                + "/api/v1/users/verify-email?token="
                + URLEncoder.encode(token, StandardCharsets.UTF_8)
                + "\n\nThe link is valid for "
                + config.emailTokenTtl().toHours()
                + " hours.\n");
    db.inTransaction(
        c -> {
          update(c, "UPDATE users SET email = ?, email_verified = 0 WHERE id = ?", address, me);
          update(
              c,
              "INSERT INTO email_tokens (token_hash, user_id, email, expires_at) VALUES (?, ?, ?, ?)",
              sha256(token),
              me,
              address,
              now.plus(config.emailTokenTtl()).toEpochMilli());
          if (config.background()) {
            // durable: the link and its email commit together; failures retry with backoff
            errand.enqueue(c, jobs.sendEmail, message, Enqueue.now());
          }
          return null;
        });
    if (!config.background()) {
      try {
        mailer.send(message.to(), message.subject(), message.body());
      } catch (MessagingException e) {
        throw new ApiError(
            502,
            "MailServerFailed",
            "the verification email to " + address + " could not be sent: " + e.getMessage());
      }
    }
    ctx.json(Json.object("message", "Verification email sent"));
  }

  /** A stored email verification link: whose, and for which address. */
  private record EmailLink(long userId, String email) {}

  private void verifyEmail(Context ctx) {
    String token = ctx.queryParam("token");
    if (token == null || token.isBlank()) {
      throw ApiError.badRequest("token is missing: open the link from the verification email");
    }
    Instant now = config.clock().instant();
    Origin origin = origin(ctx);
    Map<String, Object> result =
        db.inTransaction(
            c -> {
              EmailLink link =
                  queryOne(
                          c,
                          "SELECT user_id, email FROM email_tokens WHERE token_hash = ? AND expires_at > ?",
                          rs -> new EmailLink(rs.getLong(1), rs.getString(2)),
                          sha256(token),
                          now.toEpochMilli())
                      .orElseThrow(
                          () ->
                              ApiError.badRequest(
                                  "the verification link is invalid or expired: ask for a new one"
                                      + " with POST /api/v1/users/me/verification/email/send"));
              long userId = link.userId();
              String email = link.email();
              update(c, "DELETE FROM email_tokens WHERE token_hash = ?", sha256(token));
              if (update(
                      c,
                      "UPDATE users SET email_verified = 1 WHERE id = ? AND email = ?",
                      userId,
                      email)
                  == 0) {
                throw ApiError.badRequest(
                    "this link was for "
                        + email
                        + ", which is no longer your address: use the newest verification email");
              }
              audit(
                  c,
                  new Audit(
                      "email_verified",
                      "success",
                      userId,
                      "Verified " + email,
                      "user",
                      String.valueOf(userId),
                      origin),
                  now);
              return Json.object("message", "Email verified", "email", email);
            });
    ctx.json(result);
  }

  private static Map<String, Object> user(Connection c, long id) throws SQLException {
    return queryOne(
            c,
            "SELECT id, phone, email, email_verified, reputation, login_count, last_login_at"
                + " FROM users WHERE id = ?",
            rs -> {
              long last = rs.getLong(7);
              boolean never = rs.wasNull();
              return Json.object(
                  "id",
                  rs.getLong(1),
                  "phone",
                  rs.getString(2),
                  "email",
                  rs.getString(3),
                  "emailVerified",
                  rs.getInt(4) == 1,
                  "reputation",
                  rs.getLong(5),
                  "loginCount",
                  rs.getLong(6),
                  "lastLoginAt",
                  never ? null : Instant.ofEpochMilli(last).toString());
            },
            id)
        .orElseThrow(() -> ApiError.notFound("user " + id + " not found"));
  }

  // ------------------------------------------------------------------ helpers

  /** Runs {@code task} after the response, or now in the request when background work is off. */
  private void later(String label, TaskOptions options, Task task) {
    if (!config.background()) {
      try {
        task.run();
      } catch (RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new IllegalStateException(label + " failed: " + e.getMessage(), e);
      }
      return;
    }
    AfterResponse.run(
        label,
        options,
        () -> {
          task.run();
          return null;
        });
  }

  private static int audit(Connection c, Audit a, Instant at) throws SQLException {
    return update(
        c,
        "INSERT INTO audit_log (action, status, user_id, description, resource_type, resource_id,"
            + " ip_address, user_agent, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        a.action(),
        a.status(),
        a.userId(),
        a.description(),
        a.resourceType(),
        a.resourceId(),
        a.origin().ip(),
        a.origin().userAgent(),
        at.toEpochMilli());
  }

  private static Origin origin(Context ctx) {
    return new Origin(ctx.ip(), ctx.header("User-Agent"));
  }

  private static String phone(String phone) {
    if (phone == null || !PHONE.matcher(phone).matches()) {
      throw ApiError.badRequest(
          "phone must be in international format: + then 8 to 15 digits, e.g. +919876543210; got "
              + (phone == null ? "nothing" : "'" + phone + "'"));
    }
    return phone;
  }

  private static String text(String value, String name, int max) {
    if (value == null || value.isBlank() || value.length() > max) {
      throw ApiError.badRequest(
          name
              + " is required, 1-"
              + max
              + " characters"
              + (value == null ? "" : "; got " + value.length()));
    }
    return value.trim();
  }

  private static double coordinate(Double value, String name, int limit) {
    if (value == null || value.isNaN() || value < -limit || value > limit) {
      throw ApiError.badRequest(
          name + " is required, a number from -" + limit + " to " + limit + "; got " + value);
    }
    return value;
  }

  static String sha256(String s) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  private static String randomToken() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  private String linkBase() {
    return config.publicBaseUrl() != null ? config.publicBaseUrl() : baseUrl();
  }

  // ------------------------------------------------------------------ accessors

  /** {@code http://host:port} of this app's own server. */
  public String baseUrl() {
    return ExampleServer.baseUrl(server, config.host());
  }

  /** The app's Errand engine (queue {@value CivicJobs#QUEUE} and the token cleanup schedule). */
  public Errand errand() {
    return errand;
  }

  /** The app's database: its tables and Errand's jobs. */
  public ExampleDatabase database() {
    return db;
  }

  /** Alerts raised by dead-lettered and repeatedly failing jobs (email delivery). */
  public Alerts alerts() {
    return alerts;
  }

  /** The job types, for tests in this package. */
  CivicJobs jobs() {
    return jobs;
  }

  /** The after-response lane of this app. */
  public AfterResponseLane lane() {
    return lane;
  }

  /**
   * Stops the server, then the after-response lane (queued tasks finish within its grace), then the
   * workers, then the database. Idempotent.
   */
  @Override
  public void close() {
    Javalin s = server;
    server = null;
    if (s != null) {
      s.stop();
    }
    lane.shutdown();
    ExampleServer.stop(null, alertWatch, errand, db);
  }

  /**
   * Runs the civic reports app alone: {@code DATA_DIR} (default {@code data/civic}), {@code PORT}
   * (7001), {@code DATABASE_URL} (a jdbc:postgresql:// URL instead of the SQLite file), {@code
   * SMTP_HOST} and {@code SMTP_PORT} (without a host an embedded GreenMail server on 127.0.0.1,
   * port {@code SMTP_PORT} or 3025, receives the emails), {@code BACKGROUND=false} (everything in
   * the request).
   */
  public static void main(String[] args) throws InterruptedException {
    Env env = Env.of(System.getenv());
    CivicConfig.Builder b =
        CivicConfig.builder(Path.of(env.get("DATA_DIR").orElse("data/civic"))).port(7001);
    env.read("PORT", v -> b.port(Integer.parseInt(v)))
        .read("BACKGROUND", v -> b.background(bool(v)))
        .read("DATABASE_URL", v -> b.database(() -> ExampleDatabase.fromSetting(v)));
    int[] smtpPort = {0};
    env.read("SMTP_PORT", v -> smtpPort[0] = port(v));
    GreenMail greenMail = null;
    if (env.get("SMTP_HOST").isPresent()) {
      b.smtp(env.get("SMTP_HOST").get(), smtpPort[0] != 0 ? smtpPort[0] : 25);
    } else {
      int port = smtpPort[0] != 0 ? smtpPort[0] : 3025;
      greenMail = new GreenMail(new ServerSetup(port, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
      greenMail.start();
      b.smtp("127.0.0.1", port);
      log.info("embedded GreenMail SMTP server on 127.0.0.1:{} receives the emails", port);
    }
    CivicApp app = start(b.build());
    GreenMail mail = greenMail;
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  app.close();
                  if (mail != null) {
                    mail.stop();
                  }
                },
                "civic-stop"));
    Thread.currentThread().join();
  }

  private static boolean bool(String v) {
    if (!v.equalsIgnoreCase("true") && !v.equalsIgnoreCase("false")) {
      throw new IllegalArgumentException("use true or false");
    }
    return Boolean.parseBoolean(v);
  }

  private static int port(String v) {
    int p = Integer.parseInt(v);
    if (p < 1 || p > 65535) {
      throw new IllegalArgumentException("a port is 1-65535");
    }
    return p;
  }
}
