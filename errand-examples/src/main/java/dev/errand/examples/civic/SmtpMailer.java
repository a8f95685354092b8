package dev.errand.examples.civic;

import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.time.Duration;
import java.util.Objects;
import java.util.Properties;

/**
 * Sends plain-text email through an SMTP server with Jakarta Mail (Angus Mail), one connection per
 * message. Thread-safe: the session holds settings only.
 */
public final class SmtpMailer {
  private final String host;
  private final int port;
  private final InternetAddress from;
  private final Session session;

  /**
   * A mailer for the server at {@code host:port} (no TLS, no authentication: a local relay).
   *
   * @param timeout limit for connecting and for each read and write on the connection
   * @throws IllegalArgumentException if {@code from} is not an email address
   */
  public SmtpMailer(String host, int port, String from, Duration timeout) {
    this.host = Objects.requireNonNull(host, "host");
    this.port = port;
    try {
      this.from = new InternetAddress(from, true);
    } catch (MessagingException e) {
      throw new IllegalArgumentException("sender address '" + from + "' is not valid", e);
    }
    Properties p = new Properties();
    p.put("mail.smtp.host", host);
    p.put("mail.smtp.port", String.valueOf(port));
    String ms = String.valueOf(timeout.toMillis());
    p.put("mail.smtp.connectiontimeout", ms);
    p.put("mail.smtp.timeout", ms);
    p.put("mail.smtp.writetimeout", ms);
    this.session = Session.getInstance(p);
  }

  /**
   * Sends one message and returns once the server accepted it.
   *
   * @throws jakarta.mail.internet.AddressException if {@code to} is not an email address (retrying
   *     cannot help)
   * @throws MessagingException if the server could not be reached or refused the message
   */
  public void send(String to, String subject, String body) throws MessagingException {
    MimeMessage m = new MimeMessage(session);
    m.setFrom(from);
    m.setRecipient(Message.RecipientType.TO, new InternetAddress(to, true));
    m.setSubject(subject, "UTF-8");
    m.setText(body, "UTF-8");
    Transport.send(m);
  }

  @Override
  public String toString() {
    return "smtp://" + host + ":" + port + " from " + from;
  }
}
