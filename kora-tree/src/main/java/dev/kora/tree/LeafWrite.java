package dev.kora.tree;

import io.vertx.core.json.JsonArray;
import java.util.Objects;

/**
 * One leaf written by a mutation: the path and the value, e.g. {@code todos/t1/title = "milk"}.
 *
 * @param path where the leaf is written; never the root
 * @param value a string, number, boolean or {@link JsonArray}; never null
 */
public record LeafWrite(Path path, Object value) {

  public LeafWrite {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(value, "value");
  }

  /** @return the value as JSON text, e.g. {@code "\"milk\""} or {@code 42} — the stored form */
  public String valueJson() {
    return LeafCodec.encode(value);
  }
}
