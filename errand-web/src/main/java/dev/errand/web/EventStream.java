package dev.errand.web;

import dev.errand.JobEvent;
import dev.errand.JobEventListener;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Job events as Server-Sent Events, with a bounded replay buffer for {@code Last-Event-ID}
 * reconnects.
 *
 * <p>Every event this engine sees gets an id {@code <stream>-<sequence>}, where {@code <stream>} is
 * random per {@link ErrandWeb} instance. The last {@link WebConfig#sseReplay()} events are kept. A
 * client that reconnects with an id still in the buffer gets every later event, none twice and none
 * missing. A client whose id is older than the buffer, or from another stream (the server
 * restarted), first gets a {@code reset} event telling it to reload state over the REST API, then
 * live events. A client that stops reading is closed once {@link WebConfig#sseClientBuffer()}
 * events are queued for it; it reconnects and resumes from the buffer. The engine's event thread
 * never blocks on a client.
 *
 * <p>Threads: {@link #onEvent} runs on the engine's event thread; each stream is written by the
 * request thread that serves it; state shared between them is guarded by {@code lock}.
 */
final class EventStream implements JobEventListener {
  private static final Entry CLOSE = new Entry(-1, null, null);

  record Entry(long seq, JobEvent event, String data) {}

  /** One connected stream: its filter and its bounded queue. */
  private static final class Client {
    final Long jobId;
    final BlockingQueue<Entry> queue;
    volatile boolean overflowed;

    Client(Long jobId, int capacity) {
      this.jobId = jobId;
      this.queue = new ArrayBlockingQueue<>(capacity);
    }

    boolean wants(Entry e) {
      return jobId == null || jobId == e.event().jobId();
    }
  }

  private final WebConfig config;
  private final String stream = UUID.randomUUID().toString().substring(0, 8);
  private final Object lock = new Object();
  private final ArrayDeque<Entry> buffer = new ArrayDeque<>();
  private final Set<Client> clients = new HashSet<>();
  private long seq;
  private boolean closed;

  EventStream(WebConfig config) {
    this.config = config;
  }

  @Override
  public void onEvent(JobEvent event) {
    synchronized (lock) {
      Entry e = new Entry(++seq, event, Json.write(eventJson(event)));
      buffer.addLast(e);
      while (buffer.size() > config.sseReplay()) {
        buffer.removeFirst();
      }
      for (Client c : clients) {
        if (c.wants(e) && !c.queue.offer(e)) {
          c.overflowed = true;
        }
      }
    }
  }

  /** This instance's random stream id, the prefix of every event id. */
  String streamId() {
    return stream;
  }

  /** Streams open now. */
  int clientCount() {
    synchronized (lock) {
      return clients.size();
    }
  }

  /** Ends every stream; later connections are refused. */
  void close() {
    synchronized (lock) {
      closed = true;
      for (Client c : clients) {
        c.queue.clear();
        c.queue.offer(CLOSE);
      }
    }
  }

  /**
   * Checks {@code lastEventId} before the response starts, so a bad one is a plain 400.
   *
   * @throws ApiException invalid_parameter if it is not an id this API could have sent
   */
  static void validateLastEventId(String lastEventId) {
    if (lastEventId != null && !lastEventId.isEmpty() && parse(lastEventId) == null) {
      throw ApiException.badRequest(
          "invalid_parameter",
          "Last-Event-ID '"
              + Fields.clip(lastEventId)
              + "' is not an event id of this API (they look like 3f2a9c1e-42); reconnect without it");
    }
  }

  /**
   * Serves one stream until the client goes away or the web is closed. Writes the replay (or a
   * {@code reset}), then live events and a keep-alive comment every {@link
   * WebConfig#sseKeepAlive()}.
   *
   * @param first an event to send before anything else (a job's current state), or null
   */
  void serve(OutputStream out, Long jobId, String lastEventId, Map<String, Object> first)
      throws IOException, InterruptedException {
    Client client = new Client(jobId, config.sseClientBuffer());
    List<Entry> replay = new ArrayList<>();
    Map<String, Object> reset = null;
    String resetId;
    synchronized (lock) {
      if (closed) {
        throw new ApiException(
            503, "shutting_down", "the server is stopping; reconnect to another node");
      }
      if (clients.size() >= config.sseMaxClients()) {
        throw new ApiException(
            503,
            "too_many_streams",
            clients.size()
                + " event streams are open,"
                + " the most allowed (WebConfig.sseMaxClients); close one or raise the limit");
      }
      resetId = id(seq);
      if (lastEventId != null && !lastEventId.isEmpty()) {
        long[] parsed = parseOwn(lastEventId);
        long oldest = buffer.isEmpty() ? seq + 1 : buffer.peekFirst().seq();
        if (parsed == null || parsed[0] != 1 || parsed[1] > seq) {
          reset =
              reset(
                  "unknown_event_id",
                  "event "
                      + Fields.clip(lastEventId)
                      + " is not from this"
                      + " server's current stream (it restarted, or this is another node); reload the state"
                      + " over the REST API");
        } else if (parsed[1] < oldest - 1) {
          reset =
              reset(
                  "too_far_behind",
                  "events after "
                      + lastEventId
                      + " are no longer kept (the"
                      + " replay buffer holds the last "
                      + config.sseReplay()
                      + "); reload the state over the"
                      + " REST API");
        } else {
          for (Entry e : buffer) {
            if (e.seq() > parsed[1] && client.wants(e)) {
              replay.add(e);
            }
          }
        }
      }
      clients.add(client);
    }
    try {
      write(out, "retry: 2000\n: errand event stream " + stream + "\n\n");
      if (first != null) {
        write(out, "event: state\ndata: " + Json.write(first) + "\n\n");
      }
      if (reset != null) {
        write(out, "id: " + resetId + "\nevent: reset\ndata: " + Json.write(reset) + "\n\n");
      }
      for (Entry e : replay) {
        write(out, frame(e));
      }
      out.flush();
      long keepAliveMs = config.sseKeepAlive().toMillis();
      while (true) {
        Entry e = client.queue.poll(keepAliveMs, TimeUnit.MILLISECONDS);
        if (e == CLOSE || client.overflowed) {
          return;
        }
        write(out, e == null ? ": keep-alive\n\n" : frame(e));
        out.flush();
      }
    } finally {
      synchronized (lock) {
        clients.remove(client);
      }
    }
  }

  private String frame(Entry e) {
    return "id: " + id(e.seq()) + "\nevent: job\ndata: " + e.data() + "\n\n";
  }

  private String id(long n) {
    return stream + "-" + n;
  }

  /** {1 if from this stream else 0, sequence}, or null if not an id of this shape. */
  private long[] parseOwn(String id) {
    long[] p = parse(id);
    if (p != null && id.substring(0, id.lastIndexOf('-')).equals(stream)) {
      p[0] = 1;
    }
    return p;
  }

  /** {0, sequence}, or null if not an id of this shape. */
  private static long[] parse(String id) {
    int dash = id.lastIndexOf('-');
    if (dash <= 0 || dash == id.length() - 1 || id.length() > 40) {
      return null;
    }
    try {
      long n = Long.parseLong(id.substring(dash + 1));
      return n < 0 ? null : new long[] {0, n};
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static void write(OutputStream out, String s) throws IOException {
    out.write(s.getBytes(StandardCharsets.UTF_8));
  }

  private static Map<String, Object> reset(String reason, String message) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("reason", reason);
    m.put("message", message);
    return m;
  }

  static Map<String, Object> eventJson(JobEvent e) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("kind", e.kind().name());
    m.put("jobId", e.jobId());
    m.put("type", e.type());
    m.put("queue", e.queue());
    m.put("attempt", e.attempt());
    m.put("at", e.at());
    m.put("nodeId", e.nodeId());
    m.put("error", e.error());
    return m;
  }

  /** The keep-alive interval, for callers that size timeouts. */
  Duration keepAlive() {
    return config.sseKeepAlive();
  }
}
