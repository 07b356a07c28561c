package io.fluxgate.node;

import io.vertx.core.Handler;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's last word on an error no handler took: a client's mistake that a library reports by throwing (an MQTT
 * packet before CONNECT) is one short line, at most one a second with a count of the rest; anything else is a bug
 * and keeps its stack trace.
 */
final class UnhandledErrors implements Handler<Throwable> {

  private static final Logger LOG = LoggerFactory.getLogger(UnhandledErrors.class);
  private static final String PACKET_BEFORE_CONNECT = "Received an MQTT packet from a not connected client";

  private final AtomicLong lastLogged = new AtomicLong();
  private final AtomicLong suppressed = new AtomicLong();

  @Override
  public void handle(Throwable error) {
    if (error instanceof IllegalArgumentException && error.getMessage() != null
        && error.getMessage().startsWith(PACKET_BEFORE_CONNECT)) {
      long now = System.nanoTime();
      long last = lastLogged.get();
      if (now - last >= 1_000_000_000L && lastLogged.compareAndSet(last, now)) {
        long others = suppressed.getAndSet(0);
        LOG.info("MQTT connection closed: a packet before CONNECT{}",
            others == 0 ? "" : " (and " + others + " more such connections in the last second or more)");
      } else {
        suppressed.incrementAndGet();
      }
      return;
    }
    LOG.error("unhandled error", error);
  }
}
