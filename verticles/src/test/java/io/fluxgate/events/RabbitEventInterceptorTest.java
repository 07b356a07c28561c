package io.fluxgate.events;

import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.events.rabbitmq.RabbitSettings;
import io.fluxgate.testing.RabbitProbe;
import io.fluxgate.testing.StoreBackend;
import org.junit.jupiter.api.AfterEach;

/**
 * The interceptor on the real RabbitMQ. The probe follows the event's stream queue over a connection of its own and
 * answers once it has seen an end marker published at the call, so every message stored before the call was seen.
 */
class RabbitEventInterceptorTest extends EventInterceptorContract {

  private RabbitProbe probe;

  @Override
  StoreBackend backend() {
    return StoreBackend.RABBITMQ;
  }

  @Override
  boolean storeHolds(DomainEvent event) throws Exception {
    if (probe == null) {
      probe = new RabbitProbe(((RabbitSettings) fx.config.store()).url());
    }
    return probe.holds(event.stream(), event.eventId());
  }

  @AfterEach
  void closeProbe() throws Exception {
    if (probe != null) {
      probe.close();
    }
  }
}
