package dev.errand.servlet;

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
import java.util.List;

/**
 * A filter placed in front of {@link AfterResponseFilter} that records "response closed" once the
 * container has taken the last byte of the response (when the output stream's close returns).
 */
final class ServletEvents implements Filter {
  private final List<String> events;

  ServletEvents(List<String> events) {
    this.events = events;
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
        out = new ServletOutputStream() {
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
