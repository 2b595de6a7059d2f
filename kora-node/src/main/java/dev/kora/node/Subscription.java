package dev.kora.node;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/**
 * An embedded subscription made with {@link KoraNode#subscribe}. The {@link #initial()} answer and the
 * pushes that follow fit together with no gap and no overlap: applying the answer and then each push,
 * in order, to a copy keeps it equal to the server's data at the subscribed paths.
 */
public interface Subscription {

  /** @return the answer at the moment of subscribing, {@code {"merge": {...}, "delete": {...}}} */
  JsonObject initial();

  /** @return completes once no more pushes will arrive */
  Future<Void> close();
}
