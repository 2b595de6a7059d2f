package dev.kora.tree;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * Pure functions on JSON trees: a tree is a {@link JsonObject} whose branches are JsonObjects and whose
 * leaves are strings, numbers, booleans or {@link JsonArray}s (arrays are atomic leaves), e.g.
 * {@code {"todos": {"t1": {"title": "milk", "done": false}}}}. None of these methods block; they are
 * safe on any thread as long as the trees are not shared while being changed.
 */
public final class Tree {

  private Tree() {
  }

  /**
   * @param tree a tree
   * @param path where to look
   * @return the value at {@code path}: a JsonObject for a branch, a leaf, or null when nothing is there
   *     (also when a leaf stands at an ancestor of {@code path})
   */
  public static Object get(JsonObject tree, Path path) {
    Object node = tree;
    for (int i = 0; i < path.size(); i++) {
      if (!(node instanceof JsonObject)) {
        return null;
      }
      node = ((JsonObject) node).getValue(path.key(i));
    }
    return node;
  }

  /**
   * Visits every leaf of a tree, depth first in the tree's own key order.
   *
   * @param tree a tree
   * @param base the path of {@code tree} itself; leaf paths are {@code base} followed by their keys
   * @param visitor receives each leaf's full path and value
   */
  public static void forEachLeaf(JsonObject tree, Path base, BiConsumer<Path, Object> visitor) {
    walkLeaves(tree, base, visitor, true);
  }

  /**
   * {@link #forEachLeaf} over a tree whose keys were checked already (a {@link Mutation}'s).
   */
  static void forEachCheckedLeaf(JsonObject tree, Path base, BiConsumer<Path, Object> visitor) {
    walkLeaves(tree, base, visitor, false);
  }

  private static void walkLeaves(JsonObject tree, Path base, BiConsumer<Path, Object> visitor,
      boolean checkKeys) {
    for (Map.Entry<String, Object> entry : tree) {
      Path path = checkKeys ? base.child(entry.getKey()) : base.childOfCheckedKey(entry.getKey());
      Object value = normalizeValue(entry.getValue());
      if (value instanceof JsonObject) {
        walkLeaves((JsonObject) value, path, visitor, checkKeys);
      } else if (value != null) {
        visitor.accept(path, value);
      }
    }
  }

  /**
   * Counts the leaves of a tree.
   *
   * @param tree a tree
   * @return the number of leaves (arrays count as one)
   */
  public static long countLeaves(JsonObject tree) {
    long[] count = {0};
    forEachLeaf(tree, Path.ROOT, (path, value) -> count[0]++);
    return count[0];
  }

  /**
   * Writes a leaf in place, turning any leaf on the way into a branch, replacing whatever was at
   * {@code path}.
   *
   * @param tree the tree to change
   * @param path where to write; not the root
   * @param leaf a leaf value (string, number, boolean or JsonArray)
   */
  static void putLeaf(JsonObject tree, Path path, Object leaf) {
    put(tree, path, leaf instanceof JsonArray ? ((JsonArray) leaf).copy() : leaf);
  }

  /**
   * Puts a value in place, turning any leaf on the way into a branch, replacing whatever was at
   * {@code path}. The value is put as it is, not copied.
   *
   * @param tree the tree to change
   * @param path where to put it; not the root
   * @param value a subtree (JsonObject) or a leaf
   */
  public static void put(JsonObject tree, Path path, Object value) {
    JsonObject node = tree;
    for (int i = 0; i < path.size() - 1; i++) {
      Object child = node.getValue(path.key(i));
      if (!(child instanceof JsonObject)) {
        JsonObject branch = new JsonObject();
        node.put(path.key(i), branch);
        node = branch;
      } else {
        node = (JsonObject) child;
      }
    }
    node.put(path.lastKey(), value);
  }

  /**
   * Removes the subtree at {@code path} in place, and every branch that becomes empty on the way up.
   *
   * @param tree the tree to change
   * @param path what to remove; removing the root empties the tree
   */
  static void remove(JsonObject tree, Path path) {
    if (path.isRoot()) {
      tree.clear();
      return;
    }
    JsonObject[] trail = new JsonObject[path.size()];
    JsonObject node = tree;
    for (int i = 0; i < path.size() - 1; i++) {
      trail[i] = node;
      Object child = node.getValue(path.key(i));
      if (!(child instanceof JsonObject)) {
        return;
      }
      node = (JsonObject) child;
    }
    trail[path.size() - 1] = node;
    node.remove(path.lastKey());
    for (int i = path.size() - 1; i > 0 && trail[i].isEmpty(); i--) {
      trail[i - 1].remove(path.key(i - 1));
    }
  }

  /**
   * Vert.x JSON types may hold plain {@link Map}s and {@link List}s; this turns them into
   * JsonObject and JsonArray so the rest of the code sees one shape.
   */
  @SuppressWarnings("unchecked")
  static Object normalizeValue(Object value) {
    if (value instanceof Map) {
      return new JsonObject((Map<String, Object>) value);
    }
    if (value instanceof List) {
      return new JsonArray((List<Object>) value);
    }
    return value;
  }
}
