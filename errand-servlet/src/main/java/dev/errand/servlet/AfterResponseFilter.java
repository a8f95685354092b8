package dev.errand.servlet;

import dev.errand.AfterResponse;
import dev.errand.AfterResponseLane;
import dev.errand.RequestScope;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.FilterConfig;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Jakarta Servlet 6 filter that gives every request a {@link RequestScope}: {@link
 * AfterResponse#run} inside the request adds to it, and once the response is complete the tasks go
 * to the {@link AfterResponseLane}, in the order added.
 *
 * <p>"Complete" means the client has the whole response: after the chain returns, the filter closes
 * the response's output (stream or writer), which sends the last bytes (the final chunk, or the
 * rest of a {@code Content-Length} body), and only then hands over the tasks. For an asynchronous
 * request ({@code request.startAsync()}) it waits for {@link AsyncListener#onComplete}. If the
 * chain throws, or the async request ends in an error, the tasks are discarded (counted and logged,
 * not run): the handler did not finish its work.
 *
 * <p>Register it first in the chain, for {@link DispatcherType#REQUEST} and {@link
 * DispatcherType#ASYNC} (with async support on), so that async re-dispatches see the same scope:
 *
 * <pre>{@code
 * FilterRegistration.Dynamic f = servletContext.addFilter("errand", new AfterResponseFilter(lane));
 * f.setAsyncSupported(true);
 * f.addMappingForUrlPatterns(EnumSet.of(DispatcherType.REQUEST, DispatcherType.ASYNC), false, "/*");
 * }</pre>
 *
 * <p>The correlation id of a request is its {@code X-Request-Id} header (or the header named in the
 * constructor); without one, the lane generates an id. On a thread of its own (an async handler's
 * executor), find the scope with {@link #scope(ServletRequest)} and add to it directly or
 * {@linkplain RequestScope#bind() bind} it. Thread-safe; the container calls it on its request
 * threads.
 */
public final class AfterResponseFilter implements Filter {
  /** The header read for the correlation id unless another is given. */
  public static final String DEFAULT_CORRELATION_HEADER = "X-Request-Id";

  /** The request attribute that holds the request's {@link RequestScope}. */
  public static final String SCOPE_ATTRIBUTE = RequestScope.class.getName();

  private static final Logger log = LoggerFactory.getLogger(AfterResponseFilter.class);

  private final AfterResponseLane lane;
  private final String correlationHeader;

  /** A filter that hands tasks to {@code lane} and reads {@code X-Request-Id}. */
  public AfterResponseFilter(AfterResponseLane lane) {
    this(lane, DEFAULT_CORRELATION_HEADER);
  }

  /**
   * A filter that hands tasks to {@code lane} and reads the correlation id from {@code
   * correlationHeader}.
   *
   * @throws IllegalArgumentException if the header name is blank
   */
  public AfterResponseFilter(AfterResponseLane lane, String correlationHeader) {
    this.lane = Objects.requireNonNull(lane, "lane");
    if (correlationHeader == null || correlationHeader.isBlank()) {
      throw new IllegalArgumentException(
          "correlation header name must not be blank, got '"
              + correlationHeader
              + "'; the default is "
              + DEFAULT_CORRELATION_HEADER);
    }
    this.correlationHeader = correlationHeader;
  }

  /** The scope of {@code request}, if this filter opened one. */
  public static Optional<RequestScope> scope(ServletRequest request) {
    Object scope = request.getAttribute(SCOPE_ATTRIBUTE);
    return scope instanceof RequestScope ? Optional.of((RequestScope) scope) : Optional.empty();
  }

  /** Installs the lane for calls outside requests, unless one is installed already. */
  @Override
  public void init(FilterConfig config) {
    AfterResponse.installIfAbsent(lane);
  }

  @Override
  public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
      throws IOException, ServletException {
    Optional<RequestScope> existing = scope(request);
    if (existing.isPresent()) { // an async, forward or error dispatch of a request we opened
      try (RequestScope.Binding b = existing.get().bind()) {
        chain.doFilter(request, response);
      }
      return;
    }
    String correlationId =
        request instanceof HttpServletRequest
            ? ((HttpServletRequest) request).getHeader(correlationHeader)
            : null;
    RequestScope scope = lane.openScope(correlationId);
    request.setAttribute(SCOPE_ATTRIBUTE, scope);
    try (RequestScope.Binding b = scope.bind()) {
      chain.doFilter(request, response);
    } catch (IOException | ServletException | RuntimeException | Error e) {
      scope.discard(e);
      throw e;
    }
    if (request.isAsyncStarted()) {
      try {
        request.getAsyncContext().addListener(new CompleteOnAsyncEnd(scope));
        return;
      } catch (IllegalStateException completedMeanwhile) {
        // the async request completed on its own thread after isAsyncStarted(): it is complete
        scope.complete();
        return;
      }
    }
    try {
      finish(response);
    } catch (IOException e) {
      log.debug(
          "errand: could not finish the response of request {} (client gone?); running its"
              + " after-response tasks anyway",
          scope.correlationId(),
          e);
    } finally {
      scope.complete();
    }
  }

  /** Sends the rest of the response: closing its output ends a chunked body or a sized one. */
  private static void finish(ServletResponse response) throws IOException {
    response.flushBuffer();
    try {
      response.getOutputStream().close();
    } catch (IllegalStateException writerInUse) {
      response.getWriter().close();
    }
  }

  /** Hands the tasks over when an async request completes; discards them if it failed. */
  private static final class CompleteOnAsyncEnd implements AsyncListener {
    private final RequestScope scope;

    CompleteOnAsyncEnd(RequestScope scope) {
      this.scope = scope;
    }

    @Override
    public void onComplete(AsyncEvent event) {
      scope.complete();
    }

    @Override
    public void onError(AsyncEvent event) {
      scope.discard(event.getThrowable());
    }

    @Override
    public void onTimeout(AsyncEvent event) {
      // the container dispatches to its error handling, then completes: onComplete hands over
    }

    @Override
    public void onStartAsync(AsyncEvent event) {
      event.getAsyncContext().addListener(this); // a new async cycle drops the listeners
    }
  }
}
