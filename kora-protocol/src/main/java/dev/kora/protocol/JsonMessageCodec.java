package dev.kora.protocol;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;
import io.vertx.core.json.JsonObject;

/**
 * An event bus codec for an immutable value with a JSON form: locally the same object is delivered (no
 * copy), across a cluster its JSON text travels, prefixed by its length in bytes (4 bytes, big-endian).
 * Subclasses say how the value becomes JSON and back, and the codec's name.
 *
 * @param <T> the value's type
 */
public abstract class JsonMessageCodec<T> implements MessageCodec<T, T> {

  /**
   * @param value the value
   * @return its JSON form
   */
  protected abstract JsonObject toJson(T value);

  /**
   * @param json a JSON form made by {@link #toJson}
   * @return the value
   */
  protected abstract T fromJson(JsonObject json);

  @Override
  public final void encodeToWire(Buffer buffer, T value) {
    Buffer json = toJson(value).toBuffer();
    buffer.appendInt(json.length()).appendBuffer(json);
  }

  @Override
  public final T decodeFromWire(int position, Buffer buffer) {
    int length = buffer.getInt(position);
    return fromJson(new JsonObject(buffer.getBuffer(position + 4, position + 4 + length)));
  }

  @Override
  public final T transform(T value) {
    return value;
  }

  @Override
  public final byte systemCodecID() {
    return -1;
  }
}
