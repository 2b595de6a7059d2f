package dev.kora.node.impl.eventbus;

import dev.kora.node.eventbus.CommittedChange;
import dev.kora.protocol.JsonMessageCodec;
import io.vertx.core.json.JsonObject;

/**
 * Carries {@link CommittedChange}s on the event bus: the same immutable object to local consumers (a
 * publish costs no copy, also when nobody listens), its JSON text across a cluster.
 */
public final class CommittedChangeCodec extends JsonMessageCodec<CommittedChange> {

  /** The codec's name on the event bus. */
  public static final String NAME = "kora.committed";

  @Override
  protected JsonObject toJson(CommittedChange change) {
    return change.toJson();
  }

  @Override
  protected CommittedChange fromJson(JsonObject json) {
    return CommittedChange.fromJson(json);
  }

  @Override
  public String name() {
    return NAME;
  }
}
