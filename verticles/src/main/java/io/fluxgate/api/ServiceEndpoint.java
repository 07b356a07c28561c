package io.fluxgate.api;

/** A deployed service's listener, so the node can say where it listens. */
public interface ServiceEndpoint {

  String service();

  /** The port listened on (the configured one, or the one chosen when 0 was configured). */
  int actualPort();

  /** One line for people starting the node: what listens where. */
  default String describe(String host) {
    return service() + " API on http://" + host + ":" + actualPort();
  }
}
