package dev.errand.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.errand.examples.ExampleDatabase;
import dev.errand.examples.civic.CivicApp;
import dev.errand.examples.civic.CivicConfig;
import dev.errand.examples.civic.SmsSender;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/**
 * Seed 001's before/after table, measured on the real civic reports app ({@link CivicApp}, Javalin
 * on a real socket, SQLite): the same four endpoints once with {@code background(false)} (all work
 * in the request, as 001's code did before) and once with Errand (after-response lane and durable
 * jobs). Email goes through a real SMTP server on loopback that takes {@code --smtp-delay-ms} per
 * message, the SMS gateway takes {@code --sms-delay-ms}. Each of {@code --requests} iterations, on
 * {@code --concurrency} client threads, requests a code, signs in with it, files a report and asks
 * for a verification email; the client times each request until it has the whole response. {@code
 * --warmup} iterations run first on the same app, unmeasured, so neither mode pays the JIT's
 * warm-up alone. The effects (texts, emails, review queue, audit rows) count every iteration.
 *
 * <pre>
 * java -jar errand-bench/target/errand-bench.jar civic --requests 300 --concurrency 8
 * </pre>
 */
public final class CivicWorkload {
  static final String USAGE =
      """
      usage: errand-bench civic [options]
        --requests N        measured iterations per mode, each calling the four endpoints (default 300)
        --warmup N          unmeasured iterations before them, on the same app (default 50)
        --concurrency N     client threads (default 8)
        --smtp-delay-ms N   how long the SMTP server takes to accept a message (default 1000)
        --sms-delay-ms N    how long the SMS gateway takes to accept a text (default 100)
        --workers N         durable job workers of the app (default 32)
        --lane-threads N    after-response lane threads of the app (default 64)
      """;

  /** The four endpoints of 001's table, in the order each iteration calls them. */
  static final List<String> ENDPOINTS =
      List.of(
          "POST /api/v1/auth/request-otp",
          "POST /api/v1/auth/verify-otp",
          "POST /api/v1/reports",
          "POST /api/v1/users/me/verification/email/send");

  private static final ObjectMapper JSON = new ObjectMapper();

  private CivicWorkload() {}

