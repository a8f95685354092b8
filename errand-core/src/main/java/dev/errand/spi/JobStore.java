package dev.errand.spi;

import dev.errand.FinishedSeries;
import dev.errand.FinishedStats;
import dev.errand.Job;
import dev.errand.JobCounts;
import dev.errand.JobPage;
import dev.errand.JobQuery;
import dev.errand.JobState;
import dev.errand.Node;
import dev.errand.TransactionWork;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The one interface between the engine and storage. Every method is one atomic store operation and
 * safe to call from many threads and many processes at once; lease and expiry decisions use the
 * store's own clock ({@link #now()}), never the caller's. Implementations: {@code MemoryJobStore},
 * {@code SqliteJobStore}, {@code PostgresJobStore}; each passes the conformance suite {@code
 * JobStoreContract}.
 */
public interface JobStore extends AutoCloseable {

  /** Prepares storage (runs migrations when enabled). Idempotent. */
  void open();

  /** The store's clock: what leases, claims and rescues are judged by. */
  Instant now();

  /**
   * Stores jobs in one operation, in order. A job whose unique key matches a live job (not final)
   * is not stored; the live job's id is returned with {@code created = false}.
   */
  List<EnqueueResult> enqueue(List<NewJob> jobs);

  /**
   * Like {@link #enqueue(List)} but on the caller's connection and inside the caller's transaction:
   * the jobs exist if and only if that transaction commits. Never commits.
   *
   * @throws IllegalStateException if this store is not a JDBC store
   */
  List<EnqueueResult> enqueue(Connection connection, List<NewJob> jobs);

  /**
   * How many enqueue writes of one engine may be in flight at once; enqueues arriving while that
   * many are being written wait and are combined into the next write (group commit). The default,
   * 1, suits stores that serialize writes anyway; a store whose database merges the flushes of
   * concurrent commits may return more. Must be at least 1.
   */
  default int concurrentEnqueueWrites() {
    return 1;
  }

  /**
   * Claims up to {@code limit} due jobs of {@code queue}, highest priority first, then earliest
   * {@code runAt}, then lowest id; marks them RUNNING with {@code attempt + 1}, a new fence and a
   * lease of {@code lease} from now. Returns nothing while the queue is paused. Two claimers never
   * get the same job.
   */
  List<ClaimedJob> claim(String queue, int limit, String nodeId, Duration lease);

  /**
   * Writes attempt outcomes, each only if its job is still RUNNING under its fence. A RETRY or FAIL
   * appends its error stamped with the attempt's start (the {@code startedAt} this store recorded
   * at the claim) and end (this store's clock now), so every attempt's duration is measured on the
   * store's clock; a SUCCEEDED outcome sets {@code finishedAt} from the same clock.
   *
   * @return ids whose write was rejected (lease lost: rescued, cancelled or re-claimed)
   */
  Set<Long> complete(List<Completion> completions);

  /**
   * Runs {@code work} and marks job {@code id} SUCCEEDED in one transaction, with the result {@code
   * result} supplies once {@code work} has returned (so a result the work sets is stored); rolls
   * back and throws {@link dev.errand.LeaseLostException} if the job is no longer RUNNING under
   * {@code fence}.
   *
   * @throws IllegalStateException if this store has no database transactions
   * @throws Exception whatever {@code work} threw; the transaction was rolled back
   */
  <R> R completeInTransaction(long id, long fence, TransactionWork<R> work, Supplier<String> result)
      throws Exception;

  /**
   * {@link #completeInTransaction(long, long, TransactionWork, Supplier)} with the result fixed
   * before the work runs.
   *
   * @throws IllegalArgumentException if {@code success} is not a SUCCEEDED completion
   */
  default <R> R completeInTransaction(Completion success, TransactionWork<R> work)
      throws Exception {
    Objects.requireNonNull(success, "success");
    if (success.outcome() != Completion.Outcome.SUCCEEDED) {
      throw new IllegalArgumentException(
          "completeInTransaction writes a SUCCEEDED outcome, got "
              + success.outcome()
              + " for job "
              + success.id());
    }
    return completeInTransaction(success.id(), success.fence(), work, success::result);
  }

  /**
   * Extends the leases of RUNNING jobs to {@code lease} from now, storing progress where given. A
   * store with row locks should not wait for a row another transaction holds (an outcome being
   * written, a handler's {@link #completeInTransaction}): it may leave that lease as it is for the
   * next heartbeat, and must then not report it lost.
   *
   * @return ids whose lease is no longer held under that fence
   */
  Set<Long> heartbeat(Collection<LeaseRef> leases, Duration lease);

  /**
   * Finds RUNNING jobs whose lease expired (by the store clock) and spends their attempt: they go
   * to RETRYING due at once, or to FAILED when no attempts are left or when they have now been
   * rescued {@code quarantineAfter} times. Each gets an error of kind {@code rescued} (or {@code
   * quarantined}) that started at the job's {@code startedAt} and ended now. At most {@code limit}
   * jobs per call.
   */
  List<Rescue> rescueExpired(int quarantineAfter, int limit);

  /** The job with this id, if it exists. */
  Optional<Job> find(long id);

  /** The jobs with these ids that exist, in no particular order. */
  List<Job> findAll(Collection<Long> ids);

  /** One page of jobs matching {@code query}, newest first. */
  JobPage list(JobQuery query);

  /** Counts of all jobs by queue, type and state. */
  JobCounts counts();

