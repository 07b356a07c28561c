package io.fluxgate.events.nats;

import io.nats.client.Connection;
import io.nats.client.ErrorListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Sends jnats' connection troubles to the log once per occurrence instead of to standard error. */
final class QuietErrorListener implements ErrorListener {

  private static final Logger LOG = LoggerFactory.getLogger(NatsEventStore.class);

  @Override
  public void errorOccurred(Connection conn, String error) {
    LOG.warn("NATS error: {}", error);
  }

  @Override
  public void exceptionOccurred(Connection conn, Exception exp) {
    LOG.debug("NATS connection exception: {}", exp.toString());
  }
}
