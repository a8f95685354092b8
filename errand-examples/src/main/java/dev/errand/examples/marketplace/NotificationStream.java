package dev.errand.examples.marketplace;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Live updates as Server-Sent Events, one stream per connected browser, grouped by user: {@code GET
 * /events} serves a stream to its caller, and {@link #send} / {@link #broadcast} put an event on
 * the streams of one user or of all.
 *
 * <p>Sending never blocks and never writes to a socket: it offers the event to each stream's
 * bounded queue ({@code clientBuffer} events) and the stream's own request thread writes it. A
 * browser that stops reading fills its queue and is disconnected (its {@code EventSource}
 * reconnects); events for a user with no open stream are dropped, as a socket emit to nobody is.
 * Events are not replayed: a browser that reconnects reloads its lists over the REST API.
 *
 * <p>Threads: senders are lane threads; each stream is written by the request thread serving it;
 * the map of streams is guarded by {@code lock}, and no socket write happens under it.
 */
public final class NotificationStream implements Notifications {
  private static final Logger log = LoggerFactory.getLogger(NotificationStream.class);
  private static final String CLOSE = "";

  /** One open stream: its user and its bounded queue of frames. */
  private static final class Client {
    final String userId;
    final BlockingQueue<String> frames;
    volatile boolean overflowed;

    Client(String userId, int capacity) {
      this.userId = userId;
      this.frames = new ArrayBlockingQueue<>(capacity);
    }
  }

  private final ObjectMapper mapper;
  private final Duration keepAlive;
  private final int clientBuffer;
  private final Object lock = new Object();
  private final Map<String, Set<Client>> clients = new HashMap<>();
  private final AtomicLong sequence = new AtomicLong();
  private final AtomicLong queued = new AtomicLong();
  private boolean closed;

  /**
   * @param keepAlive how often an idle stream gets a comment line (which also finds closed ones)
   * @param clientBuffer events that may wait for one slow stream before it is disconnected
   */
  public NotificationStream(ObjectMapper mapper, Duration keepAlive, int clientBuffer) {
    this.mapper = mapper;
    this.keepAlive = keepAlive;
    this.clientBuffer = clientBuffer;
  }

  @Override
  public void send(String userId, Notification n) {
    String frame = frame(n);
    synchronized (lock) {
      offer(clients.getOrDefault(userId, Set.of()), frame);
    }
  }

  @Override
  public void broadcast(Notification n) {
    String frame = frame(n);
    synchronized (lock) {
      for (Set<Client> of : clients.values()) {
        offer(of, frame);
      }
    }
  }

  private void offer(Set<Client> to, String frame) {
    for (Client c : to) {
      if (c.frames.offer(frame)) {
        queued.incrementAndGet();
      } else {
        c.overflowed = true;
      }
    }
  }

  /** Open streams of {@code userId}. */
  public int connected(String userId) {
    synchronized (lock) {
      return clients.getOrDefault(userId, Set.of()).size();
    }
  }

  /** Events put on a stream's queue since start (one per stream reached). */
  public long queued() {
    return queued.get();
  }

  /**
   * Serves one stream of {@code userId} on the calling request thread until the browser goes away,
   * falls {@code clientBuffer} events behind, or {@link #close} is called. Starts with a {@code
   * connected} event.
   *
   * @throws IllegalStateException if the stream is closed (the app is stopping)
   */
  void serve(HttpServletResponse res, String userId) throws IOException, InterruptedException {
    Client client = new Client(userId, clientBuffer);
    synchronized (lock) {
      if (closed) {
        throw new IllegalStateException("the marketplace is stopping; reconnect later");
      }
      clients.computeIfAbsent(userId, u -> new HashSet<>()).add(client);
    }
    try {
      res.setStatus(200);
      res.setContentType("text/event-stream");
      res.setCharacterEncoding("UTF-8");
      res.setHeader("Cache-Control", "no-store");
      res.setHeader("X-Accel-Buffering", "no");
      OutputStream out = res.getOutputStream();
      write(out, "retry: 2000\n" + frame(new Notification("connected", Map.of("userId", userId))));
      while (true) {
        String frame = client.frames.poll(keepAlive.toMillis(), TimeUnit.MILLISECONDS);
        if (frame == CLOSE || client.overflowed) {
          if (client.overflowed) {
            log.info(
                "event stream of {} fell {} events behind; disconnected", userId, clientBuffer);
          }
          return;
        }
        write(out, frame == null ? ": keep-alive\n\n" : frame);
      }
    } finally {
      synchronized (lock) {
        Set<Client> of = clients.get(userId);
        if (of != null) {
          of.remove(client);
          if (of.isEmpty()) {
            clients.remove(userId);
          }
        }
      }
    }
  }

  /** Ends every stream and refuses new ones. */
  void close() {
    List<Client> all = new ArrayList<>();
    synchronized (lock) {
      closed = true;
      clients.values().forEach(all::addAll);
    }
    for (Client c : all) {
      c.frames.clear();
      c.frames.offer(CLOSE);
    }
  }

  private String frame(Notification n) {
    try {
      return "id: "
          + sequence.incrementAndGet()
          + "\nevent: "
          + n.event()
          + "\ndata: "
          + mapper.writeValueAsString(n.data())
          + "\n\n";
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("notification " + n.event() + " does not map to JSON", e);
    }
  }

  private static void write(OutputStream out, String s) throws IOException {
    out.write(s.getBytes(StandardCharsets.UTF_8));
    out.flush();
  }
}
