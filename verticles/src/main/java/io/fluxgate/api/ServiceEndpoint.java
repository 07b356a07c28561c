package io.fluxgate.api;

/** A deployed service's HTTP API, so the node can say where it listens. */
public interface ServiceEndpoint {

  String service();

  /** The port listened on (the configured one, or the one chosen when 0 was configured). */
  int actualPort();
}
