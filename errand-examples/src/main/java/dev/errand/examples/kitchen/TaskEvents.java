package dev.errand.examples.kitchen;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.errand.Errand;
import dev.errand.Job;
import dev.errand.JobEvent;
import dev.errand.JobEventListener;
import dev.errand.examples.Json;
import dev.errand.examples.kitchen.Stock.Item;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The live event stream of the page ({@code GET /api/events}): Errand's events of kitchen jobs as
 * Server-Sent Events {@code task}, each with the task's 004 status and, for the snackbar, a message
 * that says what happened. A stream starts with {@code ready}; the page reloads its lists then, so
 * a reconnect after a missed event shows the truth.
 *
 * <p>Threads: {@link #onEvent} runs on the engine's event thread and only queues the event (it
 * never blocks: a stream whose queue is full is closed, and the browser reconnects); each stream is
 * written by the request thread serving it, which also reads the job for the message.
 */
final class TaskEvents implements JobEventListener {
  private static final JobEvent CLOSE = new JobEvent(null, 0, "", "", 0, null, null, null);
  private static final int CLIENT_BUFFER = 256;
  private static final Duration KEEP_ALIVE = Duration.ofSeconds(15);

  private final Errand errand;
  private final KitchenTasks tasks;
  private final ObjectMapper mapper;
  private final Supplier<Map<String, Item>> items;
  private final Object lock = new Object();
  private final Set<BlockingQueue<JobEvent>> clients = new HashSet<>();
  private boolean closed;

  TaskEvents(
      Errand errand, KitchenTasks tasks, ObjectMapper mapper, Supplier<Map<String, Item>> items) {
    this.errand = errand;
    this.tasks = tasks;
    this.mapper = mapper;
    this.items = items;
  }

  @Override
  public void onEvent(JobEvent e) {
    if (!KitchenJobs.isKitchenType(e.type())) {
      return;
    }
    synchronized (lock) {
      for (BlockingQueue<JobEvent> q : clients) {
        if (!q.offer(e)) {
          q.clear();
          q.offer(CLOSE); // too far behind: close it, the browser reconnects and reloads
        }
      }
    }
  }

  /** Streams open now. */
  int clientCount() {
    synchronized (lock) {
      return clients.size();
    }
  }

  /** Ends every stream; later ones end at once. */
  void close() {
    synchronized (lock) {
      closed = true;
      for (BlockingQueue<JobEvent> q : clients) {
        q.clear();
        q.offer(CLOSE);
      }
    }
  }

  /** Serves one stream until the client goes away or {@link #close()}. */
  void serve(OutputStream out) throws IOException, InterruptedException {
    BlockingQueue<JobEvent> queue = new ArrayBlockingQueue<>(CLIENT_BUFFER);
    synchronized (lock) {
      if (closed) {
        return;
      }
      clients.add(queue);
    }
    try {
      write(out, "retry: 2000\nevent: ready\ndata: {}\n\n");
      while (true) {
        JobEvent e = queue.poll(KEEP_ALIVE.toMillis(), TimeUnit.MILLISECONDS);
        if (e == CLOSE) {
          return;
        }
        write(out, e == null ? ": keep-alive\n\n" : "event: task\ndata: " + data(e) + "\n\n");
      }
    } finally {
      synchronized (lock) {
        clients.remove(queue);
      }
    }
  }

  private String data(JobEvent e) throws JsonProcessingException {
    Map<String, Item> catalog = items.get();
    Job job = errand.job(e.jobId()).orElse(null);
    String description = job == null ? "task " + e.jobId() : tasks.description(job, catalog);
    String message =
        switch (e.kind()) {
          case ENQUEUED -> description + ": queued";
          case STARTED -> description + ": processing (attempt " + e.attempt() + ")";
          case SUCCEEDED -> tasks.outcome(e.jobId(), catalog);
          case RETRY_SCHEDULED ->
              description
                  + ": attempt "
                  + e.attempt()
                  + " failed, retrying"
                  + (job == null ? "" : " at " + job.runAt())
                  + ": "
                  + KitchenTasks.readable(e.error());
          case FAILED -> description + " failed: " + KitchenTasks.readable(e.error());
          case RETRIED -> description + ": retried by hand";
          case CANCELLED -> description + ": cancelled";
          default -> description + ": " + e.kind().name().toLowerCase().replace('_', ' ');
        };
    return mapper.writeValueAsString(
        Json.object(
            "event",
            e.kind().name().toLowerCase(),
            "id",
            e.jobId(),
            "type",
            KitchenJobs.taskType(e.type()),
            "status",
            job == null ? null : KitchenTasks.status(job, errand.clock().instant()),
            "attempt",
            e.attempt(),
            "message",
            message,
            "error",
            KitchenTasks.readable(e.error())));
  }

  private static void write(OutputStream out, String s) throws IOException {
    out.write(s.getBytes(StandardCharsets.UTF_8));
    out.flush();
  }
}
