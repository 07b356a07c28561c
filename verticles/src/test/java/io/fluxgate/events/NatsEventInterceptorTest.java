package io.fluxgate.events;

import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.events.nats.NatsEventStore;
import io.fluxgate.testing.StoreBackend;
import io.fluxgate.testing.TestStores;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.api.MessageInfo;
import org.junit.jupiter.api.AfterEach;

/**
 * The interceptor on the real NATS JetStream. The probe reads the last message stored on the event's subject:
 * event ids increase in publishing order, so the event is stored if that message's id is the same or later.
 */
class NatsEventInterceptorTest extends EventInterceptorContract {

  private Connection probe;

  @Override
  StoreBackend backend() {
    return StoreBackend.NATS;
  }

  @Override
  boolean storeHolds(DomainEvent event) throws Exception {
    if (probe == null) {
      probe = Nats.connect(TestStores.NATS_URL);
    }
    MessageInfo last = probe.jetStreamManagement()
        .getLastMessage(((io.fluxgate.events.nats.NatsSettings) fx.config.store()).stream(), NatsEventStore.subject(event.stream()));
    String lastId = last.getHeaders().getFirst("Nats-Msg-Id");
    return lastId.compareTo(event.eventId()) >= 0;
  }

  @AfterEach
  void closeProbe() throws InterruptedException {
    if (probe != null) {
      probe.close();
    }
  }
}
