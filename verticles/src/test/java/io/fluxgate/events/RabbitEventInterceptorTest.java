package io.fluxgate.events;

import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.events.rabbitmq.RabbitSettings;
import io.fluxgate.testing.RabbitProbe;
import io.fluxgate.testing.StoreBackend;
import org.junit.jupiter.api.AfterEach;

/**
 * The interceptor on the real RabbitMQ. The probe reads the event's stream queue over a blocking connection of its
 * own, from a little before the event's time up to an end marker it publishes, looking for the event's message id.
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
    return probe.holds(event.stream(), event.eventId(), event.occurredAt());
  }

  @AfterEach
  void closeProbe() throws Exception {
    if (probe != null) {
      probe.close();
    }
  }
}
