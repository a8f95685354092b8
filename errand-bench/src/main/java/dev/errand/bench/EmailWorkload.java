package dev.errand.bench;

import dev.errand.AfterResponse;
import dev.errand.AfterResponseLane;
import dev.errand.ShutdownReport;
import dev.errand.servlet.AfterResponseFilter;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * The response-time effect the seeds claim (001: "email 3.5 s → 60 ms"): an endpoint that sends a
 * verification email through a real SMTP server on loopback that takes {@code --smtp-delay-ms} to
 * accept a message, once synchronously in the handler and once with {@link AfterResponse#run}
 * behind {@link AfterResponseFilter} on Jetty 12. The client (JDK HttpClient, {@code --concurrency}
 * threads) measures each request until it has the whole response; the report gives p50/p90/p99/max
 * per mode and how many emails the SMTP server accepted in each.
 *
 * <pre>
 * java -jar errand-bench/target/errand-bench.jar email --requests 300 --concurrency 8
 * </pre>
 */
public final class EmailWorkload {
  static final String USAGE =
      """
      usage: errand-bench email [options]
        --requests N        requests per mode (default 300)
        --concurrency N     client threads (default 8)
        --smtp-delay-ms N   how long the SMTP server takes to accept a message (default 1000)
        --lane-threads N    after-response lane threads (default 64)
      """;

  private EmailWorkload() {}

  /** The workload's options; {@link #parse} rejects bad ones naming them. */
  record Options(int requests, int concurrency, Duration smtpDelay, int laneThreads) {
    static Options parse(String... args) {
      int requests = 300;
      int concurrency = 8;
      long delayMs = 1000;
      int laneThreads = 64;
      for (int i = 0; i < args.length; i += 2) {
        String flag = args[i];
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException(flag + " needs a value\n" + USAGE);
        }
        int v = Integer.parseInt(args[i + 1]);
        if (v < 1) {
          throw new IllegalArgumentException(flag + " must be positive, got " + v + "\n" + USAGE);
        }
        switch (flag) {
          case "--requests" -> requests = v;
          case "--concurrency" -> concurrency = v;
          case "--smtp-delay-ms" -> delayMs = v;
          case "--lane-threads" -> laneThreads = v;
          default -> throw new IllegalArgumentException("unknown option " + flag + "\n" + USAGE);
        }
      }
      return new Options(requests, concurrency, Duration.ofMillis(delayMs), laneThreads);
    }
  }

  /** Latencies of one mode, in milliseconds, and the emails the SMTP server accepted for it. */
  record Row(
      String mode,
      double p50,
      double p90,
      double p99,
      double max,
      int emailsAccepted,
      ShutdownReport lane) {}

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

  /** Runs both modes, synchronous first, each on a fresh server and lane. */
  static List<Row> run(Options o, PrintStream progress) throws Exception {
    List<Row> rows = new ArrayList<>();
    for (String mode : List.of("synchronous", "after-response")) {
      try (SlowSmtpServer smtp = new SlowSmtpServer(o.smtpDelay())) {
        progress.printf(
            "email: %s, %d requests, %d client threads, SMTP accepts in %s%n",
            mode, o.requests(), o.concurrency(), o.smtpDelay());
        rows.add(runMode(o, mode, smtp));
      }
    }
    return rows;
  }

  private static Row runMode(Options o, String mode, SlowSmtpServer smtp) throws Exception {
    SmtpMailer mailer = new SmtpMailer(smtp.port());
    AfterResponseLane lane =
        AfterResponseLane.builder()
            .threads(o.laneThreads())
            .queueCapacity(Math.max(1024, o.requests()))
            .shutdownGrace(
                o.smtpDelay().multipliedBy(o.requests() / o.laneThreads() + 2).plusSeconds(30))
            .build();
    Server server = new Server();
    ServerConnector connector = new ServerConnector(server);
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    server.addConnector(connector);
    ServletContextHandler context = new ServletContextHandler();
    // outside AfterResponseFilter: counts a request once its task was handed to the lane, which
    // happens after the client has the whole response
    CountDownLatch handedOver = new CountDownLatch(o.requests());
    jakarta.servlet.Filter counter =
        (req, resp, chain) -> {
          try {
            chain.doFilter(req, resp);
          } finally {
            handedOver.countDown();
          }
        };
    context.addFilter(new FilterHolder(counter), "/*", EnumSet.of(DispatcherType.REQUEST));
    FilterHolder filter = new FilterHolder(new AfterResponseFilter(lane));
    filter.setAsyncSupported(true);
    context.addFilter(filter, "/*", EnumSet.of(DispatcherType.REQUEST, DispatcherType.ASYNC));
    context.addServlet(new ServletHolder(new Signup(mailer, mode.equals("after-response"))), "/*");
    server.setHandler(context);
    server.start();
    ExecutorService clients = Executors.newFixedThreadPool(o.concurrency());
    try {
      HttpClient client = HttpClient.newHttpClient(); // its own executor: ours is busy in send()
      URI uri = URI.create("http://127.0.0.1:" + connector.getLocalPort() + "/verify-email");
      List<Future<Long>> calls = new ArrayList<>(o.requests());
      for (int i = 0; i < o.requests(); i++) {
        int n = i;
        calls.add(
            clients.submit(
                () -> {
                  HttpRequest request = HttpRequest.newBuilder(uri.resolve("?user=" + n)).build();
                  long start = System.nanoTime();
                  HttpResponse<String> response =
                      client.send(request, HttpResponse.BodyHandlers.ofString());
                  long nanos = System.nanoTime() - start;
                  if (response.statusCode() != 200) {
                    throw new IllegalStateException(
                        "request " + n + " got " + response.statusCode());
                  }
                  return nanos;
                }));
      }
      long[] nanos = new long[calls.size()];
      for (int i = 0; i < nanos.length; i++) {
        nanos[i] = calls.get(i).get();
      }
      handedOver.await(30, TimeUnit.SECONDS); // the last responses are in; their hand-offs follow
      ShutdownReport report = lane.shutdown(); // waits for the emails still being sent
      Arrays.sort(nanos);
      return new Row(
          mode,
          ms(percentile(nanos, 0.50)),
          ms(percentile(nanos, 0.90)),
          ms(percentile(nanos, 0.99)),
          ms(nanos[nanos.length - 1]),
          smtp.accepted(),
          report);
    } finally {
      clients.shutdownNow();
      server.stop();
      lane.shutdown();
    }
  }

  static long percentile(long[] sorted, double q) {
    int rank = (int) Math.ceil(q * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  private static double ms(long nanos) {
    return nanos / 1e6;
  }

  /** Prints the report as Markdown. */
  static void print(Options o, List<Row> rows, PrintStream out) {
    out.printf(
        Locale.ROOT,
        "### Response time with a %d ms SMTP server (%d requests per mode, %d"
            + " client threads, %d lane threads)%n%n",
        o.smtpDelay().toMillis(),
        o.requests(),
        o.concurrency(),
        o.laneThreads());
    out.println(
        "| mode | p50 ms | p90 ms | p99 ms | max ms | emails accepted | lane at shutdown |");
    out.println("|---|---:|---:|---:|---:|---:|---|");
    for (Row r : rows) {
      out.printf(
          Locale.ROOT,
          "| %s | %.1f | %.1f | %.1f | %.1f | %d | %s |%n",
          r.mode(),
          r.p50(),
          r.p90(),
          r.p99(),
          r.max(),
          r.emailsAccepted(),
          r.lane().drained()
              ? "drained"
              : r.lane().interrupted().size()
                  + " interrupted, "
                  + r.lane().notStarted().size()
                  + " not started");
    }
  }

  /** GET /verify-email?user=N: stores nothing, sends the verification email, answers 200. */
  private static final class Signup extends HttpServlet {
    private final SmtpMailer mailer;
    private final boolean afterResponse;

    Signup(SmtpMailer mailer, boolean afterResponse) {
      this.mailer = mailer;
      this.afterResponse = afterResponse;
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
      String to = "user" + req.getParameter("user") + "@example.com";
      if (afterResponse) {
        AfterResponse.run(
            "send-verification-email",
            () -> {
              mailer.send(to, "Verify your email", "Click the link.");
              return null;
            });
      } else {
        mailer.send(to, "Verify your email", "Click the link.");
      }
      resp.setContentType("application/json");
      resp.getWriter().write("{\"message\":\"Verification email sent\"}");
    }
  }
}
