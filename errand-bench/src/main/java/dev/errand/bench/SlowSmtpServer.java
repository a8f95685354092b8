package dev.errand.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real SMTP server on loopback (enough of RFC 5321 for one message per session) that takes {@code
 * delay} to accept each message, like a slow relay. One thread per session, so concurrent senders
 * each wait {@code delay}, not in turn. Counts the messages it accepted.
 */
final class SlowSmtpServer implements AutoCloseable {
  private final ServerSocket socket;
  private final Duration delay;
  private final ExecutorService sessions =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "smtp-session");
            t.setDaemon(true);
            return t;
          });
  private final AtomicInteger accepted = new AtomicInteger();
  private final Thread acceptor;

  SlowSmtpServer(Duration delay) throws IOException {
    this.delay = delay;
    this.socket = new ServerSocket(0, 512, InetAddress.getLoopbackAddress());
    this.acceptor = new Thread(this::acceptLoop, "smtp-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  int port() {
    return socket.getLocalPort();
  }

  /** Messages accepted so far (each after its delay). */
  int accepted() {
    return accepted.get();
  }

  private void acceptLoop() {
    while (!socket.isClosed()) {
      try {
        Socket s = socket.accept();
        sessions.execute(() -> session(s));
      } catch (IOException e) {
        if (!socket.isClosed()) {
          System.err.println("smtp: accept failed: " + e);
        }
      }
    }
  }

  private void session(Socket s) {
    try (s;
        BufferedReader in =
            new BufferedReader(
                new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII))) {
      OutputStream out = s.getOutputStream();
      reply(out, "220 bench ESMTP");
      for (String line; (line = in.readLine()) != null; ) {
        String verb =
            line.length() >= 4 ? line.substring(0, 4).toUpperCase(java.util.Locale.ROOT) : line;
        switch (verb) {
          case "EHLO", "HELO" -> reply(out, "250 bench");
          case "MAIL", "RCPT", "RSET", "NOOP" -> reply(out, "250 OK");
          case "DATA" -> {
            reply(out, "354 End data with <CR><LF>.<CR><LF>");
            for (String body; (body = in.readLine()) != null && !body.equals("."); ) {
              // the message body is read and dropped
            }
            Thread.sleep(delay.toMillis()); // the slow relay this server stands in for
            accepted.incrementAndGet();
            reply(out, "250 OK queued");
          }
          case "QUIT" -> {
            reply(out, "221 Bye");
            return;
          }
          default -> reply(out, "502 command not implemented");
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void reply(OutputStream out, String line) throws IOException {
    out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
    out.flush();
  }

  @Override
  public void close() throws IOException {
    socket.close();
    sessions.shutdownNow();
  }
}
