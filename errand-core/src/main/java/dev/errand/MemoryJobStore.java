package dev.errand;

import dev.errand.spi.ClaimedJob;
import dev.errand.spi.Completion;
import dev.errand.spi.EnqueueResult;
import dev.errand.spi.JobStore;
import dev.errand.spi.LeaseRef;
import dev.errand.spi.Materialization;
import dev.errand.spi.MaterializeResult;
import dev.errand.spi.NewJob;
import dev.errand.spi.Rescue;
import dev.errand.spi.ScheduleStore;
import dev.errand.spi.ScheduleWrite;
import dev.errand.spi.StoredSchedule;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * A job store in this JVM's memory: for tests and for work that may be lost with the process. One
 * lock guards everything; every operation is atomic. Has no database transactions. Engines that
 * share one instance share its cluster event channel ({@link #publishEvents}), as engines on one
 * database do.
 */
public final class MemoryJobStore implements JobStore {
  private static final Comparator<Row> CLAIM_ORDER =
      Comparator.<Row>comparingInt(r -> -r.priority)
          .thenComparing(r -> r.runAt)
          .thenComparingLong(r -> r.id);

  private final Clock clock;
  private final Object lock = new Object();
  private final TreeMap<Long, Row> jobs = new TreeMap<>();
  private final Map<String, Long> liveUnique = new HashMap<>();
  private final Set<String> paused = new HashSet<>();
  private final Map<String, Node> nodes = new LinkedHashMap<>();
  private final TreeMap<String, StoredSchedule> schedules = new TreeMap<>();
  private long nextId = 1;

  private MemoryJobStore(Clock clock) {
    this.clock = clock;
  }

  /** A store on the system UTC clock. */
  public static MemoryJobStore create() {
    return new MemoryJobStore(Clock.systemUTC());
  }

  /** A store whose leases and due times follow {@code clock}. */
  public static MemoryJobStore create(Clock clock) {
    return new MemoryJobStore(java.util.Objects.requireNonNull(clock, "clock"));
  }

  private static final class Row {
    long id;
    String type;
    String queue;
    String payload;
    JobState state;
    int priority;
    int attempt;
    int maxAttempts;
    Instant runAt;
    String uniqueKey;
    Instant leaseUntil;
    String nodeId;
    Instant createdAt;
    Instant startedAt;
    Instant finishedAt;
    List<AttemptError> errors = new ArrayList<>();
    Integer progress;
    String result;
    String scheduleId;
    Set<String> tags;
    int rescues;
    long fence;

    Job toJob() {
      String last = errors.isEmpty() ? null : errors.get(errors.size() - 1).message();
      return new Job(
          id,
          type,
          queue,
          payload,
          state,
          priority,
          attempt,
          maxAttempts,
          runAt,
          uniqueKey,
          leaseUntil,
          nodeId,
          createdAt,
          startedAt,
          finishedAt,
          last,
          errors,
          progress,
          result,
          scheduleId,
          tags,
          rescues);
    }
  }

  @Override
  public void open() {}

  @Override
  public Instant now() {
    return clock.instant();
  }

  @Override
  public List<EnqueueResult> enqueue(List<NewJob> newJobs) {
    synchronized (lock) {
      Instant now = clock.instant();
      List<EnqueueResult> out = new ArrayList<>(newJobs.size());
      for (NewJob n : newJobs) {
        if (n.uniqueKey() != null) {
          Long existing = liveUnique.get(n.uniqueKey());
          if (existing != null) {
            out.add(new EnqueueResult(existing, false));
            continue;
          }
        }
        Row r = new Row();
        r.id = nextId++;
        r.type = n.type();
        r.queue = n.queue();
        r.payload = n.payload();
        r.state = n.runAt().isAfter(now) ? JobState.SCHEDULED : JobState.QUEUED;
        r.priority = n.priority();
        r.maxAttempts = n.maxAttempts();
        r.runAt = n.runAt();
        r.uniqueKey = n.uniqueKey();
        r.createdAt = now;
        r.scheduleId = n.scheduleId();
        r.tags = n.tags();
        jobs.put(r.id, r);
        if (r.uniqueKey != null) {
          liveUnique.put(r.uniqueKey, r.id);
        }
        out.add(new EnqueueResult(r.id, true));
      }
      return out;
    }
  }

  @Override
  public List<EnqueueResult> enqueue(Connection connection, List<NewJob> jobs) {
    throw new IllegalStateException(
        "MemoryJobStore has no database transactions; use SqliteJobStore or PostgresJobStore for"
            + " transactional enqueue");
  }

  @Override
  public List<ClaimedJob> claim(String queue, int limit, String nodeId, Duration lease) {
    synchronized (lock) {
      if (paused.contains(queue)) {
        return List.of();
      }
      Instant now = clock.instant();
      List<Row> due = new ArrayList<>();
      for (Row r : jobs.values()) {
        if (r.queue.equals(queue) && r.state.isWaiting() && !r.runAt.isAfter(now)) {
          due.add(r);
        }
      }
      due.sort(CLAIM_ORDER);
      List<ClaimedJob> out = new ArrayList<>();
      for (Row r : due.subList(0, Math.min(limit, due.size()))) {
        r.state = JobState.RUNNING;
        r.attempt++;
        r.fence++;
        r.leaseUntil = now.plus(lease);
        r.nodeId = nodeId;
        r.startedAt = now;
        out.add(new ClaimedJob(r.toJob(), r.fence));
      }
      return out;
    }
  }

  private Row running(long id, long fence) {
    Row r = jobs.get(id);
    return r != null && r.state == JobState.RUNNING && r.fence == fence ? r : null;
  }

  @Override
  public Set<Long> complete(List<Completion> completions) {
    synchronized (lock) {
      Set<Long> rejected = new HashSet<>();
      Instant now = clock.instant();
      for (Completion c : completions) {
        Row r = running(c.id(), c.fence());
        if (r == null) {
          rejected.add(c.id());
          continue;
        }
        apply(r, c, now);
      }
      return rejected;
    }
  }

  private void apply(Row r, Completion c, Instant now) {
    r.leaseUntil = null;
    switch (c.outcome()) {
      case SUCCEEDED -> {
        r.state = JobState.SUCCEEDED;
        r.finishedAt = now;
        r.result = c.result();
      }
      case RETRY -> {
        r.state = JobState.RETRYING;
        r.runAt = c.runAt();
        r.errors.add(c.error().recorded(r.startedAt, now));
      }
      case FAIL -> {
        r.state = JobState.FAILED;
        r.finishedAt = now;
        r.errors.add(c.error().recorded(r.startedAt, now));
      }
      case SNOOZE -> {
        r.state = JobState.SCHEDULED;
        r.runAt = c.runAt();
        r.attempt--;
      }
      case RELEASE -> {
        r.state = JobState.QUEUED;
        r.runAt = now;
        r.attempt--;
      }
    }
    if (r.state.isFinal() && r.uniqueKey != null) {
      liveUnique.remove(r.uniqueKey, r.id);
    }
  }

  @Override
  public <R> R completeInTransaction(
      long id,
      long fence,
      dev.errand.TransactionWork<R> work,
      java.util.function.Supplier<String> result) {
    throw new IllegalStateException(
        "MemoryJobStore has no database transactions; ctx.inTransaction needs SqliteJobStore or"
            + " PostgresJobStore");
  }

  @Override
  public Set<Long> heartbeat(Collection<LeaseRef> leases, Duration lease) {
    synchronized (lock) {
      Set<Long> lost = new HashSet<>();
      Instant until = clock.instant().plus(lease);
      for (LeaseRef l : leases) {
        Row r = running(l.id(), l.fence());
        if (r == null) {
          lost.add(l.id());
        } else {
          r.leaseUntil = until;
          if (l.progress() != null) {
            r.progress = l.progress();
          }
        }
      }
      return lost;
    }
  }

  @Override
  public List<Rescue> rescueExpired(int quarantineAfter, int limit) {
    synchronized (lock) {
      Instant now = clock.instant();
      List<Rescue> out = new ArrayList<>();
      for (Row r : jobs.values()) {
        if (out.size() >= limit) {
          break;
        }
        if (r.state != JobState.RUNNING || !r.leaseUntil.isBefore(now)) {
          continue;
        }
        r.rescues++;
        boolean quarantined = r.rescues >= quarantineAfter;
        boolean exhausted = r.attempt >= r.maxAttempts;
        String node = r.nodeId;
        r.leaseUntil = null;
        if (quarantined || exhausted) {
          r.state = JobState.FAILED;
          r.finishedAt = now;
          r.errors.add(rescueError(r, now, quarantined, quarantineAfter));
          if (r.uniqueKey != null) {
            liveUnique.remove(r.uniqueKey, r.id);
          }
        } else {
          r.state = JobState.RETRYING;
          r.runAt = now;
          r.errors.add(rescueError(r, now, false, quarantineAfter));
        }
        out.add(new Rescue(r.id, r.type, r.queue, r.attempt, r.state, node, quarantined));
      }
      return out;
    }
  }

  /** The error a rescue records; shared wording with the JDBC stores. */
  static AttemptError rescueError(Row r, Instant now, boolean quarantined, int quarantineAfter) {
    return quarantined
        ? new AttemptError(
            r.attempt,
            r.startedAt,
            now,
            "quarantined",
            "quarantined: the lease expired "
                + r.rescues
                + " times (limit "
                + quarantineAfter
                + "), last on node "
                + r.nodeId,
            "")
        : new AttemptError(
            r.attempt,
            r.startedAt,
            now,
            "rescued",
            "lease expired on node " + r.nodeId + " (node presumed dead)",
            "");
  }

  @Override
  public Optional<Job> find(long id) {
    synchronized (lock) {
      return Optional.ofNullable(jobs.get(id)).map(Row::toJob);
    }
  }

  @Override
  public List<Job> findAll(Collection<Long> ids) {
    synchronized (lock) {
      List<Job> out = new ArrayList<>();
      for (Long id : ids) {
        Row r = jobs.get(id);
        if (r != null) {
          out.add(r.toJob());
        }
      }
      return out;
    }
  }

  @Override
  public JobPage list(JobQuery q) {
    synchronized (lock) {
      List<Job> out = new ArrayList<>();
      var view =
          q.before() == null
              ? jobs.descendingMap()
              : jobs.headMap(q.before(), false).descendingMap();
      boolean more = false;
      for (Row r : view.values()) {
        if ((q.states().isEmpty() || q.states().contains(r.state))
            && (q.queue() == null || q.queue().equals(r.queue))
            && (q.type() == null || q.type().equals(r.type))
            && (q.tag() == null || r.tags.contains(q.tag()))
            && (q.createdFrom() == null || !r.createdAt.isBefore(q.createdFrom()))
            && (q.createdBefore() == null || r.createdAt.isBefore(q.createdBefore()))) {
          if (out.size() == q.limit()) {
            more = true;
            break;
          }
          out.add(r.toJob());
        }
      }
      return new JobPage(out, more ? out.get(out.size() - 1).id() : null);
    }
  }

  @Override
  public JobCounts counts() {
    return countWhere(false);
  }

  @Override
  public JobCounts liveCounts() {
    return countWhere(true);
  }

  private JobCounts countWhere(boolean liveOnly) {
    synchronized (lock) {
      Map<List<Object>, Long> m = new LinkedHashMap<>();
      for (Row r : jobs.values()) {
        if (!liveOnly || !r.state.isFinal()) {
          m.merge(List.of(r.queue, r.type, r.state), 1L, Long::sum);
        }
      }
      List<JobCounts.Row> rows = new ArrayList<>();
      m.forEach(
          (k, v) ->
              rows.add(
                  new JobCounts.Row((String) k.get(0), (String) k.get(1), (JobState) k.get(2), v)));
      return new JobCounts(rows);
    }
  }

  @Override
  public boolean retry(long id) {
    synchronized (lock) {
      Row r = jobs.get(id);
      if (r == null || (r.state != JobState.FAILED && r.state != JobState.CANCELLED)) {
        return false;
      }
      if (r.uniqueKey != null && liveUnique.containsKey(r.uniqueKey)) {
        return false;
      }
      r.state = JobState.QUEUED;
      r.runAt = clock.instant();
      r.finishedAt = null;
      r.maxAttempts = Math.max(r.maxAttempts, r.attempt + 1);
      if (r.uniqueKey != null) {
        liveUnique.put(r.uniqueKey, r.id);
      }
      return true;
    }
  }

  @Override
  public boolean cancel(long id) {
    synchronized (lock) {
      Row r = jobs.get(id);
      if (r == null || r.state.isFinal()) {
        return false;
      }
      r.state = JobState.CANCELLED;
      r.finishedAt = clock.instant();
      r.leaseUntil = null;
      if (r.uniqueKey != null) {
        liveUnique.remove(r.uniqueKey, r.id);
      }
      return true;
    }
  }

  @Override
  public boolean delete(long id) {
    synchronized (lock) {
      Row r = jobs.get(id);
      if (r == null || r.state == JobState.RUNNING) {
        return false;
      }
      jobs.remove(id);
      if (r.uniqueKey != null) {
        liveUnique.remove(r.uniqueKey, r.id);
      }
      return true;
    }
  }

  @Override
  public int prune(JobState state, Instant before, int limit) {
    synchronized (lock) {
      int n = 0;
      for (Iterator<Row> it = jobs.values().iterator(); it.hasNext() && n < limit; ) {
        Row r = it.next();
        if (r.state == state && r.finishedAt != null && r.finishedAt.isBefore(before)) {
          it.remove();
          n++;
        }
      }
      return n;
    }
  }

  @Override
  public void setPaused(String queue, boolean pause) {
    synchronized (lock) {
      if (pause) {
        paused.add(queue);
      } else {
        paused.remove(queue);
      }
    }
  }

  @Override
  public Set<String> pausedQueues() {
    synchronized (lock) {
      return Set.copyOf(paused);
    }
  }

  @Override
  public void heartbeatNode(Node node) {
    synchronized (lock) {
      nodes.put(
          node.id(),
          new Node(
              node.id(),
              node.host(),
              node.pid(),
              node.startedAt(),
              clock.instant(),
              node.queues()));
    }
  }

  @Override
  public void removeNode(String nodeId) {
    synchronized (lock) {
      nodes.remove(nodeId);
    }
  }

  @Override
  public List<Node> nodes() {
    synchronized (lock) {
      return List.copyOf(nodes.values());
    }
  }

  @Override
  public int pruneNodes(Duration staleAfter) {
    synchronized (lock) {
      Instant cutoff = clock.instant().minus(staleAfter);
      int before = nodes.size();
      nodes.values().removeIf(n -> n.heartbeatAt().isBefore(cutoff));
      return before - nodes.size();
    }
  }

  @Override
  public void close() {}

  private final List<Consumer<String>> eventListeners = new CopyOnWriteArrayList<>();

  /** True: every engine on this instance hears the others' events. */
  @Override
  public boolean supportsClusterEvents() {
    return true;
  }

  /** The listeners on this instance, exactly. */
  @Override
  public int eventListeners() {
    return eventListeners.size();
  }

  /** Hands each message to every {@link #subscribeEvents} listener, on the caller's thread. */
  @Override
  public void publishEvents(List<String> messages) {
    for (String m : messages) {
      for (Consumer<String> l : eventListeners) {
        l.accept(m);
      }
    }
  }

  @Override
  public AutoCloseable subscribeEvents(Consumer<String> listener) {
    Objects.requireNonNull(listener, "listener");
    eventListeners.add(listener);
    return () -> eventListeners.remove(listener);
  }

  // ------------------------------------------------------------------------------ schedules

  @Override
  public ScheduleStore schedules() {
    return scheduleStore;
  }

  /** Waiting occurrences of {@code name} that match {@code filter}, cancelled; under the lock. */
  private int cancelOccurrences(String name, java.util.function.Predicate<Row> filter) {
    Instant now = clock.instant();
    int n = 0;
    for (Row r : jobs.values()) {
      if (name.equals(r.scheduleId) && r.state.isWaiting() && filter.test(r)) {
        r.state = JobState.CANCELLED;
        r.finishedAt = now;
        r.leaseUntil = null;
        if (r.uniqueKey != null) {
          liveUnique.remove(r.uniqueKey, r.id);
        }
        n++;
      }
    }
    return n;
  }

  private static Instant earlier(Instant a, Instant b) {
    return a.isBefore(b) ? a : b;
  }

  private static Instant later(Instant a, Instant b) {
    return a.isAfter(b) ? a : b;
  }

  private static StoredSchedule withState(
      StoredSchedule s, boolean paused, Instant cursor, Instant refillAt, Instant updatedAt) {
    return new StoredSchedule(
        s.name(),
        s.type(),
        s.queue(),
        s.priority(),
        s.maxAttempts(),
        s.payload(),
        s.schedule(),
        s.lookAhead(),
        s.misfire(),
        paused,
        cursor,
        refillAt,
        s.createdAt(),
        updatedAt);
  }

  private final ScheduleStore scheduleStore =
      new ScheduleStore() {
        @Override
        public ScheduleWrite upsert(StoredSchedule s) {
          synchronized (lock) {
            Instant now = clock.instant();
            StoredSchedule old = schedules.get(s.name());
            if (old == null) {
              schedules.put(
                  s.name(),
                  new StoredSchedule(
                      s.name(),
                      s.type(),
                      s.queue(),
                      s.priority(),
                      s.maxAttempts(),
                      s.payload(),
                      s.schedule(),
                      s.lookAhead(),
                      s.misfire(),
                      s.paused(),
                      s.materializedThrough(),
                      null,
                      now,
                      now));
              return new ScheduleWrite(true, false, 0);
            }
            if (old.sameDefinition(s)) {
              return new ScheduleWrite(false, false, 0);
            }
            int cancelled = cancelOccurrences(s.name(), r -> r.runAt.isAfter(now));
            schedules.put(
                s.name(),
                new StoredSchedule(
                    s.name(),
                    s.type(),
                    s.queue(),
                    s.priority(),
                    s.maxAttempts(),
                    s.payload(),
                    s.schedule(),
                    s.lookAhead(),
                    s.misfire(),
                    old.paused(),
                    earlier(old.materializedThrough(), now),
                    null,
                    old.createdAt(),
                    now));
            return new ScheduleWrite(false, true, cancelled);
          }
        }

        @Override
        public Optional<StoredSchedule> find(String name) {
          synchronized (lock) {
            return Optional.ofNullable(schedules.get(name));
          }
        }

        @Override
        public List<StoredSchedule> list() {
          synchronized (lock) {
            return List.copyOf(schedules.values());
          }
        }

        @Override
        public List<StoredSchedule> due(Instant now, String afterName, int limit) {
          synchronized (lock) {
            List<StoredSchedule> out = new ArrayList<>();
            for (StoredSchedule s : schedules.tailMap(afterName, false).values()) {
              if (out.size() == limit) {
                break;
              }
              if (!s.paused() && (s.refillAt() == null || !s.refillAt().isAfter(now))) {
                out.add(s);
              }
            }
            return out;
          }
        }

        @Override
        public List<MaterializeResult> materialize(List<Materialization> steps) {
          synchronized (lock) {
            List<MaterializeResult> out = new ArrayList<>(steps.size());
            for (Materialization m : steps) {
              StoredSchedule s = schedules.get(m.name());
              if (s == null || s.paused() || !s.materializedThrough().equals(m.expectedCursor())) {
                out.add(MaterializeResult.NOT_APPLIED);
                continue;
              }
              schedules.put(
                  m.name(), withState(s, false, m.newCursor(), m.refillAt(), s.updatedAt()));
              Set<Long> ids = Set.copyOf(m.cancel());
              int cancelled = cancelOccurrences(m.name(), r -> ids.contains(r.id));
              out.add(new MaterializeResult(true, enqueue(m.create()), cancelled));
            }
            return out;
          }
        }

        @Override
        public java.util.OptionalInt delete(String name) {
          synchronized (lock) {
            if (schedules.remove(name) == null) {
              return java.util.OptionalInt.empty();
            }
            return java.util.OptionalInt.of(cancelOccurrences(name, r -> true));
          }
        }

        @Override
        public java.util.OptionalInt setPaused(String name, boolean pause) {
          synchronized (lock) {
            StoredSchedule s = schedules.get(name);
            if (s == null) {
              return java.util.OptionalInt.empty();
            }
            if (s.paused() == pause) {
              return java.util.OptionalInt.of(0);
            }
            Instant now = clock.instant();
            int cancelled = pause ? cancelOccurrences(name, r -> r.runAt.isAfter(now)) : 0;
            Instant cursor =
                pause ? earlier(s.materializedThrough(), now) : later(s.materializedThrough(), now);
            schedules.put(name, withState(s, pause, cursor, null, s.updatedAt()));
            return java.util.OptionalInt.of(cancelled);
          }
        }

        @Override
        public List<Job> occurrences(String name, int limit) {
          synchronized (lock) {
            List<Row> live = new ArrayList<>();
            for (Row r : jobs.values()) {
              if (name.equals(r.scheduleId) && !r.state.isFinal()) {
                live.add(r);
              }
            }
            live.sort(
                Comparator.<Row, Instant>comparing(r -> r.runAt).thenComparingLong(r -> r.id));
            return live.stream().limit(limit).map(Row::toJob).toList();
          }
        }

        @Override
        public int cancelOrphans(int limit) {
          synchronized (lock) {
            Instant now = clock.instant();
            int n = 0;
            for (Row r : jobs.values()) {
              if (n == limit) {
                break;
              }
              if (r.scheduleId != null
                  && r.state.isWaiting()
                  && !schedules.containsKey(r.scheduleId)) {
                r.state = JobState.CANCELLED;
                r.finishedAt = now;
                if (r.uniqueKey != null) {
                  liveUnique.remove(r.uniqueKey, r.id);
                }
                n++;
              }
            }
            return n;
          }
        }
      };
}
