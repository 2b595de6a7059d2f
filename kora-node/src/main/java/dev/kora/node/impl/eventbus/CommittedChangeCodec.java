package dev.kora.node.impl.eventbus;

import dev.kora.node.eventbus.CommittedChange;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;
import io.vertx.core.json.JsonObject;

/**
 * Carries {@link CommittedChange}s on the event bus: the same immutable object to local consumers (a
 * publish costs no copy, also when nobody listens), its JSON text across a cluster.
 */
public final class CommittedChangeCodec implements MessageCodec<CommittedChange, CommittedChange> {

  /** The codec's name on the event bus. */
  public static final String NAME = "kora.committed";

  @Override
  public void encodeToWire(Buffer buffer, CommittedChange change) {
    Buffer json = change.toJson().toBuffer();
    buffer.appendInt(json.length()).appendBuffer(json);
  }

  @Override
  public CommittedChange decodeFromWire(int position, Buffer buffer) {
    int length = buffer.getInt(position);
    return CommittedChange.fromJson(new JsonObject(buffer.getBuffer(position + 4,
        position + 4 + length)));
  }

  @Override
  public CommittedChange transform(CommittedChange change) {
    return change;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public byte systemCodecID() {
    return -1;
  }
}
