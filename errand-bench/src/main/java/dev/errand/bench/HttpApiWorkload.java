package dev.errand.bench;

import dev.errand.Errand;
import dev.errand.JobEvent;
import dev.errand.JobState;
import dev.errand.JobType;
import dev.errand.jdbc.SqliteJobStore;
import dev.errand.web.ErrandWeb;
import dev.errand.web.WebConfig;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * Errand's HTTP API under load on loopback: a real engine on a SQLite file with {@link ErrandWeb}
 * on a free loopback port and a no-op job type that may be enqueued remotely; the workers run
 * throughout, as on a server. A closed-loop load generator (JDK HttpClient, {@code --concurrency}
 * threads, each sending its next request when the previous answer is in) measures {@code POST
 * /api/jobs} one job per request and {@code POST /api/jobs/batch} of {@code --batch-size} jobs.
 * Then {@code --sse-clients} clients follow {@code GET /api/events} while {@code --sse-jobs} jobs
 * are enqueued over HTTP at {@code --sse-rate} per second; for every ENQUEUED, STARTED and
 * SUCCEEDED event of those jobs the delay from the engine publishing it (a listener subscribed
 * before the web's) to each client reading its {@code data:} line is recorded, and every client
 * must receive every event: a missing one fails the run.
 *
 * <pre>
 * java -jar errand-bench/target/errand-bench.jar http
 * </pre>
 */
public final class HttpApiWorkload {
  static final String USAGE =
      """
      usage: errand-bench http [options]
        --requests N      single-job POST /api/jobs requests (default 5000)
        --concurrency N   load generator threads, closed loop (default 8)
        --batches N       POST /api/jobs/batch requests (default 200)
        --batch-size N    jobs per batch (default 100)
        --sse-clients N   clients on GET /api/events (default 200)
        --sse-jobs N      jobs enqueued while they listen (default 500)
        --sse-rate N      jobs per second enqueued while they listen (default 40)
        --workers N       worker threads of the engine (default 8)
      """;

  static final String TYPE = "bench-noop";
  private static final List<JobEvent.Kind> SSE_KINDS =
      List.of(JobEvent.Kind.ENQUEUED, JobEvent.Kind.STARTED, JobEvent.Kind.SUCCEEDED);

  private HttpApiWorkload() {}

  /** The workload's options; {@link #parse} rejects bad ones naming them. */
  record Options(
      int requests,
      int concurrency,
      int batches,
      int batchSize,
      int sseClients,
      int sseJobs,
      int sseRate,
      int workers) {
    static Options parse(String... args) {
      int[] v = {5000, 8, 200, 100, 200, 500, 40, 8};
      List<String> flags =
          List.of(
              "--requests",
              "--concurrency",
              "--batches",
              "--batch-size",
              "--sse-clients",
              "--sse-jobs",
              "--sse-rate",
              "--workers");
      for (int i = 0; i < args.length; i += 2) {
        String flag = args[i];
        int at = flags.indexOf(flag);
        if (at < 0) {
          throw new IllegalArgumentException("unknown option " + flag + "\n" + USAGE);
        }
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException(flag + " needs a value\n" + USAGE);
        }
        int n;
        try {
          n = Integer.parseInt(args[i + 1]);
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException(
              flag + " must be a whole number, got '" + args[i + 1] + "'\n" + USAGE);
        }
        if (n < 1) {
          throw new IllegalArgumentException(flag + " must be positive, got " + n + "\n" + USAGE);
        }
        v[at] = n;
      }
      if (v[3] > WebConfig.DEFAULT_MAX_BATCH) {
        throw new IllegalArgumentException(
            "--batch-size must be at most "
                + WebConfig.DEFAULT_MAX_BATCH
                + " (the API's maxBatch), got "
                + v[3]);
      }
      return new Options(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]);
    }
  }

  /** One enqueue measurement: request latencies in nanoseconds, sorted, and the wall time. */
  record Enqueues(String name, int jobsPerRequest, long[] sortedNanos, long wallNanos) {
    int requests() {
      return sortedNanos.length;
    }

    double requestsPerSecond() {
      return requests() / (wallNanos / 1e9);
    }

    double jobsPerSecond() {
      return requestsPerSecond() * jobsPerRequest;
    }

    /** This measurement under another name (the load loop does not know which it is). */
    Enqueues named(String name) {
      return new Enqueues(name, jobsPerRequest, sortedNanos, wallNanos);
    }
  }

  /** The fan-out measurement: delivery delays in nanoseconds, sorted, and what was missing. */
  record FanOut(
      int clients,
      int jobs,
      long enqueueNanos,
      long expected,
      long received,
      long missing,
      long[] sorted) {
    /** Jobs per second the producer reached (below {@code --sse-rate} if the server lagged). */
    double jobsPerSecond() {
      return jobs / (enqueueNanos / 1e9);
    }
  }

  /** Everything one run measured. */
  record Result(Enqueues single, Enqueues batch, FanOut fanOut) {}

  /** The no-op job's payload. */
  record Noop(long seq) {}

  public static void main(String[] args) throws Exception {
    if (args.length == 1 && (args[0].equals("--help") || args[0].equals("-h"))) {
      System.out.print(USAGE);
      return;
    }
    Options o;
    try {
      o = Options.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    Result r = run(o, System.err);
    print(o, r, System.out);
    System.exit(r.fanOut().missing() == 0 ? 0 : 1);
  }

  /** Runs the three measurements on one engine and server, in order. */
  static Result run(Options o, PrintStream progress) throws Exception {
    Path dir = Files.createTempDirectory("errand-bench-http");
    SqliteJobStore store = SqliteJobStore.file(dir.resolve("errand.db"));
    store.open();
    Errand errand =
        Errand.builder().store(store).queue("default", o.workers()).scheduler(false).build();
    errand.register(JobType.of(TYPE, Noop.class, (ctx, p) -> {}));
    Map<Long, Long> published = new ConcurrentHashMap<>();
    AutoCloseable publishClock =
        errand.subscribe(
            e -> {
              if (TYPE.equals(e.type()) && SSE_KINDS.contains(e.kind())) {
                published.put(key(e.jobId(), e.kind()), System.nanoTime());
              }
            });
    ErrandWeb web =
        ErrandWeb.create(
            errand,
            WebConfig.builder()
                .port(0)
                .remoteEnqueue(TYPE)
                .sseMaxClients(Math.max(WebConfig.DEFAULT_SSE_MAX_CLIENTS, o.sseClients()))
                .build());
    errand.start();
    web.start();
    URI base = URI.create("http://127.0.0.1:" + web.port());
    HttpClient http =
        HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build(); // own executor
    try {
      AtomicInteger seq = new AtomicInteger();
      progress.printf("http: %d single enqueues, %d threads%n", o.requests(), o.concurrency());
      load(o, http, base.resolve("/api/jobs"), 1, Math.max(1, o.requests() / 10), seq);
      Enqueues single =
          load(o, http, base.resolve("/api/jobs"), 1, o.requests(), seq).named("single");
      progress.printf("http: %d batches of %d%n", o.batches(), o.batchSize());
      URI batchUri = base.resolve("/api/jobs/batch");
      load(o, http, batchUri, o.batchSize(), Math.max(1, o.batches() / 10), seq);
      Enqueues batch = load(o, http, batchUri, o.batchSize(), o.batches(), seq).named("batch");
      awaitDrained(errand, progress);
      published.clear();
      progress.printf(
          "http: %d SSE clients, %d jobs at %d/s%n", o.sseClients(), o.sseJobs(), o.sseRate());
      FanOut fanOut = fanOut(o, base, published, seq);
      return new Result(single, batch, fanOut);
    } finally {
      web.close();
      publishClock.close();
      errand.close();
    }
  }

  private static long key(long jobId, JobEvent.Kind kind) {
    return jobId * 16 + kind.ordinal();
  }

  private static String body(int jobs, AtomicInteger seq) {
    StringBuilder sb = new StringBuilder(jobs == 1 ? "" : "{\"jobs\":[");
    for (int i = 0; i < jobs; i++) {
      if (i > 0) {
        sb.append(',');
      }
      sb.append("{\"type\":\"" + TYPE + "\",\"payload\":{\"seq\":")
          .append(seq.incrementAndGet())
          .append("}}");
    }
    return jobs == 1 ? sb.toString() : sb.append("]}").toString();
  }

  private static HttpRequest post(URI uri, String body) {
    return HttpRequest.newBuilder(uri)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body))
        .build();
  }

  /** {@code requests} POSTs from {@code concurrency} threads, each waiting for its answer. */
  private static Enqueues load(
      Options o, HttpClient http, URI uri, int jobsPerRequest, int requests, AtomicInteger seq)
      throws Exception {
    long[] nanos = new long[requests];
    AtomicInteger next = new AtomicInteger();
    ExecutorService threads = Executors.newFixedThreadPool(o.concurrency());
    try {
      List<Future<?>> done = new ArrayList<>();
      long start = System.nanoTime();
      for (int t = 0; t < o.concurrency(); t++) {
        done.add(
            threads.submit(
                () -> {
                  for (int i = next.getAndIncrement(); i < requests; i = next.getAndIncrement()) {
                    HttpRequest request = post(uri, body(jobsPerRequest, seq));
                    long t0 = System.nanoTime();
                    HttpResponse<String> r =
                        http.send(request, HttpResponse.BodyHandlers.ofString());
                    nanos[i] = System.nanoTime() - t0;
                    if (r.statusCode() != 201) {
                      throw new IllegalStateException(
                          "POST "
                              + uri.getPath()
                              + " answered "
                              + r.statusCode()
                              + ": "
                              + r.body());
                    }
                  }
                  return null;
                }));
      }
      for (Future<?> f : done) {
        f.get();
      }
      long wall = System.nanoTime() - start;
      Arrays.sort(nanos);
      return new Enqueues("", jobsPerRequest, nanos, wall);
    } finally {
      threads.shutdownNow();
    }
  }

  private static void awaitDrained(Errand errand, PrintStream progress) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    while (true) {
      var byState = errand.store().liveCounts().byState();
      long unfinished =
          byState.get(JobState.SCHEDULED)
              + byState.get(JobState.QUEUED)
              + byState.get(JobState.RUNNING)
              + byState.get(JobState.RETRYING);
      if (unfinished == 0) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            unfinished + " jobs still unfinished 5 minutes after the enqueue measurements");
      }
      progress.printf("http: waiting for %d enqueued jobs to run%n", unfinished);
      Thread.sleep(500);
    }
  }

  /** One SSE client: a thread reading the stream and the receipt time of each event it wants. */
  private static final class Listener {
    final Map<Long, Long> received = new ConcurrentHashMap<>();
    volatile Stream<String> lines;
  }

  private static FanOut fanOut(Options o, URI base, Map<Long, Long> published, AtomicInteger seq)
      throws Exception {
    HttpClient sse = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    HttpClient producer = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    List<Listener> listeners = new ArrayList<>();
    CountDownLatch connected = new CountDownLatch(o.sseClients());
    List<Thread> readers = new ArrayList<>();
    List<Long> jobIds = new ArrayList<>();
    long expected = (long) o.sseClients() * o.sseJobs() * SSE_KINDS.size();
    try {
      for (int c = 0; c < o.sseClients(); c++) {
        Listener l = new Listener();
        listeners.add(l);
        Thread t =
            new Thread(
                () -> {
                  try {
                    HttpResponse<Stream<String>> r =
                        sse.send(
                            HttpRequest.newBuilder(base.resolve("/api/events")).build(),
                            HttpResponse.BodyHandlers.ofLines());
                    if (r.statusCode() != 200) {
                      throw new IllegalStateException("GET /api/events answered " + r.statusCode());
                    }
                    l.lines = r.body();
                    connected.countDown();
                    Iterator<String> it = r.body().iterator();
                    while (it.hasNext()) {
                      String line = it.next();
                      long at = System.nanoTime();
                      if (line.startsWith("data: ") && line.contains("\"type\":\"" + TYPE + "\"")) {
                        JobEvent.Kind kind = JobEvent.Kind.valueOf(field(line, "kind"));
                        l.received.putIfAbsent(key(Long.parseLong(field(line, "jobId")), kind), at);
                      }
                    }
                  } catch (Exception e) {
                    if (connected.getCount() > 0 && l.lines == null) {
                      System.err.println("http: SSE client failed: " + e);
                    }
                  }
                },
                "sse-client-" + c);
        t.setDaemon(true);
        readers.add(t);
        t.start();
      }
      if (!connected.await(60, TimeUnit.SECONDS)) {
        throw new IllegalStateException(
            connected.getCount() + " of " + o.sseClients() + " SSE clients failed to connect");
      }
      URI jobs = base.resolve("/api/jobs");
      long periodNanos = 1_000_000_000L / o.sseRate();
      long start = System.nanoTime();
      for (int i = 0; i < o.sseJobs(); i++) {
        long due = start + i * periodNanos;
        long wait = due - System.nanoTime();
        if (wait > 0) {
          TimeUnit.NANOSECONDS.sleep(wait);
        }
        HttpResponse<String> r =
            producer.send(post(jobs, body(1, seq)), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 201) {
          throw new IllegalStateException("POST /api/jobs answered " + r.statusCode());
        }
        jobIds.add(Long.parseLong(field(r.body(), "id")));
      }
      long enqueueNanos = System.nanoTime() - start;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (System.nanoTime() < deadline && received(listeners) < expected) {
        Thread.sleep(50);
      }
      List<Long> delays = new ArrayList<>();
      long got = 0;
      for (Listener l : listeners) {
        for (long id : jobIds) {
          for (JobEvent.Kind k : SSE_KINDS) {
            Long at = l.received.get(key(id, k));
            Long pub = published.get(key(id, k));
            if (at != null && pub != null) {
              got++;
              delays.add(at - pub);
            }
          }
        }
      }
      long[] sorted = delays.stream().mapToLong(Long::longValue).sorted().toArray();
      return new FanOut(
          o.sseClients(), o.sseJobs(), enqueueNanos, expected, got, expected - got, sorted);
    } finally {
      for (Listener l : listeners) {
        if (l.lines != null) {
          l.lines.close();
        }
      }
    }
  }

  private static long received(List<Listener> listeners) {
    long n = 0;
    for (Listener l : listeners) {
      n += l.received.size();
    }
    return n;
  }

  /** The value of {@code "name":} in a flat JSON object, without quotes. */
  static String field(String json, String name) {
    String k = "\"" + name + "\":";
    int at = json.indexOf(k);
    if (at < 0) {
      throw new IllegalStateException("no field " + name + " in " + json);
    }
    int from = at + k.length();
    if (json.charAt(from) == '"') {
      return json.substring(from + 1, json.indexOf('"', from + 1));
    }
    int to = from;
    while (to < json.length() && (Character.isDigit(json.charAt(to)) || json.charAt(to) == '-')) {
      to++;
    }
    return json.substring(from, to);
  }

  static long percentile(long[] sorted, double q) {
    return sorted.length == 0 ? 0 : EmailWorkload.percentile(sorted, q);
  }

  private static double ms(long nanos) {
    return nanos / 1e6;
  }

  /** Prints the report as Markdown. */
  static void print(Options o, Result r, PrintStream out) {
    out.printf(
        Locale.ROOT,
        "### HTTP API on SQLite (closed loop, %d client threads; %d engine workers running)%n%n",
        o.concurrency(),
        o.workers());
    out.println(
        "| measurement | requests | jobs | requests/s | jobs/s | p50 ms | p99 ms | max ms |");
    out.println("|---|---:|---:|---:|---:|---:|---:|---:|");
    for (Enqueues e : List.of(r.single(), r.batch())) {
      long[] s = e.sortedNanos();
      out.printf(
          Locale.ROOT,
          "| %s | %,d | %,d | %,.0f | %,.0f | %.2f | %.2f | %.2f |%n",
          e.name().equals("single")
              ? "POST /api/jobs (1 job)"
              : "POST /api/jobs/batch (" + e.jobsPerRequest() + " jobs)",
          e.requests(),
          (long) e.requests() * e.jobsPerRequest(),
          e.requestsPerSecond(),
          e.jobsPerSecond(),
          ms(percentile(s, 0.50)),
          ms(percentile(s, 0.99)),
          ms(s[s.length - 1]));
    }
    FanOut f = r.fanOut();
    out.printf(
        Locale.ROOT,
        "%n### SSE fan-out: %d clients on GET /api/events, %d jobs enqueued at %d/s"
            + " (reached %.0f/s)%n%n",
        f.clients(),
        f.jobs(),
        o.sseRate(),
        f.jobsPerSecond());
    out.println(
        "| events per client | deliveries expected | received | missing | p50 ms | p99 ms | max ms |");
    out.println("|---:|---:|---:|---:|---:|---:|---:|");
    long[] s = f.sorted();
    out.printf(
        Locale.ROOT,
        "| %,d | %,d | %,d | %,d%s | %.2f | %.2f | %.2f |%n",
        (long) f.jobs() * SSE_KINDS.size(),
        f.expected(),
        f.received(),
        f.missing(),
        f.missing() == 0 ? "" : " (RUN FAILED)",
        ms(percentile(s, 0.50)),
        ms(percentile(s, 0.99)),
        ms(s.length == 0 ? 0 : s[s.length - 1]));
    out.println();
    out.println(
        "Delay = a client reading the event's `data:` line minus the engine publishing it (a job"
            + " listener subscribed before the web's; one JVM, System.nanoTime); events counted:"
            + " ENQUEUED, STARTED and SUCCEEDED of each job. Enqueue latency: from send to the whole"
            + " answer; a tenth of each measurement's size ran first as untimed warm-up.");
  }
}
