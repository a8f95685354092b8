package dev.errand;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.errand.spi.JobStore;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shares this engine's job events with the engines on other nodes of the same database, through the
 * store's event channel ({@link JobStore#publishEvents}, LISTEN/NOTIFY on PostgreSQL), and hands
 * theirs to this engine's cluster subscribers.
 *
 * <p>One daemon thread, {@code errand-cluster-events}, takes the events this engine saw, packs as
 * many as fit into each message and sends what it has at once: at low load an event leaves within a
 * millisecond or two, under load many share a message. It sends at most {@link #MAX_PER_TICK}
 * events per {@link #TICK_MILLIS} ms (about 16,000 a second); beyond that, and when the store is
 * unreachable, the queue of {@value #CAPACITY} fills and events are dropped and counted in {@code
 * errand.events.cluster.dropped}, never blocking a worker. Cluster events are for live views
 * (dashboards, a page waiting for its job): the store stays the record.
 *
 * <p>A message is {@code {"v":1,"node":"…","events":[[kind,id,type,queue,attempt,atMillis,error],
 * …]}}; errors are cut to {@value #MAX_ERROR_CHARS} characters. Messages of this node (every
 * listener gets them too) and messages that do not decode are ignored, the latter logged once.
 */
final class ClusterEvents implements AutoCloseable {
  static final int CAPACITY = 16_384;
  static final int MAX_PER_TICK = 400;
  static final int TICK_MILLIS = 25;
  static final int MAX_ERROR_CHARS = 300;
  private static final Logger log = LoggerFactory.getLogger(ClusterEvents.class);

  private final JobStore store;
  private final ObjectMapper mapper;
  private final String nodeId;
  private final Meters meters;
  private final Consumer<JobEvent> remote;
  private final BlockingQueue<JobEvent> queue = new ArrayBlockingQueue<>(CAPACITY);
  private final Thread thread;
  private final String prefix;
  private volatile boolean running = true;
  private volatile boolean warnedUndecodable;
  private volatile AutoCloseable subscription; // written under this object's lock

  ClusterEvents(
      JobStore store,
      ObjectMapper mapper,
      String nodeId,
      Meters meters,
      Consumer<JobEvent> remote) {
    this.store = store;
    this.mapper = mapper;
    this.nodeId = nodeId;
    this.meters = meters;
    this.remote = remote;
    try {
      this.prefix = "{\"v\":1,\"node\":" + mapper.writeValueAsString(nodeId) + ",\"events\":[";
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    this.thread = new Thread(this::loop, "errand-cluster-events");
    thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  /**
   * Listens to the other nodes' events while this engine has cluster subscribers ({@code want}),
   * and stops when it has none: a node listens only when someone there wants the events, so the
   * others publish only then.
   */
  synchronized void listen(boolean want) {
    if (want && subscription == null && running) {
      subscription = store.subscribeEvents(this::receive);
    } else if (!want && subscription != null) {
      closeSubscription();
    }
  }

  private void closeSubscription() {
    try {
      subscription.close();
    } catch (Exception e) {
      log.warn("errand: closing the cluster event subscription failed", e);
    }
    subscription = null;
  }

  /**
   * Queues one of this engine's events for the other nodes; drops and counts it when full. Nothing
   * is queued while the store says no other engine listens.
   */
  void offer(JobEvent e) {
    if (!running) {
      return;
    }
    int listeners = store.eventListeners();
    if (listeners >= 0 && listeners - (subscription != null ? 1 : 0) <= 0) {
      return; // nobody else listens
    }
    if (!queue.offer(e)) {
      meters.count("errand.events.cluster.dropped");
    }
  }

  /** Events waiting to be sent, for tests. */
  int queued() {
    return queue.size();
  }

  private void loop() {
    List<JobEvent> batch = new ArrayList<>(MAX_PER_TICK);
    int failures = 0;
    while (running || !queue.isEmpty()) {
      try {
        JobEvent first = running ? queue.take() : queue.poll();
        if (first == null) {
          break;
        }
        batch.add(first);
        queue.drainTo(batch, MAX_PER_TICK - 1);
        store.publishEvents(encode(batch));
        failures = 0;
        if (batch.size() == MAX_PER_TICK && running) {
          TimeUnit.MILLISECONDS.sleep(TICK_MILLIS);
        }
      } catch (InterruptedException e) {
        // close() interrupts: send what is queued without waiting, then end
      } catch (Throwable t) {
        meters.count("errand.events.cluster.dropped", batch.size());
        if (failures++ % 100 == 0) {
          log.warn(
              "errand: sending {} job events to the other nodes failed ({} in a row); they are"
                  + " dropped, the store still has the jobs' states",
              batch.size(),
              failures,
              t);
        }
      } finally {
        batch.clear();
      }
    }
  }

  /** Packs {@code events} into as few messages as the store's size limit allows. */
  List<String> encode(List<JobEvent> events) {
    int limit = store.maxEventMessageBytes();
    List<String> out = new ArrayList<>();
    StringBuilder m = new StringBuilder(prefix);
    int bytes = prefix.length() + 2;
    int inMessage = 0;
    for (JobEvent e : events) {
      String one = encode(e);
      int size = one.getBytes(StandardCharsets.UTF_8).length + 1;
      if (inMessage > 0 && bytes + size > limit) {
        out.add(m.append("]}").toString());
        m = new StringBuilder(prefix);
        bytes = prefix.length() + 2;
        inMessage = 0;
      }
      if (bytes + size > limit) {
        meters.count("errand.events.cluster.dropped");
        continue; // cannot happen with the error cut short, but never send what the store refuses
      }
      m.append(inMessage > 0 ? "," : "").append(one);
      bytes += size;
      inMessage++;
    }
    if (inMessage > 0) {
      out.add(m.append("]}").toString());
    }
    return out;
  }

  private String encode(JobEvent e) {
    ArrayNode a = mapper.createArrayNode();
    a.add(e.kind().name()).add(e.jobId()).add(e.type()).add(e.queue()).add(e.attempt());
    a.add(e.at().toEpochMilli());
    String error = e.error();
    if (error != null && error.length() > MAX_ERROR_CHARS) {
      error = error.substring(0, MAX_ERROR_CHARS - 1) + "…";
    }
    a.add(error);
    return a.toString();
  }

  /** A message from the store's channel: another node's events go to the cluster subscribers. */
  void receive(String message) {
    JsonNode root;
    try {
      root = mapper.readTree(message);
    } catch (Exception e) {
      undecodable(message, e);
      return;
    }
    if (!(root instanceof ObjectNode o) || o.path("v").asInt() != 1) {
      undecodable(message, null);
      return;
    }
    String from = o.path("node").asText();
    if (from.equals(nodeId)) {
      return;
    }
    for (JsonNode a : o.path("events")) {
      try {
        remote.accept(
            new JobEvent(
                JobEvent.Kind.valueOf(a.get(0).asText()),
                a.get(1).asLong(),
                a.get(2).asText(),
                a.get(3).asText(),
                a.get(4).asInt(),
                Instant.ofEpochMilli(a.get(5).asLong()),
                from,
                a.get(6).isNull() ? null : a.get(6).asText()));
      } catch (RuntimeException e) {
        undecodable(a.toString(), e);
      }
    }
  }

  private void undecodable(String message, Exception e) {
    meters.count("errand.events.cluster.undecodable");
    if (!warnedUndecodable) {
      warnedUndecodable = true;
      log.warn(
          "errand: ignoring a cluster event message this version cannot read (logged once): {}",
          message.length() > 200 ? message.substring(0, 200) + "…" : message,
          e);
    }
  }

  /** Stops listening, sends what is queued (waiting up to 2 s) and ends the thread. */
  @Override
  public void close() {
    synchronized (this) {
      if (subscription != null) {
        closeSubscription();
      }
      running = false;
    }
    thread.interrupt();
    try {
      thread.join(2_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
