package dev.kora.tree;

import io.vertx.core.json.JsonObject;

/**
 * Assembles a tree from flat leaves, e.g. the rows a store returns: adding {@code todos/t1/title =
 * "milk"} and {@code todos/t1/done = false} builds {@code {"todos": {"t1": {"title": "milk", "done":
 * false}}}}. Children keep the order in which they were added (stores return them in key byte order).
 * A later leaf at or under an earlier leaf replaces it, as a merge would. Not thread-safe.
 */
public final class TreeBuilder {

  private final JsonObject root = new JsonObject();
  private long leaves;

  /**
   * @param path the leaf's path from the root of the tree being built; not the root
   * @param leaf the value: string, number, boolean or JsonArray
   * @return this builder
   */
  public TreeBuilder add(Path path, Object leaf) {
    Tree.putLeaf(root, path, leaf);
    leaves++;
    return this;
  }

  /** @return how many leaves were added */
  public long leafCount() {
    return leaves;
  }

  /** @return the tree built so far (not a copy) */
  public JsonObject build() {
    return root;
  }
}
