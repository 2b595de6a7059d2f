package dev.kora.interceptors;

import io.vertx.core.json.JsonObject;
import java.util.Objects;

/**
 * A side effect decided before a write and run after it: a named job with JSON arguments, e.g.
 * {@code Effect.of("notify", new JsonObject().put("user", "dax").put("text", "milk added"))}. The node
 * stores it under {@code kora:jobs} in the same transaction as the mutation and runs it at least once,
 * through the {@link EffectHandler} of that name, retrying with exponential backoff.
 *
 * @param name the job's name, matched to {@link EffectHandler#name()}
 * @param args its arguments
 */
public record Effect(String name, JsonObject args) {

  public Effect {
    Objects.requireNonNull(name, "name");
    args = args == null ? new JsonObject() : args.copy();
  }

  /**
   * @param name the job's name
   * @param args its arguments
   * @return the effect
   */
  public static Effect of(String name, JsonObject args) {
    return new Effect(name, args);
  }
}
