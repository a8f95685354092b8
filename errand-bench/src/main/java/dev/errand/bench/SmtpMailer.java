package dev.errand.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * Sends one plain-text message per SMTP session to a loopback server: what a handler's "send the
 * verification email" does, without a mail library. Thread-safe (no shared state).
 */
final class SmtpMailer {
  private final int port;

  SmtpMailer(int port) {
    this.port = port;
  }

  /** Sends the message and returns once the server accepted it (its 250 after DATA). */
  void send(String to, String subject, String body) throws IOException {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
        BufferedReader in =
            new BufferedReader(
                new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII))) {
      OutputStream out = s.getOutputStream();
      expect(in, "220");
      command(out, in, "EHLO bench", "250");
      command(out, in, "MAIL FROM:<noreply@errand.dev>", "250");
      command(out, in, "RCPT TO:<" + to + ">", "250");
      command(out, in, "DATA", "354");
      command(out, in, "Subject: " + subject + "\r\n\r\n" + body + "\r\n.", "250");
      command(out, in, "QUIT", "221");
    }
  }

  private static void command(OutputStream out, BufferedReader in, String line, String code)
      throws IOException {
    out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
    out.flush();
    expect(in, code);
  }

  private static void expect(BufferedReader in, String code) throws IOException {
    String reply = in.readLine();
    if (reply == null || !reply.startsWith(code)) {
      throw new IOException("SMTP server replied '" + reply + "', expected " + code);
    }
  }
}
