package io.fluxgate.events;

import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.events.redis.RedisEventStore;
import io.fluxgate.events.redis.RedisSettings;
import io.fluxgate.testing.RedisProbe;
import io.fluxgate.testing.StoreBackend;
import java.util.List;
import org.junit.jupiter.api.AfterEach;

/**
 * The interceptor on the real Redis. The probe reads the last entry of the event's stream over a blocking socket of
 * its own: event ids increase in publishing order, so the event is stored if that entry's id is the same or later.
 */
class RedisEventInterceptorTest extends EventInterceptorContract {

  private RedisProbe probe;

  @Override
  StoreBackend backend() {
    return StoreBackend.REDIS;
  }

  @Override
  @SuppressWarnings("unchecked")
  boolean storeHolds(DomainEvent event) throws Exception {
    if (probe == null) {
      probe = new RedisProbe(((RedisSettings) fx.config.store()).url());
    }
    List<Object> last = (List<Object>) probe.call("XREVRANGE", RedisEventStore.key(event.stream()), "+", "-",
        "COUNT", "1");
    if (last.isEmpty()) {
      return false;
    }
    List<Object> fields = (List<Object>) ((List<Object>) last.get(0)).get(1);
    String lastId = (String) fields.get(fields.indexOf(DomainEvent.EVENT_ID) + 1);
    return lastId.compareTo(event.eventId()) >= 0;
  }

  @AfterEach
  void closeProbe() throws Exception {
    if (probe != null) {
      probe.close();
    }
  }
}
