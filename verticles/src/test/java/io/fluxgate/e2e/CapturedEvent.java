package io.fluxgate.e2e;

import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * One event read back from a store with that store's own client: its operation, the JSON body as stored, and
 * the store's own rendering of it (subject and headers, stream entry, message properties, table row).
 */
record CapturedEvent(String store, String operation, JsonObject body, List<String> nativeFields, String rendering) {}
