package dev.kora.node.logging;

import io.vertx.core.json.JsonObject;

/**
 * Named values that go with a log line, e.g. {@code {"requestId": "c7/12", "durationMs": 1.5}}:
 * passed as a parameter of the {@link java.util.logging.LogRecord}, written as fields of the line by
 * {@link JsonLogFormatter} (and left out of text lines, whose message says the same).
 *
 * @param fields the values; JSON types only
 */
public record LogFields(JsonObject fields) {

  @Override
  public String toString() {
    return fields.encode();
  }
}
