package dev.errand.examples.bugtracker;

import static dev.errand.examples.ExampleDatabase.number;
import static dev.errand.examples.ExampleDatabase.query;
import static dev.errand.examples.ExampleDatabase.queryOne;
import static dev.errand.examples.ExampleDatabase.update;

import dev.errand.Backoff;
import dev.errand.Enqueue;
import dev.errand.Errand;
import dev.errand.JobContext;
import dev.errand.JobType;
import dev.errand.PermanentFailure;
import dev.errand.examples.Alerts;
import dev.errand.examples.ExampleDatabase;
import dev.errand.examples.Json;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The five kinds of background job of seed 002, as Errand job types on queue {@value #QUEUE}. Every
 * handler validates its payload (a bad one fails permanently, without retries) and reads the
 * current state from the database instead of trusting the payload: a job carries ids only, so it
 * can do no more than the data allows when it runs.
 */
final class BugTrackerJobs {
  private static final Logger log = LoggerFactory.getLogger(BugTrackerJobs.class);
  static final String QUEUE = "bugtracker";
  static final Set<String> KINDS =
      Set.of("mention", "severity_changed", "session_started", "session_ended", "role_changed");
  private static final Pattern MENTION = Pattern.compile("@([A-Za-z0-9_-]{1,100})");
  private static final Pattern PERIOD = Pattern.compile("\\d{4}-\\d{2}");
  static final List<String> INDEXES =
      List.of(
          "bugs_status",
          "media_bug",
          "media_status",
          "comments_bug",
          "sessions_user",
          "inbox_recipient");

  /** A notification job: who did what; recipients are resolved when it runs. */
  record Notify(
      String kind,
      Long bugId,
      Long commentId,
      Long sessionId,
      String subjectUserId,
      String actorId,
      String detail) {}

  /** Deletes the stored file of one archived media item. */
  record MediaCleanup(long mediaId) {}

  /** Recomputes the metrics of {@code userIds} for {@code period} (yyyy-MM). */
  record Recalculate(List<String> userIds, String period, String reason) {}

  /** A job that needs no input besides why it runs. */
  record Run(String reason) {}

  private final ExampleDatabase db;
  private final Clock clock;
  private final ZoneId zone;
  private final List<NotificationChannel> channels;
  private final MediaStorage storage;
  private final DashboardCache cache;
  private final Path tempDir;
  private final BugTrackerConfig config;
  private final Alerts alerts;
  final JobType<Notify> notify;
  final JobType<MediaCleanup> mediaCleanup;
  final JobType<Run> mediaSweep;
  final JobType<Recalculate> recalculate;
  final JobType<Run> warmCache;
  final JobType<Run> maintenance;
  private final Errand errand;

  BugTrackerJobs(
      Errand errand,
      ExampleDatabase db,
      BugTrackerConfig config,
      List<NotificationChannel> channels,
      MediaStorage storage,
      DashboardCache cache,
      Path tempDir,
      Alerts alerts) {
    this.errand = errand;
    this.db = db;
    this.clock = config.clock();
    this.zone = config.zone();
    this.config = config;
    this.channels = List.copyOf(channels);
    this.storage = storage;
    this.cache = cache;
    this.tempDir = tempDir;
    this.alerts = alerts;
    Backoff backoff = Backoff.exponential(config.backoff());
    notify =
        errand.register(
            JobType.of("bugtracker.notify", Notify.class, this::notify)
                .queue(QUEUE)
                .maxAttempts(config.notificationAttempts())
                .backoff(backoff));
    mediaCleanup =
        errand.register(
            JobType.of("bugtracker.media-cleanup", MediaCleanup.class, this::cleanMedia)
                .queue(QUEUE)
                .maxAttempts(10)
                .backoff(backoff));
    mediaSweep =
        errand.register(
            JobType.of("bugtracker.media-sweep", Run.class, this::sweepMedia)
                .queue(QUEUE)
                .maxAttempts(3)
                .backoff(backoff));
    recalculate =
        errand.register(
            JobType.of("bugtracker.recalculate-metrics", Recalculate.class, this::recalculate)
                .queue(QUEUE)
                .maxAttempts(5)
                .backoff(backoff));
    warmCache =
        errand.register(
            JobType.of("bugtracker.warm-cache", Run.class, this::warm)
                .queue(QUEUE)
                .maxAttempts(2)
                .backoff(backoff));
    maintenance =
        errand.register(
            JobType.of("bugtracker.maintenance", Run.class, this::maintain)
                .queue(QUEUE)
                .maxAttempts(3)
                .backoff(backoff));
  }

  // ------------------------------------------------------------------ notifications

  private void notify(JobContext ctx, Notify n) throws Exception {
    if (n.kind() == null || !KINDS.contains(n.kind()) || n.actorId() == null) {
      throw new PermanentFailure(
          "invalid notification " + n + ": kind must be one of " + KINDS + " and actorId set");
    }
    Map<String, String> messages = db.read(c -> recipients(c, n));
    List<String> failures = new ArrayList<>();
    int sent = 0;
    for (Map.Entry<String, String> r : messages.entrySet()) {
      for (NotificationChannel channel : channels) {
        String key = "job:" + ctx.jobId() + ":" + r.getKey() + ":" + channel.name();
        if (db.read(
                c ->
                    number(
                        c,
                        "SELECT COUNT(*) FROM notification_deliveries WHERE dedupe_key = ?",
                        key))
            > 0) {
          continue; // delivered by an earlier attempt
        }
        try {
          channel.send(new Notification(r.getKey(), n.kind(), r.getValue(), n.bugId()));
        } catch (Exception e) {
          log.warn(
              "notification {} to {} via {} failed (attempt {} of {}): {}",
              n.kind(),
              r.getKey(),
              channel.name(),
              ctx.attempt(),
              ctx.maxAttempts(),
              e.toString());
          failures.add(channel.name() + " to " + r.getKey() + ": " + e.getMessage());
          continue;
        }
        sent++;
        db.inTransaction(
            c ->
                update(
                    c,
                    "INSERT INTO notification_deliveries (dedupe_key, recipient_id, channel,"
                        + " kind, message, delivered_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (dedupe_key) DO NOTHING",
                    key,
                    r.getKey(),
                    channel.name(),
                    n.kind(),
                    r.getValue(),
                    clock.instant().toEpochMilli()));
      }
    }
    if (!failures.isEmpty()) {
      throw new IOException(
          failures.size() + " deliveries failed, will retry: " + String.join("; ", failures));
    }
    ctx.result(Json.object("recipients", messages.keySet(), "sent", sent));
  }

  /** Recipient → message; only active users who may see the bug, never the actor. */
  private Map<String, String> recipients(Connection c, Notify n) throws SQLException {
    Set<String> ids = new LinkedHashSet<>();
    String title = null;
    if (n.bugId() != null) {
      title =
          queryOne(
                  c,
                  "SELECT title FROM bugs WHERE id = ? AND status <> 'deleted'",
                  rs -> rs.getString(1),
                  n.bugId())
              .orElse(null);
      if (title == null) {
        return Map.of(); // a deleted bug is visible to nobody: nothing to tell
      }
    }
    String message;
    switch (n.kind()) {
      case "mention" -> {
        String body =
            queryOne(
                    c,
                    "SELECT body FROM comments WHERE id = ? AND bug_id = ?",
                    rs -> rs.getString(1),
                    n.commentId(),
                    n.bugId())
                .orElseThrow(() -> new PermanentFailure("comment " + n.commentId() + " not found"));
        Matcher m = MENTION.matcher(body);
        while (m.find()) {
          ids.add(m.group(1));
        }
        message = n.actorId() + " mentioned you on bug #" + n.bugId() + " \"" + title + "\"";
      }
      case "severity_changed" -> {
        ids.addAll(
            query(
                c,
                "SELECT reporter_id FROM bugs WHERE id = ? UNION SELECT assignee_id FROM bugs"
                    + " WHERE id = ? AND assignee_id IS NOT NULL",
                rs -> rs.getString(1),
                n.bugId(),
                n.bugId()));
        message =
            n.actorId()
                + " changed the severity of bug #"
                + n.bugId()
                + " \""
                + title
                + "\" "
                + n.detail();
      }
      case "session_started", "session_ended" -> {
        ids.addAll(
            query(
                c,
                "SELECT id FROM users WHERE role IN ('lead', 'admin') ORDER BY id",
                rs -> rs.getString(1)));
        message =
            n.actorId()
                + (n.kind().equals("session_started") ? " started" : " ended")
                + " test session #"
                + n.sessionId();
      }
      default -> {
        ids.add(n.subjectUserId());
        message = n.actorId() + " changed your role " + n.detail();
      }
    }
    ids.remove(n.actorId());
    Map<String, String> out = new LinkedHashMap<>();
    for (String id : ids) {
      if (number(c, "SELECT COUNT(*) FROM users WHERE id = ? AND active = 1", id) == 1) {
        out.put(id, message);
      }
    }
    return out;
  }

  // ------------------------------------------------------------------ media cleanup

  private void cleanMedia(JobContext ctx, MediaCleanup p) throws IOException {
    if (p.mediaId() <= 0) {
      throw new PermanentFailure("mediaId must be positive, got " + p.mediaId());
    }
    String[] row =
        db.inTransaction(
            c -> {
              String[] m =
                  queryOne(
                          c,
                          "SELECT status, storage_key FROM media WHERE id = ?",
                          rs -> new String[] {rs.getString(1), rs.getString(2)},
                          p.mediaId())
                      .orElseThrow(
                          () -> new PermanentFailure("media " + p.mediaId() + " does not exist"));
              if (m[0].equals("archived")) {
                update(
                    c,
                    "UPDATE media SET status = 'purging' WHERE id = ? AND status = 'archived'",
                    p.mediaId());
                m[0] = "purging";
              }
              return m;
            });
    switch (row[0]) {
      case "active" -> {
        log.info("media {} is active again; its file stays", p.mediaId());
        ctx.result(Json.object("mediaId", p.mediaId(), "outcome", "skipped: active"));
      }
      case "purged" ->
          ctx.result(Json.object("mediaId", p.mediaId(), "outcome", "already deleted"));
      default -> {
        storage.delete(row[1]);
        db.inTransaction(
            c ->
                update(
                    c,
                    "UPDATE media SET status = 'purged', purged_at = ? WHERE id = ?"
                        + " AND status = 'purging'",
                    clock.instant().toEpochMilli(),
                    p.mediaId()));
        ctx.result(Json.object("mediaId", p.mediaId(), "outcome", "deleted"));
      }
    }
  }

  /** Enqueues a cleanup of every archived media item whose file is not deleted yet. */
  private void sweepMedia(JobContext ctx, Run r) {
    List<Long> ids =
        db.read(
            c ->
                query(
                    c,
                    "SELECT id FROM media WHERE status IN ('archived', 'purging')" + " ORDER BY id",
                    rs -> rs.getLong(1)));
    for (long id : ids) {
      enqueueCleanup(null, id);
    }
    ctx.result(Json.object("enqueued", ids.size()));
  }

  void enqueueCleanup(Connection c, long mediaId) {
    Enqueue once = Enqueue.now().uniqueKey("media-cleanup:" + mediaId);
    if (c == null) {
      errand.enqueue(mediaCleanup, new MediaCleanup(mediaId), once);
    } else {
      errand.enqueue(c, mediaCleanup, new MediaCleanup(mediaId), once);
    }
  }

  // ------------------------------------------------------------------ metrics

  String period(Instant at) {
    return YearMonth.from(at.atZone(zone)).toString();
  }

  /** The small synchronous update: one more bug reported, unless the period is finalized. */
  void countReportedBug(Connection c, String userId, Instant at) throws SQLException {
    update(
        c,
        "INSERT INTO member_metrics (user_id, period, bugs_reported, critical_bugs, sessions_completed,"
            + " finalized, updated_at) VALUES (?, ?, 1, 0, 0, 0, ?) ON CONFLICT (user_id, period) DO UPDATE SET"
            + " bugs_reported = member_metrics.bugs_reported + 1, updated_at = excluded.updated_at"
            + " WHERE member_metrics.finalized = 0",
        userId,
        period(at),
        clock.instant().toEpochMilli());
  }

  private void recalculate(JobContext ctx, Recalculate r) throws Exception {
    if (r.period() == null
        || !PERIOD.matcher(r.period()).matches()
        || r.userIds() == null
        || r.userIds().isEmpty()) {
      throw new PermanentFailure(
          "invalid recalculation " + r + ": period must be yyyy-MM and userIds not empty");
    }
    YearMonth month = YearMonth.parse(r.period());
    long from = month.atDay(1).atStartOfDay(zone).toInstant().toEpochMilli();
    long to = month.plusMonths(1).atDay(1).atStartOfDay(zone).toInstant().toEpochMilli();
    Map<String, Object> result =
        ctx.inTransaction(
            c -> {
              List<String> updated = new ArrayList<>();
              List<String> finalized = new ArrayList<>();
              for (String user : new LinkedHashSet<>(r.userIds())) {
                if (number(c, "SELECT COUNT(*) FROM users WHERE id = ?", user) == 0) {
                  continue;
                }
                if (number(
                        c,
                        "SELECT COUNT(*) FROM member_metrics WHERE user_id = ? AND period = ? AND finalized = 1",
                        user,
                        r.period())
                    > 0) {
                  finalized.add(user); // finalized metrics are never modified
                  continue;
                }
                long reported =
                    number(
                        c,
                        "SELECT COUNT(*) FROM bugs WHERE reporter_id = ? AND status <> 'deleted'"
                            + " AND created_at >= ? AND created_at < ?",
                        user,
                        from,
                        to);
                long critical =
                    number(
                        c,
                        "SELECT COUNT(*) FROM bugs WHERE assignee_id = ? AND status = 'open'"
                            + " AND severity = 'critical' AND created_at >= ? AND created_at < ?",
                        user,
                        from,
                        to);
                long sessions =
                    number(
                        c,
                        "SELECT COUNT(*) FROM qa_sessions WHERE user_id = ? AND ended_at >= ?"
                            + " AND ended_at < ?",
                        user,
                        from,
                        to);
                update(
                    c,
                    "INSERT INTO member_metrics (user_id, period, bugs_reported, critical_bugs, sessions_completed,"
                        + " finalized, updated_at) VALUES (?, ?, ?, ?, ?, 0, ?) ON CONFLICT (user_id, period) DO UPDATE SET"
                        + " bugs_reported = excluded.bugs_reported, critical_bugs = excluded.critical_bugs,"
                        + " sessions_completed = excluded.sessions_completed, updated_at = excluded.updated_at"
                        + " WHERE member_metrics.finalized = 0",
                    user,
                    r.period(),
                    reported,
                    critical,
                    sessions,
                    clock.instant().toEpochMilli());
                updated.add(user);
              }
              BugTrackerApp.bumpVersion(c);
              return Json.object("updated", updated, "finalizedSkipped", finalized);
            });
    log.info("metrics of {} recalculated ({}): {}", r.period(), r.reason(), result);
  }

  // ------------------------------------------------------------------ cache

  private void warm(JobContext ctx, Run r) {
    long version = warmNow();
    ctx.result(Json.object("version", version, "reason", r.reason()));
  }

  /** Computes the dashboard summary from the database and caches it; returns its data version. */
  long warmNow() {
    Map<String, Object> summary = summary();
    long version = (Long) summary.get("version");
    cache.put("dashboard", summary, version);
    return version;
  }

  /**
   * The dashboard summary from the database. The version is read first, so the summary is at least
   * as new as the version it is cached under.
   */
  Map<String, Object> summary() {
    return db.read(
        c -> {
          long version = BugTrackerApp.version(c);
          Map<String, Long> open = new LinkedHashMap<>();
          for (String s : BugTrackerApp.SEVERITIES) {
            open.put(
                s,
                number(c, "SELECT COUNT(*) FROM bugs WHERE status = 'open' AND severity = ?", s));
          }
          String period = period(clock.instant());
          return Json.object(
              "version",
              version,
              "openBugs",
              open,
              "activeSessions",
              number(c, "SELECT COUNT(*) FROM qa_sessions WHERE ended_at IS NULL"),
              "period",
              period,
              "metrics",
              BugTrackerApp.metrics(c, period));
        });
  }

  // ------------------------------------------------------------------ maintenance

  private void maintain(JobContext ctx, Run r) throws IOException {
    int evicted = cache.evictExpired();
    Map<String, Object> orphans =
        db.read(
            c ->
                Json.object(
                    "commentsWithoutBug",
                        number(
                            c,
                            "SELECT COUNT(*) FROM comments WHERE bug_id NOT IN (SELECT id FROM bugs)"),
                    "mediaWithoutBug",
                        number(
                            c,
                            "SELECT COUNT(*) FROM media WHERE bug_id NOT IN (SELECT id FROM bugs)"),
                    "sessionsWithoutUser",
                        number(
                            c,
                            "SELECT COUNT(*) FROM qa_sessions WHERE user_id NOT IN (SELECT id FROM users)"),
                    "metricsWithoutUser",
                        number(
                            c,
                            "SELECT COUNT(*) FROM member_metrics WHERE user_id NOT IN (SELECT id FROM users)")));
    List<String> indexProblems = db.read(this::indexProblems);
    int removedTemp = cleanTempFiles();
    long auditCutoff = clock.instant().minus(config.auditTtl()).toEpochMilli();
    int expiredAudit =
        db.inTransaction(c -> update(c, "DELETE FROM audit_log WHERE at < ?", auditCutoff));
    Map<String, Object> report =
        Json.object(
            "evictedCacheEntries",
            evicted,
            "orphans",
            orphans,
            "indexProblems",
            indexProblems,
            "removedTempFiles",
            removedTemp,
            "expiredAuditEntries",
            expiredAudit);
    if (!indexProblems.isEmpty()) {
      alerts.raise("index-health", "high", "index problems: " + indexProblems);
    }
    if (orphans.values().stream().anyMatch(v -> ((Long) v) > 0)) {
      alerts.raise("orphan-references", "medium", "orphan references found: " + orphans);
    }
    db.inTransaction(
        c ->
            update(
                c,
                "INSERT INTO maintenance_reports (ran_at, report) VALUES (?, ?)",
                clock.instant().toEpochMilli(),
                report.toString()));
    ctx.result(report);
  }

  private List<String> indexProblems(Connection c) throws SQLException {
    List<String> problems = new ArrayList<>();
    List<String> present;
    if (db.dialect() == ExampleDatabase.Dialect.SQLITE) {
      present =
          query(c, "SELECT name FROM sqlite_master WHERE type = 'index'", rs -> rs.getString(1));
      String check = queryOne(c, "PRAGMA quick_check", rs -> rs.getString(1)).orElse("no answer");
      if (!check.equals("ok")) {
        problems.add("quick_check: " + check);
      }
    } else {
      present =
          query(
              c,
              "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()",
              rs -> rs.getString(1));
      problems.addAll(
          query(
              c,
              "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
                  + " WHERE NOT i.indisvalid",
              rs -> "invalid index " + rs.getString(1)));
    }
    for (String name : INDEXES) {
      if (!present.contains(name)) {
        problems.add("missing index " + name);
      }
    }
    return problems;
  }

  private int cleanTempFiles() throws IOException {
    Instant cutoff = clock.instant().minus(config.tempFileMaxAge());
    int removed = 0;
    try (DirectoryStream<Path> files = Files.newDirectoryStream(tempDir)) {
      for (Path f : files) {
        if (Files.isRegularFile(f) && Files.getLastModifiedTime(f).toInstant().isBefore(cutoff)) {
          Files.deleteIfExists(f);
          removed++;
        }
      }
    }
    return removed;
  }
}
