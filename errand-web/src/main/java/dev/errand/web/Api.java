package dev.errand.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.errand.Enqueue;
import dev.errand.Errand;
import dev.errand.Job;
import dev.errand.JobHandle;
import dev.errand.JobPage;
import dev.errand.JobQuery;
import dev.errand.JobState;
import dev.errand.Misfire;
import dev.errand.Node;
import dev.errand.RecurringJob;
import dev.errand.Schedule;
import dev.errand.ScheduleInfo;
import io.javalin.http.Context;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The JSON endpoints over {@link Errand}'s public API. Each method checks its input completely and
 * refuses bad input with an {@link ApiException} before calling the engine, so nothing a client
 * sends reaches the catch-all.
 */
final class Api {
  static final int DEFAULT_PAGE = 50;
  static final int DEFAULT_BULK = 1000;
  static final int MAX_BULK = 10_000;
  private static final Set<String> ENQUEUE_FIELDS =
      Set.of(
          "type",
          "payload",
          "uniqueKey",
          "delay",
          "runAt",
          "priority",
          "queue",
          "maxAttempts",
          "tags");
  private static final Set<String> FILTER_FIELDS =
      Set.of("type", "queue", "tag", "from", "to", "limit");
  private static final Set<String> SCHEDULE_FIELDS =
      Set.of("name", "type", "payload", "schedule", "lookAhead", "misfire", "startAt");

  private final Errand errand;
  private final WebConfig config;
  private final Json json;

  Api(Errand errand, WebConfig config, Json json) {
    this.errand = errand;
    this.config = config;
    this.json = json;
  }

  // ------------------------------------------------------------------------------ jobs

  Reply listJobs(Context ctx) {
    Request.onlyParams(
        ctx, Set.of("state", "type", "queue", "tag", "from", "to", "limit", "cursor"));
    Set<JobState> states = EnumSet.noneOf(JobState.class);
    for (String v : ctx.queryParams("state")) {
      for (String s : v.split(",")) {
        try {
          states.add(JobState.parse(s));
        } catch (IllegalArgumentException e) {
          throw ApiException.badRequest(
              "invalid_parameter", "state: " + Fields.clip(e.getMessage()));
        }
      }
    }
    int limit = Request.intParam(ctx, "limit", DEFAULT_PAGE, 1, JobQuery.MAX_LIMIT);
    Long cursor = null;
    String c = Request.param(ctx, "cursor");
    if (c != null) {
      try {
        cursor = Long.parseLong(c);
      } catch (NumberFormatException e) {
        cursor = -1L;
      }
      if (cursor <= 0) {
        throw ApiException.badRequest(
            "invalid_parameter",
            "cursor '"
                + Fields.clip(c)
                + "' must be a"
                + " page's nextCursor (a positive whole number)");
      }
    }
    JobQuery q =
        filters(
                Request.filter("type", Request.param(ctx, "type"), "invalid_parameter"),
                Request.filter("queue", Request.param(ctx, "queue"), "invalid_parameter"),
                Request.filter("tag", Request.param(ctx, "tag"), "invalid_parameter"),
                instant("from", Request.param(ctx, "from")),
                instant("to", Request.param(ctx, "to")),
                "invalid_parameter")
            .limit(limit)
            .before(cursor);
    if (!states.isEmpty()) {
      q = q.states(states.toArray(JobState[]::new));
    }
    JobPage page = errand.jobs(q);
    Instant now = errand.clock().instant();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("jobs", page.jobs().stream().map(j -> json.job(j, now)).toList());
    out.put("nextCursor", page.nextCursor());
    return Reply.ok(out);
  }

  private static Instant instant(String what, String text) {
    return text == null ? null : Fields.parseInstant(what, text, "invalid_parameter");
  }

  private static JobQuery filters(
      String type, String queue, String tag, Instant from, Instant to, String code) {
    if (from != null && to != null && !to.isAfter(from)) {
      throw ApiException.badRequest(
          code,
          "the time range is empty: 'to' (" + to + ") must be after" + " 'from' (" + from + ")");
    }
    return JobQuery.all().type(type).queue(queue).tag(tag).created(from, to);
  }

  Reply getJob(Context ctx) {
    Request.onlyParams(ctx, Set.of());
    long id = Request.jobId(ctx);
    return Reply.ok(json.job(existing(id), errand.clock().instant()));
  }