  /**
   * Counts of jobs in waiting and running states (SCHEDULED, QUEUED, RUNNING, RETRYING) only: cheap
   * enough to call every few seconds for the queue-depth gauges.
   */
  JobCounts liveCounts();

  /** FAILED or CANCELLED → QUEUED now, with one more attempt allowed if none is left. */
  boolean retry(long id);

  /** Any non-final state → CANCELLED; a running worker's later writes are rejected. */
  boolean cancel(long id);

  /** Deletes a job that is not RUNNING. */
  boolean delete(long id);

  /**
   * Deletes up to {@code limit} jobs in final state {@code state} finished before {@code before}.
   */
  int prune(JobState state, Instant before, int limit);

  /** Pauses or resumes {@code queue} for every node: claims return nothing while paused. */
  void setPaused(String queue, boolean paused);

  /** Names of paused queues. */
  Set<String> pausedQueues();

  /** Registers a node or refreshes its heartbeat. */
  void heartbeatNode(Node node);

  /** Removes a node's registry entry (it stopped). */
  void removeNode(String nodeId);

  /** Registered nodes. */
  List<Node> nodes();

  /** Removes nodes without a heartbeat for {@code staleAfter}; returns how many. */
  int pruneNodes(Duration staleAfter);

  /**
   * Tells {@code listener} (on a store thread) the queue names that got new due jobs from another
   * process. Stores without a cross-process channel return a no-op subscription; the engine polls.
   */
  default AutoCloseable subscribe(Consumer<String> listener) {
    return () -> {};
  }

  /**
   * Whether {@link #subscribe}'s listener runs on a thread of the store's own, which the engine may
   * use to claim (call this store) before the listener returns. Then a notification that finds a
   * queue idle is claimed on that thread, one thread hand-off sooner. False by default: a store
   * that calls its listener on a caller's thread (SQLite: the thread that commits) must not have
   * the engine claim there. A store that answers true must still deliver later notifications after
   * a slow or failed claim.
   */
  default boolean notifiesOnOwnThread() {
    return false;
  }

  /**
   * Counts the jobs that finished (SUCCEEDED or FAILED) per step (see {@link FinishedSeries} for
   * the steps' bounds), over every such job the store holds. SQL stores count in one grouped query
   * over the window's rows; this default pages through {@link #list} once and suits small in-memory
   * stores only.
   *
   * @throws IllegalArgumentException as {@link FinishedSeries#check}
   */
  default FinishedSeries finishedSeries(Instant first, Duration step, int count, Instant end) {
    FinishedSeries.check(first, step, count, end);
    return FinishedSeries.of(first, step, count, end, finishedJobs());
  }

  /**
   * Counts the jobs that finished (SUCCEEDED or FAILED) with {@code finishedAt} in {@code [from,
   * to]}, by queue and type, over every such job the store holds. SQL stores aggregate in the
   * database (an index on state and finish time keeps it to the window's rows); this default pages
   * through {@link #list} and suits small in-memory stores only.
   */
  default FinishedStats finishedStats(Instant from, Instant to) {
    return FinishedStats.of(from, to, finishedJobs());
  }

  /** Every SUCCEEDED and FAILED job, paged through {@link #list}: for the in-memory defaults. */
  private List<Job> finishedJobs() {
    List<Job> all = new ArrayList<>();
    JobQuery q =
        JobQuery.all().states(JobState.SUCCEEDED, JobState.FAILED).limit(JobQuery.MAX_LIMIT);
    Long cursor = null;
    do {
      JobPage page = list(q.before(cursor));
      all.addAll(page.jobs());
      cursor = page.nextCursor();
    } while (cursor != null);
    return all;
  }

  /**
   * Whether {@link #publishEvents} reaches the engines on other nodes of this store's database;
   * false for stores without a cross-process channel (then an engine's cluster subscribers see its
   * own events only).
   */
  default boolean supportsClusterEvents() {
    return false;
  }

  /**
   * How many {@link #subscribeEvents} listeners this database has now, the calling engine's own
   * included, or -1 when the store cannot tell (then engines always publish). Called for every job
   * event an engine sees, so it must be cheap: a store that asks its database answers from a value
   * it refreshes in the background (it may then be a second or so old). Engines publish only while
   * a listener other than their own exists, so a lone node spends nothing on sharing its events.
   */
  default int eventListeners() {
    return -1;
  }

  /** The largest message {@link #publishEvents} takes, in UTF-8 bytes. */
  default int maxEventMessageBytes() {
    return 7_900;
  }

  /**
   * Sends {@code messages} (opaque to the store, each at most {@link #maxEventMessageBytes}) to
   * every {@link #subscribeEvents} listener on this database, this process's included. Best effort:
   * a listener that is not connected when a message is sent never gets it. Called only when {@link
   * #supportsClusterEvents} is true.
   */
  default void publishEvents(List<String> messages) {
    throw new UnsupportedOperationException("this store has no cross-node event channel");
  }

  /**
   * Tells {@code listener} (on a store thread, in the order sent by each sender) every message
   * published with {@link #publishEvents} on this database. Stores without a cross-process channel
   * return a no-op subscription.
   */
  default AutoCloseable subscribeEvents(Consumer<String> listener) {
    return () -> {};
  }

  /**
   * The stored schedules, in the same storage as the jobs (their occurrences are jobs of this
   * store). The same instance on every call.
   */
  ScheduleStore schedules();

  /** Whether {@link #enqueue(Connection, List)} and {@link #completeInTransaction} work. */
  default boolean supportsTransactions() {
    return false;
  }

  /** Releases the store's own resources (not a caller's DataSource). */
  @Override
  void close();
}
