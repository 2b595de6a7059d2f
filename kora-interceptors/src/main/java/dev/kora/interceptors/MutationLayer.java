package dev.kora.interceptors;

import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import io.vertx.core.json.JsonObject;
import java.util.Map;

/**
 * The part of a mutation at one path, as an interceptor sees it. For the mutation
 * {@code {"merge": {"todos": {"t1": {"title": "milk"}}}, "delete": {"todos": {"t0": 1}}}} the layer at
 * {@code todos/t1} has {@link #merge()} {@code {"title": "milk"}}; the layer at {@code todos/t0} has
 * {@link #deletesPath()} true.
 *
 * @param path where this layer is
 * @param captures keys bound by the interceptor's pattern, e.g. {@code {user=dax}}
 * @param merge what the mutation merges here: a JsonObject (a subtree), a leaf, or null
 * @param delete what the mutation deletes here: a JsonObject (deletes below), the Integer 1 (the whole
 *     path), or null
 * @param mutation the whole mutation
 */
public record MutationLayer(Path path, Map<String, String> captures, Object merge, Object delete,
    Mutation mutation) {

  /** @return whether the mutation deletes this whole path (before merging anything here) */
  public boolean deletesPath() {
    return delete instanceof Number;
  }

  /** @return whether the mutation writes a leaf exactly here */
  public boolean writesLeaf() {
    return merge != null && !(merge instanceof JsonObject);
  }

  /** @return the merged subtree, or null when this layer merges a leaf or nothing */
  public JsonObject mergeObject() {
    return merge instanceof JsonObject ? (JsonObject) merge : null;
  }

  /**
   * @param name a capture of the pattern, e.g. {@code user}
   * @return the key it bound, or null
   */
  public String capture(String name) {
    return captures.get(name);
  }
}