  private Job existing(long id) {
    return errand
        .job(id)
        .orElseThrow(
            () ->
                ApiException.notFound(
                    "job "
                        + id
                        + " does not exist"
                        + " (it may have been deleted or pruned after its retention)"));
  }

  Reply enqueue(Context ctx) {
    Request.onlyParams(ctx, Set.of());
    Prepared p = prepare(Request.json(ctx, config.maxBodyBytes()), "");
    JobHandle h = submit(p);
    Map<String, Object> out = enqueued(h);
    return new Reply(h.created() ? 201 : 200, out);
  }

  Reply enqueueBatch(Context ctx) {
    Request.onlyParams(ctx, Set.of());
    Fields body = Fields.object(Request.json(ctx, config.maxBodyBytes()), "", Set.of("jobs"));
    JsonNode jobs = body.raw("jobs");
    if (jobs == null || !jobs.isArray() || jobs.isEmpty()) {
      throw ApiException.badRequest(
          "invalid_body",
          "field 'jobs' must be a non-empty array of jobs,"
              + " each like {\"type\": ..., \"payload\": {...}}");
    }
    if (jobs.size() > config.maxBatch()) {
      throw ApiException.badRequest(
          "batch_too_large",
          "a batch may hold at most "
              + config.maxBatch()
              + " jobs (WebConfig.maxBatch), got "
              + jobs.size()
              + "; send it in parts");
    }
    List<Prepared> prepared = new ArrayList<>(jobs.size());
    for (int i = 0; i < jobs.size(); i++) {
      prepared.add(prepare(jobs.get(i), "jobs[" + i + "]"));
    }
    List<JobHandle> handles = new ArrayList<>(prepared.size());
    int i = 0;
    while (i < prepared.size()) {
      int end = i + 1;
      while (end < prepared.size() && prepared.get(end).sameOptions(prepared.get(i))) {
        end++;
      }
      handles.addAll(submitAll(prepared.subList(i, end)));
      i = end;
    }
    // one read for the whole batch (a read per job cost more than the enqueue itself)
    Map<Long, Job> stored = errand.jobs(handles.stream().map(JobHandle::id).toList());
    List<Map<String, Object>> out = new ArrayList<>(handles.size());
    for (JobHandle h : handles) {
      out.add(enqueued(h, stored.get(h.id())));
    }
    return Reply.created(Map.of("jobs", out));
  }

  private Map<String, Object> enqueued(JobHandle h) {
    return enqueued(h, errand.job(h.id()).orElse(null));
  }

