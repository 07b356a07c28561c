package io.fluxgate.events;

import static org.assertj.core.api.Assertions.assertThat;

import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.events.EventStore.StartFrom;
import io.fluxgate.testing.Await;
import io.fluxgate.testing.StoreBackend;
import io.vertx.sqlclient.Tuple;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;

/** The durable-consumer contract on the SQL store in embedded H2, and its cursor lease. */
class SqlH2EventStoreTest extends EventStoreContract {

  @Override
  StoreBackend backend() {
    return StoreBackend.SQL_ON_H2;
  }

  @Test
  void aConsumerRenewsItsCursorLeaseOnceHalfSpentNotAtEveryRead() {
    Queue<DomainEvent> seen = new ConcurrentLinkedQueue<>();
    recordInto(seen, "bootstrap", StartFrom.BEGINNING);
    append(0, 1);
    Await.until("the first event handled", WAIT, () -> seen.size() == 1);
    long lease = leaseUntil("bootstrap");

    append(1, 1);
    Await.until("the second event handled, read under the same lease", WAIT, () -> seen.size() == 2);
    assertThat(leaseUntil("bootstrap")).as("the lease (10 s) was not half spent: no write").isEqualTo(lease);
  }

  private long leaseUntil(String consumer) {
    return Await.result(fx.db.inTransaction(conn -> conn.preparedQuery(fx.db.sql(
            "SELECT lease_until FROM event_cursors WHERE stream = ? AND consumer = ?"))
        .execute(Tuple.of(fx.streams().things(), consumer))))
        .iterator().next().getLong("lease_until");
  }
}
