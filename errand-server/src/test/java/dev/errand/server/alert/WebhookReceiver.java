package dev.errand.server.alert;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntUnaryOperator;

/**
 * A real HTTP endpoint on loopback that records every POSTed body and answers with the status
 * {@code answer} gives for the request's number (1 for the first); {@link #hold()} makes it wait
 * until {@link #release()}, like a slow webhook.
 */
final class WebhookReceiver implements AutoCloseable {
  final List<String> bodies = new CopyOnWriteArrayList<>();
  final AtomicInteger requests = new AtomicInteger();
  private final HttpServer server;
  private final ExecutorService threads = Executors.newCachedThreadPool();
  private volatile IntUnaryOperator answer = n -> 200;
  private volatile CountDownLatch gate = new CountDownLatch(0);

  WebhookReceiver() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(threads);
    server.createContext(
        "/hook",
        x -> {
          int n = requests.incrementAndGet();
          String body = new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
          try {
            gate.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          int status = answer.applyAsInt(n);
          if (status == 200) {
            bodies.add(body);
          }
          byte[] b = (status == 200 ? "ok" : "no").getBytes(StandardCharsets.UTF_8);
          x.sendResponseHeaders(status, b.length);
          x.getResponseBody().write(b);
          x.close();
        });
    server.start();
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
  }

  void answer(IntUnaryOperator statusForRequest) {
    this.answer = statusForRequest;
  }

  void hold() {
    gate = new CountDownLatch(1);
  }

  void release() {
    gate.countDown();
  }

  @Override
  public void close() {
    release();
    server.stop(0);
    threads.shutdownNow();
  }
}
