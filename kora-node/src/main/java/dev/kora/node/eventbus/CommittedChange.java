package dev.kora.node.eventbus;

import dev.kora.tree.Mutation;
import io.vertx.core.json.JsonObject;
import java.util.Objects;

/**
 * A committed mutation with its version, as published on {@link KoraAddresses#COMMITTED} in commit
 * order. Immutable: delivered to local consumers as the same object (no copy), and as its JSON form
 * {@code {"version": 42, "mutation": {"merge": {...}, "delete": {...}}}} across a cluster.
 *
 * @param version the commit's durable version, greater than the previous commit's
 * @param mutation what was committed
 */
public record CommittedChange(long version, Mutation mutation) {

  public CommittedChange {
    Objects.requireNonNull(mutation, "mutation");
  }

  /** @return {@code {"version": 42, "mutation": {"merge": {...}, "delete": {...}}}} */
  public JsonObject toJson() {
    return new JsonObject().put("version", version).put("mutation", mutation.toJson());
  }

  /**
   * @param json the form of {@link #toJson()}
   * @return the change
   */
  public static CommittedChange fromJson(JsonObject json) {
    return new CommittedChange(json.getLong("version"),
        Mutation.fromJson(json.getJsonObject("mutation")));
  }
}
