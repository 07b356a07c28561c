package io.fluxgate.events;

import io.fluxgate.codecs.DomainEvent;
import java.util.List;

/** What a command did: its result for the caller and the events that record it. */
public record Change<T>(T result, List<DomainEvent> events) {

  public static <T> Change<T> of(T result, DomainEvent... events) {
    return new Change<>(result, List.of(events));
  }
}
