package io.fluxgate.users;

import io.fluxgate.config.ConfigSection;
import io.fluxgate.config.ConfigTree;
import io.vertx.ext.mail.LoginOption;
import io.vertx.ext.mail.MailConfig;
import io.vertx.ext.mail.StartTLSOptions;
import java.util.List;
import java.util.Locale;

/** The SMTP server password-reset mails go through, from the {@code smtp} section ({@code FG_SMTP_*}). */
public record SmtpConfig(String host, int port, String username, String password, String from, String starttls) {

  public static SmtpConfig from(ConfigTree tree) {
    ConfigSection smtp = tree.section("smtp");
    return new SmtpConfig(
        smtp.string("host", "localhost"),
        smtp.port("port", 25),
        smtp.string("username", ""),
        smtp.string("password", ""),
        smtp.string("from", "fluxgate@localhost"),
        smtp.choice("starttls", "optional", List.of("disabled", "optional", "required")));
  }

  /** The mail client's settings. */
  public MailConfig mailConfig() {
    MailConfig config = new MailConfig()
        .setHostname(host)
        .setPort(port)
        .setStarttls(StartTLSOptions.valueOf(starttls.toUpperCase(Locale.ROOT)));
    if (username.isEmpty()) {
      return config.setLogin(LoginOption.DISABLED);
    }
    return config.setLogin(LoginOption.REQUIRED).setUsername(username).setPassword(password);
  }

  @Override
  public String toString() {
    return "SmtpConfig[host=" + host + ", port=" + port + ", username=" + username + ", from=" + from + "]";
  }
}