  /** The answer for one enqueued job; {@code job} is null if it is already gone. */
  private Map<String, Object> enqueued(JobHandle h, Job job) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("id", h.id());
    out.put("created", h.created());
    if (job != null) {
      out.put("job", json.job(job, errand.clock().instant()));
    }
    return out;
  }

  /**
   * A job ready to enqueue: its type is allowed, its options and payload checked. {@code
   * optionsKey} holds the option values as given, so that jobs with equal ones can share a store
   * operation.
   */
  private record Prepared(String type, String payload, Enqueue options, List<Object> optionsKey) {
    boolean sameOptions(Prepared o) {
      return type.equals(o.type) && optionsKey.equals(o.optionsKey);
    }
  }

  private Prepared prepare(JsonNode node, String path) {
    Fields f = Fields.object(node, path, ENQUEUE_FIELDS);
    String type = allowedType(f.requiredText("type"), f.name("type"));
    JsonNode payload = f.raw("payload");
    if (payload == null) {
      throw ApiException.badRequest(
          "invalid_body",
          "field '"
              + f.name("payload")
              + "' is required:"
              + " the job's payload as JSON (an object for record payloads)");
    }
    Enqueue options;
    try {
      Duration delay = f.duration("delay");
      Instant runAt = f.instant("runAt");
      if (delay != null && runAt != null) {
        throw ApiException.badRequest(
            "invalid_body",
            "give '" + f.name("delay") + "' or '" + f.name("runAt") + "', not both");
      }
      options =
          delay != null ? Enqueue.after(delay) : runAt != null ? Enqueue.at(runAt) : Enqueue.now();
      if (delay != null && delay.compareTo(Duration.ofDays(3650)) > 0) {
        throw ApiException.badRequest(
            "invalid_body",
            "'" + f.name("delay") + "' may be at most ten" + " years, got " + delay);
      }
      String key = f.text("uniqueKey");
      if (key != null) {
        options = options.uniqueKey(key);
      }
      List<String> tags = f.strings("tags");
      if (tags.size() > 20) {
        throw ApiException.badRequest(
            "invalid_body",
            "'" + f.name("tags") + "' may hold at most 20" + " tags, got " + tags.size());
      }
      if (!tags.isEmpty()) {
        options = options.tags(tags.toArray(String[]::new));
      }
      String queue = f.text("queue");
      if (queue != null) {
        options = options.queue(queue);
      }
      Integer priority = f.integer("priority");
      if (priority != null) {
        options = options.priority(priority);
      }
      Integer maxAttempts = f.integer("maxAttempts");
      if (maxAttempts != null) {
        if (maxAttempts > 1000) {
          throw ApiException.badRequest(
              "invalid_body",
              "'" + f.name("maxAttempts") + "' must be 1-1000," + " got " + maxAttempts);
        }
        options = options.maxAttempts(maxAttempts);
      }
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest(
          "invalid_body", (path.isEmpty() ? "" : path + ": ") + e.getMessage());
    }
    String canonical = checkPayload(type, payload, f.name("payload"));
    List<Object> key =
        java.util.Arrays.asList(
            f.text("delay"),
            f.text("runAt"),
            f.text("uniqueKey"),
            new TreeSet<>(f.strings("tags")),
            f.text("queue"),
            f.integer("priority"),
            f.integer("maxAttempts"));
    return new Prepared(type, canonical, options, key);
  }

  private String checkPayload(String type, JsonNode payload, String what) {
    String text;
    try {
      text = Json.MAPPER.writeValueAsString(payload);
    } catch (JsonProcessingException e) {
      throw ApiException.badRequest(
          "invalid_body", "'" + what + "' could not be read: " + e.getOriginalMessage());
    }
    try {
      return errand.checkJson(type, text);
    } catch (IllegalArgumentException e) {
      throw new ApiException(422, "invalid_payload", "'" + what + "': " + e.getMessage());
    }
  }

  private String allowedType(String type, String what) {
    Set<String> allowed = new TreeSet<>(config.remoteEnqueue());
    allowed.retainAll(errand.typeNames());
    if (errand.type(type).isEmpty()) {
      throw ApiException.badRequest(
          "unknown_type",
          "'"
              + what
              + "': unknown job type '"
              + Fields.clip(type)
              + "'; types that can be enqueued over HTTP: "
              + allowed);
    }
    if (!config.remoteEnqueue().contains(type)) {
      throw new ApiException(
          403,
          "type_not_remotely_enqueueable",
          "'"
              + what
              + "': job type '"
              + type
              + "' may not be enqueued over HTTP; list it in WebConfig.builder().remoteEnqueue(...) if"
              + " remote callers should (enqueueable now: "
              + allowed
              + ")");
    }
    return type;
  }

  /** Jobs of one type with equal options, in one store operation (one transaction). */
  private List<JobHandle> submitAll(List<Prepared> ps) {
    try {
      return errand.enqueueJsonAll(
          ps.get(0).type(), ps.stream().map(Prepared::payload).toList(), ps.get(0).options());
    } catch (IllegalStateException e) {
      throw new ApiException(
          503, "engine_stopped", "the engine is not accepting jobs: " + e.getMessage());
    }
  }

  private JobHandle submit(Prepared p) {
    try {
      return errand.enqueueJson(p.type(), p.payload(), p.options());
    } catch (IllegalStateException e) {
      throw new ApiException(
          503, "engine_stopped", "the engine is not accepting jobs: " + e.getMessage());
    }
  }

  /**
   * The job operations by hand: retry, cancel and delete, each refused with 409 from the wrong
   * state.
   */
  enum Action {
    RETRY,
    CANCEL,
    DELETE
  }

  Reply act(Context ctx, Action action) {
    Request.onlyParams(ctx, Set.of());
    long id = Request.jobId(ctx);
    existing(id);
    try {
      switch (action) {
        case RETRY -> {
          return Reply.ok(json.job(errand.retry(id), errand.clock().instant()));
        }
        case CANCEL -> {
          return Reply.ok(json.job(errand.cancel(id), errand.clock().instant()));
        }
        default -> {
          errand.delete(id);
          return Reply.ok(Map.of("deleted", id));
        }
      }
    } catch (IllegalStateException e) {
      throw refused(id, e);
    }
  }

  private ApiException refused(long id, IllegalStateException e) {
    if (errand.job(id).isEmpty()) {
      return ApiException.notFound("job " + id + " does not exist");
    }
    return new ApiException(409, "invalid_state", e.getMessage());
  }

  /** Retries or deletes FAILED jobs matching a filter, one store operation per job. */
  Reply bulk(Context ctx, boolean retry) {
    Request.onlyParams(ctx, Set.of());
    Fields f = Fields.object(Request.json(ctx, config.maxBodyBytes()), "", FILTER_FIELDS);
    Integer limit = f.integer("limit");
    int max = limit == null ? DEFAULT_BULK : limit;
    if (max < 1 || max > MAX_BULK) {
      throw ApiException.badRequest(
          "invalid_body", "'limit' must be 1-" + MAX_BULK + ", got " + max);
    }
    JobQuery q =
        filters(
                Request.filter("type", f.text("type"), "invalid_body"),
                Request.filter("queue", f.text("queue"), "invalid_body"),
                Request.filter("tag", f.text("tag"), "invalid_body"),
                f.instant("from"),
                f.instant("to"),
                "invalid_body")
            .states(JobState.FAILED)
            .limit(JobQuery.MAX_LIMIT);
    List<Long> ids = new ArrayList<>();
    Long cursor = null;
    boolean more = false;
    do {
      JobPage page = errand.jobs(q.before(cursor));
      for (Job j : page.jobs()) {
        if (ids.size() == max) {
          more = true;
          break;
        }
        ids.add(j.id());
      }
      cursor = page.nextCursor();
    } while (cursor != null && !more);
    more |= cursor != null && ids.size() == max;
    int done = 0;
    List<Map<String, Object>> skipped = new ArrayList<>();
    for (long id : ids) {
      try {
        if (retry) {
          errand.retry(id);
        } else {
          errand.delete(id);
        }
        done++;
      } catch (IllegalStateException e) {
        if (skipped.size() < 100) {
          Map<String, Object> s = new LinkedHashMap<>();
          s.put("id", id);
          s.put("reason", e.getMessage());
          skipped.add(s);
        }
      }
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("matched", ids.size());
    out.put(retry ? "retried" : "deleted", done);
    out.put("skipped", skipped);
    out.put("more", more);
    return Reply.ok(out);
  }

  // ------------------------------------------------------------------------------ schedules

  Reply listSchedules(Context ctx) {
    Request.onlyParams(ctx, Set.of());
    return Reply.ok(Map.of("schedules", errand.schedules().stream().map(this::schedule).toList()));
  }

  Reply getSchedule(Context ctx) {
    Request.onlyParams(ctx, Set.of());
    return Reply.ok(schedule(existingSchedule(Request.name(ctx, "schedule"))));
  }

  private ScheduleInfo existingSchedule(String name) {
    return errand
        .schedule(name)
        .orElseThrow(
            () ->
                ApiException.notFound(
                    "schedule '" + name + "' does not exist; GET /api/schedules lists them"));
  }

  /** A schedule to define, checked completely (type allowed, payload maps, schedule parses). */
  private record Definition(RecurringJob job, Schedule schedule) {}

  private Definition definition(JsonNode node, boolean named) {
    Fields f = Fields.object(node, "", SCHEDULE_FIELDS);
    String name =
        named ? f.requiredText("name") : Optional.ofNullable(f.text("name")).orElse("validate");
    String type = allowedType(f.requiredText("type"), "type");
    String text = f.requiredText("schedule");
    JsonNode payload = f.raw("payload");
    String canonical =
        checkPayload(type, payload == null ? Json.MAPPER.createObjectNode() : payload, "payload");
    RecurringJob job;
    try {
      job = RecurringJob.ofJson(name, type, canonical, text);
      Integer lookAhead = f.integer("lookAhead");
      if (lookAhead != null) {
        job = job.lookAhead(lookAhead);
      }
      String misfire = f.text("misfire");
      if (misfire != null) {
        job = job.misfire(Misfire.parse(misfire));
      }
      Instant start = f.instant("startAt");
      if (start != null) {
        job = job.startAt(start);
      }
    } catch (IllegalArgumentException | DateTimeException e) {
      throw ApiException.badRequest("invalid_schedule", e.getMessage());
    }
    return new Definition(job, job.schedule());
  }

  Reply defineSchedule(Context ctx) {
    Request.onlyParams(ctx, Set.of());
    Definition d = definition(Request.json(ctx, config.maxBodyBytes()), true);
    boolean existed = errand.schedule(d.job().name()).isPresent();
    ScheduleInfo info;
    try {
      info = errand.defineSchedule(d.job());
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("invalid_schedule", e.getMessage());
    }
    return new Reply(existed ? 200 : 201, schedule(info));
  }

  Reply validateSchedule(Context ctx) {
    Request.onlyParams(ctx, Set.of("count"));
    int count = Request.intParam(ctx, "count", 5, 1, 100);
    Definition d = definition(Request.json(ctx, config.maxBodyBytes()), false);
    Instant from =
        d.job().start() != null ? d.job().start().minusNanos(1) : errand.clock().instant();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("valid", true);
    out.put("schedule", d.schedule().toString());
    out.put("kind", d.schedule().kind().name());
    out.put("zone", d.schedule().zone().getId());
    out.put("misfire", d.job().misfire().toString());
    out.put("lookAhead", d.job().lookAhead());
    out.put("next", d.schedule().occurrences(from, count));
    return Reply.ok(out);
  }

  Reply deleteSchedule(Context ctx) {
    Request.onlyParams(ctx, Set.of());
    String name = Request.name(ctx, "schedule");
    ScheduleInfo s = existingSchedule(name);
    if (s.builtIn()) {
      throw builtIn(name, "deleted");
    }
    try {
      int n = errand.deleteSchedule(name);
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("deleted", name);
      out.put("cancelledOccurrences", n);
      return Reply.ok(out);
    } catch (IllegalArgumentException e) {
      throw ApiException.notFound(e.getMessage());
    }
  }

  Reply pauseSchedule(Context ctx, boolean pause) {
    Request.onlyParams(ctx, Set.of());
    String name = Request.name(ctx, "schedule");
    existingSchedule(name);
    try {
      Map<String, Object> out = new LinkedHashMap<>();
      if (pause) {
        out.put("cancelledOccurrences", errand.pauseSchedule(name));
      } else {
        errand.resumeSchedule(name);
      }
      out.put("schedule", schedule(existingSchedule(name)));
      return Reply.ok(out);
    } catch (IllegalArgumentException e) {
      throw ApiException.notFound(e.getMessage());
    }
  }

  Reply triggerSchedule(Context ctx) {
    Request.onlyParams(ctx, Set.of());
    String name = Request.name(ctx, "schedule");
    existingSchedule(name);
    try {
      return Reply.created(enqueued(errand.triggerSchedule(name)));
    } catch (IllegalArgumentException e) {
      throw ApiException.notFound(e.getMessage());
    } catch (IllegalStateException e) {
      throw new ApiException(
          503, "engine_stopped", "the engine is not accepting jobs: " + e.getMessage());
    }
  }

  private static ApiException builtIn(String name, String verb) {
    return new ApiException(
        403,
        "built_in_schedule",
        "schedule '"
            + name
            + "' is built in and cannot"
            + " be "
            + verb
            + "; move it with Errand.Builder.maintenance(name, schedule)");
  }

  private Map<String, Object> schedule(ScheduleInfo s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", s.name());
    m.put("type", s.type());
    m.put("queue", s.queue());
    m.put("schedule", s.schedule().toString());
    m.put("kind", s.schedule().kind().name());
    m.put("zone", s.schedule().zone().getId());
    m.put("lookAhead", s.lookAhead());
    m.put("misfire", s.misfire().toString());
    m.put("paused", s.paused());
    m.put("builtIn", s.builtIn());
    m.put("payload", json.embed(s.payload()));
    m.put("nextFireTimes", s.nextFireTimes());
    m.put(
        "upcoming",
        s.upcoming().stream()
            .map(
                j -> {
                  Map<String, Object> o = new LinkedHashMap<>();
                  o.put("id", j.id());
                  o.put("state", j.state().name());
                  o.put("runAt", j.runAt());
                  return o;
                })
            .toList());
    m.put("materializedThrough", s.materializedThrough());
    m.put("createdAt", s.createdAt());
    m.put("updatedAt", s.updatedAt());
    return m;
  }

  // ------------------------------------------------------------------------------ queues, nodes,
  // stats

  Reply queues(Context ctx) {
    Request.onlyParams(ctx, Set.of());
    Map<String, Map<JobState, Long>> depth = errand.counts().byQueue();
    Set<String> paused = errand.pausedQueues();
    List<Node> nodes = errand.nodes();
    Set<String> names = new TreeSet<>(depth.keySet());
    names.addAll(paused);
    nodes.forEach(n -> names.addAll(n.queues().keySet()));
    List<Map<String, Object>> out = new ArrayList<>();
    for (String q : names) {
      Map<String, Object> m = new LinkedHashMap<>();
      Map<JobState, Long> d = depth.getOrDefault(q, Map.of());
      m.put("name", q);
      m.put("paused", paused.contains(q));
      m.put("depth", Stats.names(d));
      m.put(
          "waiting",
          d.entrySet().stream()
              .filter(e -> e.getKey().isWaiting())
              .mapToLong(Map.Entry::getValue)
              .sum());
      m.put("concurrency", nodes.stream().mapToInt(n -> n.queues().getOrDefault(q, 0)).sum());
      m.put(
          "nodes",
          nodes.stream().filter(n -> n.queues().containsKey(q)).map(Node::id).sorted().toList());
      out.add(m);
    }
    return Reply.ok(Map.of("queues", out));
  }

  Reply pauseQueue(Context ctx, boolean pause) {
    Request.onlyParams(ctx, Set.of());
    String name = Request.name(ctx, "queue");
    if (pause) {
      errand.pause(name);
    } else {
      errand.resume(name);
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("name", name);
    out.put("paused", errand.pausedQueues().contains(name));
    return Reply.ok(out);
  }

  Reply nodes(Context ctx) {
    Request.onlyParams(ctx, Set.of());
    Instant now = errand.store().now();
    Map<String, List<Long>> running = new TreeMap<>();
    Long cursor = null;
    int pages = 0;
    do {
      JobPage page =
          errand.jobs(
              JobQuery.all().states(JobState.RUNNING).limit(JobQuery.MAX_LIMIT).before(cursor));
      for (Job j : page.jobs()) {
        running.computeIfAbsent(String.valueOf(j.nodeId()), k -> new ArrayList<>()).add(j.id());
      }
      cursor = page.nextCursor();
    } while (cursor != null && ++pages < 10);
    List<Map<String, Object>> out = new ArrayList<>();
    for (Node n : errand.nodes()) {
      Map<String, Object> m = new LinkedHashMap<>();
      long age = Math.max(0, Duration.between(n.heartbeatAt(), now).toMillis());
      List<Long> ids = running.getOrDefault(n.id(), List.of());
      m.put("id", n.id());
      m.put("host", n.host());
      m.put("pid", n.pid());
      m.put("startedAt", n.startedAt());
      m.put("heartbeatAt", n.heartbeatAt());
      m.put("heartbeatAgeMs", age);
      m.put("stale", age > config.nodeStaleAfter().toMillis());
      m.put("queues", new TreeMap<>(n.queues()));
      m.put("runningJobs", ids.size());
      m.put("running", ids.subList(0, Math.min(100, ids.size())));
      out.add(m);
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("at", now);
    body.put("nodes", out);
    return Reply.ok(body);
  }

  Reply stats(Context ctx, Stats stats) {
    Request.onlyParams(ctx, Set.of("window"));
    Duration window = durationParam(ctx, "window", config.statsWindow(), "PT1H");
    return Reply.ok(stats.compute(window));
  }

  /** {@code GET /api/stats/series}: finished jobs per step over the window, oldest first. */
  Reply statsSeries(Context ctx, Stats stats) {
    Request.onlyParams(ctx, Set.of("window", "step"));
    Duration window = durationParam(ctx, "window", Duration.ofHours(1), "PT1H");
    Duration step = durationParam(ctx, "step", Duration.ofMinutes(1), "PT1M");
    if (window.toMillis() / step.toMillis() > Stats.MAX_POINTS) {
      throw ApiException.badRequest(
          "invalid_parameter",
          "window / step gives more than "
              + Stats.MAX_POINTS
              + " points ("
              + window
              + " / "
              + step
              + "); take a longer step or a shorter window");
    }
    return Reply.ok(stats.series(window, step));
  }

  /** An ISO-8601 duration parameter from PT1M to P30D, or {@code fallback} when absent. */
  private static Duration durationParam(
      Context ctx, String name, Duration fallback, String example) {
    String w = Request.param(ctx, name);
    if (w == null) {
      return fallback;
    }
    Duration d;
    try {
      d = Duration.parse(w);
    } catch (java.time.format.DateTimeParseException e) {
      d = null;
    }
    if (d == null
        || d.compareTo(Duration.ofMinutes(1)) < 0
        || d.compareTo(Duration.ofDays(30)) > 0) {
      throw ApiException.badRequest(
          "invalid_parameter",
          name
              + " must be an ISO-8601 duration from"
              + " PT1M to P30D, such as "
              + example
              + ", got '"
              + Fields.clip(w)
              + "'");
    }
    return d;
  }
}
