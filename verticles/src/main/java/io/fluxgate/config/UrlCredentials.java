package io.fluxgate.config;

/** Keeps credentials embedded in connection URLs out of messages and logs. */
public final class UrlCredentials {

  private UrlCredentials() {}

  /** {@code scheme://user:secret@host} becomes {@code scheme://user:***@host}; a lone token becomes {@code ***}. */
  public static String hide(String url) {
    return url
        .replaceAll("://([^:/@,]*):[^@/,]*@", "://$1:***@")
        .replaceAll("://[^:/@,]+@", "://***@");
  }
}
