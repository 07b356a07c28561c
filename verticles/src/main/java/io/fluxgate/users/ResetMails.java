package io.fluxgate.users;

import io.vertx.core.Future;
import io.vertx.ext.mail.MailClient;
import io.vertx.ext.mail.MailMessage;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Sends the password-reset link, to the configured reset page and never to one a request names, by e-mail. */
public final class ResetMails {

  private static final Logger LOG = LoggerFactory.getLogger(ResetMails.class);

  private final MailClient mail;
  private final String from;
  private final String resetUrl;
  private final LongAdder failures = new LongAdder();

  public ResetMails(MailClient mail, String from, String resetUrl) {
    this.mail = mail;
    this.from = from;
    this.resetUrl = resetUrl;
  }

  /** Mails {@code to} a link to the reset page carrying {@code token}. */
  public Future<Void> send(String to, String token) {
    String link = resetUrl + (resetUrl.contains("?") ? "&" : "?") + "token=" + token;
    return mail.sendMail(new MailMessage()
        .setFrom(from)
        .setTo(to)
        .setSubject("Reset your Fluxgate password")
        .setText("Someone asked to reset the password of " + to + ".\n\n"
            + "To choose a new one, open " + link + "\n\n"
            + "The link works once and expires soon. If you did not ask for it, ignore this mail.\n"))
        .mapEmpty();
  }

  /** Counts and logs, in one line without the address's local part or any token, a reset mail that was not sent. */
  void failed(String to, Throwable error) {
    String reason = String.valueOf(error.getMessage()).replace(to, masked(to)).replaceAll("[\\r\\n]+", " ");
    LOG.warn("password-reset mail to {} not sent: {}: {}", masked(to), error.getClass().getSimpleName(), reason);
    failures.increment();
  }

  /** Reset mails not sent since start (SMTP or look-up failures); served as {@code fluxgate_users_reset_mail_failures}. */
  public long failures() {
    return failures.sum();
  }

  /** {@code alice@example.com} becomes {@code a***@example.com}: enough for an operator, no account list for a reader. */
  static String masked(String address) {
    int at = address.lastIndexOf('@');
    if (at <= 0) {
      return "***";
    }
    return address.charAt(0) + "***" + address.substring(at);
  }
}
