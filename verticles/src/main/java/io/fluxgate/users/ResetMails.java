package io.fluxgate.users;

import io.vertx.core.Future;
import io.vertx.ext.mail.MailClient;
import io.vertx.ext.mail.MailMessage;

/** Sends the password-reset link, to the configured reset page and never to one a request names, by e-mail. */
public final class ResetMails {

  private final MailClient mail;
  private final String from;
  private final String resetUrl;

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
}
