package dev.kora.tree;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * A read of one or more paths. As JSON, a tree of paths with an options object at each requested path,
 * e.g. {@code {"todos": {"limit": 10}, "users": {"dax": {}}}} asks for the first ten children of
 * {@code todos} and the whole subtree {@code users/dax}. An object is an options object when none of its
 * values is an object; {@code {}} is the whole subtree. See {@link QueryOptions}.
 *
 * <p>Immutable; safe to share between threads.
 */
public final class Query {

  /**
   * One requested path and its options.
   *
   * @param path the queried path
   * @param options how to bound its children
   */
  public record Entry(Path path, QueryOptions options) {
  }

  private final List<Entry> entries;

  private Query(List<Entry> entries) {
    this.entries = Collections.unmodifiableList(entries);
  }

  /**
   * @param path a path
   * @param options its options
   * @return a query of that one path
   */
  public static Query of(Path path, QueryOptions options) {
    return new Query(List.of(new Entry(path, options)));
  }

  /**
   * @param entries requested paths; none may contain another
   * @return the query
   * @throws KoraException {@code invalid_query} if one requested path contains another
   */
  public static Query of(List<Entry> entries) {
    for (int i = 0; i < entries.size(); i++) {
      for (int j = i + 1; j < entries.size(); j++) {
        if (entries.get(i).path().overlaps(entries.get(j).path())) {
          throw new KoraException(ErrorCode.INVALID_QUERY, "queried paths '"
              + entries.get(i).path() + "' and '" + entries.get(j).path() + "' overlap");
        }
      }
    }
    return new Query(new ArrayList<>(entries));
  }

  /**
   * Parses the wire form.
   *
   * @param json the query tree
   * @return the query
   * @throws KoraException {@code invalid_query} for a wrong shape, {@code invalid_key} or
   *     {@code too_deep} for bad paths
   */
  public static Query fromJson(JsonObject json) {
    List<Entry> entries = new ArrayList<>();
    collect(json, Path.ROOT, entries);
    return new Query(entries);
  }

  private static void collect(JsonObject node, Path path, List<Entry> entries) {
    boolean hasObject = false;
    boolean hasOther = false;
    for (Map.Entry<String, Object> entry : node) {
      if (Tree.normalizeValue(entry.getValue()) instanceof JsonObject) {
        hasObject = true;
      } else {
        hasOther = true;
      }
    }
    if (!hasObject) {
      entries.add(new Entry(path, QueryOptions.fromJson(node, path)));
      return;
    }
    if (hasOther) {
      throw new KoraException(ErrorCode.INVALID_QUERY, "query at '" + path
          + "' mixes options and child paths; put options only at the requested paths");
    }
    for (Map.Entry<String, Object> entry : node) {
      collect((JsonObject) Tree.normalizeValue(entry.getValue()), path.child(entry.getKey()),
          entries);
    }
  }

  /** @return the requested paths with their options, in request order */
  public List<Entry> entries() {
    return entries;
  }

  /** @return the same paths and options, each with {@code subscribe} set */
  public Query subscribing() {
    List<Entry> result = new ArrayList<>();
    for (Entry entry : entries) {
      result.add(new Entry(entry.path(), entry.options().withSubscribe(true)));
    }
    return new Query(result);
  }

  /** @return the wire form */
  public JsonObject toJson() {
    JsonObject root = new JsonObject();
    for (Entry entry : entries) {
      if (entry.path().isRoot()) {
        return entry.options().toJson();
      }
      JsonObject node = root;
      for (int i = 0; i < entry.path().size() - 1; i++) {
        String key = entry.path().key(i);
        JsonObject child = node.getJsonObject(key);
        if (child == null) {
          child = new JsonObject();
          node.put(key, child);
        }
        node = child;
      }
      node.put(entry.path().lastKey(), entry.options().toJson());
    }
    return root;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Query && entries.equals(((Query) o).entries);
  }

  @Override
  public int hashCode() {
    return entries.hashCode();
  }

  @Override
  public String toString() {
    return toJson().encode();
  }
}