  /** The workload's options; {@link #parse} rejects bad ones naming them. */
  record Options(
      int requests,
      int warmup,
      int concurrency,
      Duration smtpDelay,
      Duration smsDelay,
      int workers,
      int laneThreads) {
    static Options parse(String... args) {
      Map<String, Integer> v = new LinkedHashMap<>();
      v.put("--requests", 300);
      v.put("--warmup", 50);
      v.put("--concurrency", 8);
      v.put("--smtp-delay-ms", 1000);
      v.put("--sms-delay-ms", 100);
      v.put("--workers", 32);
      v.put("--lane-threads", 64);
      for (int i = 0; i < args.length; i += 2) {
        String flag = args[i];
        if (!v.containsKey(flag)) {
          throw new IllegalArgumentException("unknown option " + flag + "\n" + USAGE);
        }
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException(flag + " needs a value\n" + USAGE);
        }
        int n = Integer.parseInt(args[i + 1]);
        if (n < 1) {
          throw new IllegalArgumentException(flag + " must be positive, got " + n + "\n" + USAGE);
        }
        v.put(flag, n);
      }
      return new Options(
          v.get("--requests"),
          v.get("--warmup"),
          v.get("--concurrency"),
          Duration.ofMillis(v.get("--smtp-delay-ms")),
          Duration.ofMillis(v.get("--sms-delay-ms")),
          v.get("--workers"),
          v.get("--lane-threads"));
    }
  }

  /** Latencies of one endpoint in one mode, in milliseconds. */
  record Row(String endpoint, String mode, double p50, double p90, double p99, double max) {}

  /**
   * What one mode did besides answering: texts and emails the far sides accepted, reports on the
   * review queue, audit entries written.
   */
  record Effects(String mode, int texts, int emails, long reportsQueued, long auditEntries) {}

  /** Both modes' rows and effects. */
  record Result(List<Row> rows, List<Effects> effects) {}

  public static void main(String[] args) throws Exception {
    Options o;
    try {
      o = Options.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    print(o, run(o, System.err), System.out);
    System.exit(0);
  }

  /** Runs both modes, synchronous first, each on a fresh app, database and SMTP server. */
  static Result run(Options o, PrintStream progress) throws Exception {
    List<Row> rows = new ArrayList<>();
    List<Effects> effects = new ArrayList<>();
    Path dir = Files.createTempDirectory("errand-bench-civic");
    try {
      for (String mode : List.of("synchronous", "errand")) {
        progress.printf(
            "civic: %s, %d iterations, %d client threads, SMTP accepts in %s, SMS in %s%n",
            mode, o.requests(), o.concurrency(), o.smtpDelay(), o.smsDelay());
        try (SlowSmtpServer smtp = new SlowSmtpServer(o.smtpDelay())) {
          effects.add(runMode(o, mode, smtp, dir.resolve(mode), rows));
        }
      }
      return new Result(rows, effects);
    } finally {
      try (Stream<Path> files = Files.walk(dir)) { // the two SQLite databases
        for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(f);
        }
      }
    }
  }

  private static Effects runMode(
      Options o, String mode, SlowSmtpServer smtp, Path dir, List<Row> rows) throws Exception {
    SlowSms sms = new SlowSms(o.smsDelay());
    CivicConfig config =
        CivicConfig.builder(dir)
            .smtp("127.0.0.1", smtp.port())
            .smsSender(sms)
            .background(mode.equals("errand"))
            .workers(o.workers())
            .laneThreads(o.laneThreads())
            .build();
    int total = o.warmup() + o.requests();
    long[][] nanos = new long[ENDPOINTS.size()][total];
    ExecutorService clients = Executors.newFixedThreadPool(o.concurrency());
    try (CivicApp app = CivicApp.start(config)) {
      HttpClient client = HttpClient.newHttpClient(); // its own executor: ours is busy in send()
      String base = app.baseUrl();
      for (int[] range : new int[][] {{0, o.warmup()}, {o.warmup(), total}}) {
        List<Future<?>> calls = new ArrayList<>(); // warm-up first, then the measured iterations
        for (int i = range[0]; i < range[1]; i++) {
          int n = i;
          calls.add(clients.submit(() -> iteration(client, base, sms, n, nanos)));
        }
        for (Future<?> f : calls) {
          f.get();
        }
      }
      long deadline =
          System.nanoTime()
              + o.smtpDelay().multipliedBy(total / o.workers() + 2).plusSeconds(60).toNanos();
      while (smtp.accepted() < total && System.nanoTime() < deadline) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20)); // durable emails still going out
      }
      app.lane().shutdown(); // the after-response tasks of the last responses
      ExampleDatabase db = app.database();
      long queued = db.read(c -> ExampleDatabase.number(c, "SELECT COUNT(*) FROM review_queue"));
      long audits = db.read(c -> ExampleDatabase.number(c, "SELECT COUNT(*) FROM audit_log"));
      for (int e = 0; e < ENDPOINTS.size(); e++) {
        long[] sorted = Arrays.copyOfRange(nanos[e], o.warmup(), total);
        Arrays.sort(sorted);
        rows.add(
            new Row(
                ENDPOINTS.get(e),
                mode,
                ms(EmailWorkload.percentile(sorted, 0.50)),
                ms(EmailWorkload.percentile(sorted, 0.90)),
                ms(EmailWorkload.percentile(sorted, 0.99)),
                ms(sorted[sorted.length - 1])));
      }
      return new Effects(mode, sms.sent.get(), smtp.accepted(), queued, audits);
    } finally {
      clients.shutdownNow();
    }
  }

  /** One citizen: code, sign-in, report, verification email; each call timed. */
  private static Void iteration(HttpClient client, String base, SlowSms sms, int n, long[][] nanos)
      throws Exception {
    String phone = String.format(Locale.ROOT, "+1555%07d", n);
    call(client, base, null, 0, "{\"phone\":\"" + phone + "\"}", nanos, n);
    String code = sms.await(phone);
    JsonNode token =
        call(
            client,
            base,
            null,
            1,
            "{\"phone\":\"" + phone + "\",\"otp\":\"" + code + "\"}",
            nanos,
            n);
    String bearer = "Bearer " + token.get("access_token").asText();
    call(
        client,
        base,
        bearer,
        2,
        "{\"title\":\"Pothole "
            + n
            + "\",\"description\":\"Deep pothole near the bus stop\","
            + "\"latitude\":23.3441,\"longitude\":85.3096,\"severity\":\"medium\"}",
        nanos,
        n);
    call(client, base, bearer, 3, "{\"email\":\"citizen" + n + "@example.org\"}", nanos, n);
    return null;
  }

  private static JsonNode call(
      HttpClient client,
      String base,
      String bearer,
      int endpoint,
      String body,
      long[][] nanos,
      int n)
      throws Exception {
    String path = ENDPOINTS.get(endpoint).substring("POST ".length());
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (bearer != null) {
      b.header("Authorization", bearer);
    }
    long start = System.nanoTime();
    HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    nanos[endpoint][n] = System.nanoTime() - start;
    if (r.statusCode() / 100 != 2) {
      throw new IllegalStateException(
          ENDPOINTS.get(endpoint)
              + " of iteration "
              + n
              + " got "
              + r.statusCode()
              + ": "
              + r.body());
    }
    return JSON.readTree(r.body());
  }

  private static double ms(long nanos) {
    return nanos / 1e6;
  }

  /** Prints the report as Markdown: one row per endpoint and mode, then each mode's effects. */
  static void print(Options o, Result result, PrintStream out) {
    out.printf(
        Locale.ROOT,
        "### 001's endpoints, synchronous vs Errand (%d measured iterations per mode after %d"
            + " unmeasured, %d client threads, SMTP %d ms, SMS %d ms)%n%n",
        o.requests(),
        o.warmup(),
        o.concurrency(),
        o.smtpDelay().toMillis(),
        o.smsDelay().toMillis());
    out.println("| endpoint | mode | p50 ms | p90 ms | p99 ms | max ms |");
    out.println("|---|---|---:|---:|---:|---:|");
    for (Row r : result.rows()) {
      out.printf(
          Locale.ROOT,
          "| %s | %s | %.1f | %.1f | %.1f | %.1f |%n",
          r.endpoint(),
          r.mode(),
          r.p50(),
          r.p90(),
          r.p99(),
          r.max());
    }
    out.println();
    out.println(
        "| mode | texts sent | emails accepted | reports on the review queue | audit rows |");
    out.println("|---|---:|---:|---:|---:|");
    for (Effects e : result.effects()) {
      out.printf(
          Locale.ROOT,
          "| %s | %d | %d | %d | %d |%n",
          e.mode(),
          e.texts(),
          e.emails(),
          e.reportsQueued(),
          e.auditEntries());
    }
  }

  /** An SMS gateway that takes {@code delay} per text and remembers the code sent to each phone. */
  private static final class SlowSms implements SmsSender {
    private final Duration delay;
    private final Map<String, String> codes = new ConcurrentHashMap<>();
    private final AtomicInteger sent = new AtomicInteger();

    SlowSms(Duration delay) {
      this.delay = delay;
    }

    @Override
    public void send(String phone, String text) throws InterruptedException {
      Thread.sleep(delay.toMillis()); // the gateway's latency this stands in for
      codes.put(phone, text.substring(text.length() - 6));
      sent.incrementAndGet();
    }

    /** The code sent to {@code phone}, waiting for it (it goes out after the response). */
    String await(String phone) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      for (String code; System.nanoTime() < deadline; ) {
        if ((code = codes.get(phone)) != null) {
          return code;
        }
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
      }
      throw new IllegalStateException("no code reached " + phone + " within 60 s");
    }
  }
}
