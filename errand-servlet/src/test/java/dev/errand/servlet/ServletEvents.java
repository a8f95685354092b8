package dev.errand.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A filter placed in front of {@link AfterResponseFilter} that records "response closed" once the
 * container has taken the last byte of the response (when the output stream's close returns).
 * Shared with errand-javalin's tests through this module's test jar.
 */
public final class ServletEvents implements Filter {
  private final List<String> events;

  /** Records into {@code events}. */
  public ServletEvents(List<String> events) {
    this.events = events;
  }

  /**
   * GETs {@code path} on the loopback {@code port} (with an {@code X-Request-Id} unless null) and
   * records "response complete" once the client has the whole body.
   */
  public static HttpResponse<String> get(
      HttpClient client, int port, String path, String requestId, List<String> events)
      throws IOException, InterruptedException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
    if (requestId != null) {
      request.header("X-Request-Id", requestId);
    }
    HttpResponse<String> response =
        client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    events.add("response complete");
    return response;
  }

  /**
   * The task of the order tests: records "task started", works for 2 s, records "task finished".
   */
  public static Runnable twoSecondTask(List<String> events) {
    return () -> {
      events.add("task started");
      try {
        TimeUnit.SECONDS.sleep(2); // the work under test takes 2 s; the tests wait on events
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      events.add("task finished");
    };
  }

  /**
   * The server sent the response's last byte before the task started, and the client had the whole
   * response while the task still ran.
   */
  public static void assertResponseCameFirst(List<String> events) {
    assertThat(events)
        .contains("response closed", "task started", "response complete", "task finished");
    assertThat(events.indexOf("response closed"))
        .as("the server sent the last byte before the task started: %s", events)
        .isLessThan(events.indexOf("task started"));
    assertThat(events.indexOf("response complete"))
        .as("the client had the whole response while the task still ran: %s", events)
        .isLessThan(events.indexOf("task finished"));
  }

  @Override
  public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
      throws IOException, ServletException {
    chain.doFilter(request, new Recording((HttpServletResponse) response));
  }

  private final class Recording extends HttpServletResponseWrapper {
    private ServletOutputStream out;

    Recording(HttpServletResponse response) {
      super(response);
    }

    @Override
    public ServletOutputStream getOutputStream() throws IOException {
      if (out == null) {
        ServletOutputStream delegate = super.getOutputStream();
        out =
            new ServletOutputStream() {
              private boolean closed;

              @Override
              public boolean isReady() {
                return delegate.isReady();
              }

              @Override
              public void setWriteListener(WriteListener listener) {
                delegate.setWriteListener(listener);
              }

              @Override
              public void write(int b) throws IOException {
                delegate.write(b);
              }

              @Override
              public void write(byte[] b, int off, int len) throws IOException {
                delegate.write(b, off, len);
              }

              @Override
              public void flush() throws IOException {
                delegate.flush();
              }

              @Override
              public void close() throws IOException {
                delegate.close();
                if (!closed) {
                  closed = true;
                  events.add("response closed");
                }
              }
            };
      }
      return out;
    }
  }
}
