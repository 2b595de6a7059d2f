package dev.kora.tree;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * A change to the tree: a {@code merge} tree of values written at their paths and a {@code delete}
 * tree whose leaves are {@code 1}, each marking a path whose whole subtree is removed. Deletes apply
 * before merges; the whole mutation applies atomically. As JSON (the wire form):
 *
 * <pre>{@code
 * {"merge": {"todos": {"t2": {"title": "bread"}}}, "delete": {"todos": {"t1": 1}}}
 * }</pre>
 *
 * <p>Rules, from Kora's PROTOCOL.md (Riptide's mutation semantics): a {@code null} leaf in {@code merge}
 * deletes that path (it is moved to the delete tree when the mutation is built); an empty object in
 * {@code merge} writes nothing; writing a leaf at P removes everything under P, and writing under P
 * removes a leaf at P; a branch whose last leaf goes disappears. Arrays are leaves, stored whole.
 *
 * <p>Mutations are immutable values, normalized when built (nulls moved to deletes, empty objects
 * dropped), safe to share between threads. Building one validates every key ({@link Path} rules) and
 * every value ({@link LeafValues}: finite numbers, valid Unicode) and throws {@link KoraException} with
 * code {@code invalid_key}, {@code too_deep} or {@code invalid_mutation}.
 */
public final class Mutation {

  private static final Mutation EMPTY = new Mutation(new JsonObject(), new JsonObject());

  private final JsonObject merge;
  private final JsonObject delete;
  private List<LeafWrite> writes;
  private List<Path> deletes;

  private Mutation(JsonObject merge, JsonObject delete) {
    this.merge = merge;
    this.delete = delete;
  }

  /** @return the mutation that changes nothing */
  public static Mutation empty() {
    return EMPTY;
  }

  /**
   * Builds a mutation from its wire form.
   *
   * @param json {@code {"merge": {...}, "delete": {...}}}; either part may be missing or empty
   * @return the normalized mutation
   * @throws KoraException {@code invalid_mutation} for a wrong shape (unknown field, a part that is not
   *     an object, a delete leaf other than 1) or a value breaking the {@link LeafValues} rules (a
   *     number outside a double's range, a lone surrogate), {@code invalid_key} or {@code too_deep}
   *     for bad paths
   */
  public static Mutation fromJson(JsonObject json) {
    return fromJson(json, java.util.Set.of());
  }

  /**
   * {@link #fromJson(JsonObject)} for a body that may carry other known fields next to the
   * mutation's, e.g. an action's {@code id}, read by the caller; the body is not copied.
   *
   * @param json e.g. {@code {"merge": {...}, "id": "phone-1:17"}}
   * @param otherFields fields that are not the mutation's and are skipped, e.g. {@code id}
   * @return the normalized mutation
   * @throws KoraException as {@link #fromJson(JsonObject)}; an unknown field is one neither
   *     {@code merge}, {@code delete} nor in {@code otherFields}
   */
  public static Mutation fromJson(JsonObject json, java.util.Set<String> otherFields) {
    for (String field : json.fieldNames()) {
      if (!field.equals("merge") && !field.equals("delete") && !otherFields.contains(field)) {
        throw new KoraException(ErrorCode.INVALID_MUTATION,
            "unknown mutation field '" + field + "'; a mutation has only 'merge' and 'delete'");
      }
    }
    return of(objectField(json, "merge"), objectField(json, "delete"));
  }

  private static JsonObject objectField(JsonObject json, String field) {
    Object value = Tree.normalizeValue(json.getValue(field));
    if (value == null) {
      return new JsonObject();
    }
    if (!(value instanceof JsonObject)) {
      throw new KoraException(ErrorCode.INVALID_MUTATION, "'" + field + "' must be an object");
    }
    return (JsonObject) value;
  }

  /**
   * @param merge the merge tree, may be null (nothing merged); not changed by this call
   * @param delete the delete tree with leaves {@code 1}, may be null; not changed by this call
   * @return the normalized mutation
   * @throws KoraException as {@link #fromJson(JsonObject)}
   */
  public static Mutation of(JsonObject merge, JsonObject delete) {
    JsonObject normalizedDelete = new JsonObject();
    if (delete != null) {
      copyDelete(delete, Path.ROOT, normalizedDelete);
    }
    JsonObject normalizedMerge = new JsonObject();
    if (merge != null) {
      copyMerge(merge, Path.ROOT, normalizedMerge, normalizedDelete);
    }
    if (normalizedMerge.isEmpty() && normalizedDelete.isEmpty()) {
      return EMPTY;
    }
    return new Mutation(normalizedMerge, normalizedDelete);
  }

  /**
   * A mutation that writes {@code value} at {@code path}: a subtree (JsonObject) is merged, a leaf
   * replaces what is there, {@code null} deletes.
   *
   * @param path where to write, e.g. {@code Path.of("todos", "t1")}
   * @param value a JsonObject, leaf or null; a leaf cannot be written at the root
   * @return the mutation
   * @throws KoraException {@code invalid_mutation} for a leaf or null at the root
   */
  public static Mutation merge(Path path, Object value) {
    Object normalized = Tree.normalizeValue(value);
    if (path.isRoot()) {
      if (!(normalized instanceof JsonObject)) {
        throw new KoraException(ErrorCode.INVALID_MUTATION,
            "only an object can be merged at the root");
      }
      return of((JsonObject) normalized, null);
    }
    // The path's keys were checked when it was built: check only what is written under it.
    if (normalized == null) {
      return delete(path);
    }
    if (normalized instanceof JsonObject object) {
      JsonObject normalizedDelete = new JsonObject();
      JsonObject normalizedMerge = new JsonObject();
      copyMerge(object, path, normalizedMerge, normalizedDelete);
      if (normalizedMerge.isEmpty() && normalizedDelete.isEmpty()) {
        return EMPTY;
      }
      return new Mutation(normalizedMerge.isEmpty() ? normalizedMerge
          : nest(path, normalizedMerge), normalizedDelete);
    }
    return new Mutation(nest(path, checkedLeaf(path, normalized)), new JsonObject());
  }

  /**
   * @param path the subtree to remove; not the root
   * @return a mutation deleting it
   * @throws KoraException {@code invalid_mutation} for the root
   */
  public static Mutation delete(Path path) {
    if (path.isRoot()) {
      throw new KoraException(ErrorCode.INVALID_MUTATION, "the root cannot be deleted as a whole");
    }
    return of(null, nest(path, 1));
  }

  /**
   * @param path where the subtree goes; not the root
   * @param value the new subtree or leaf
   * @return a mutation that replaces the subtree at {@code path} by {@code value} (delete, then merge)
   */
  public static Mutation replace(Path path, Object value) {
    return delete(path).combine(merge(path, value));
  }

  private static JsonObject nest(Path path, Object value) {
    Object node = value;
    for (int i = path.size() - 1; i >= 0; i--) {
      JsonObject parent = new JsonObject();
      parent.put(path.key(i), node);
      node = parent;
    }
    return (JsonObject) node;
  }

  private static void copyDelete(JsonObject source, Path base, JsonObject target) {
    for (Map.Entry<String, Object> entry : source) {
      Path path = base.child(entry.getKey());
      Object value = Tree.normalizeValue(entry.getValue());
      if (value instanceof JsonObject) {
        JsonObject child = new JsonObject();
        copyDelete((JsonObject) value, path, child);
        if (!child.isEmpty()) {
          target.put(entry.getKey(), child);
        }
      } else if (value instanceof Number && ((Number) value).doubleValue() == 1) {
        target.put(entry.getKey(), 1);
      } else {
        throw new KoraException(ErrorCode.INVALID_MUTATION, "delete leaf at '" + path
            + "' must be 1, got " + value);
      }
    }
  }

  private static void copyMerge(JsonObject source, Path base, JsonObject target,
      JsonObject deleteTarget) {
    for (Map.Entry<String, Object> entry : source) {
      Path path = base.child(entry.getKey());
      Object value = Tree.normalizeValue(entry.getValue());
      if (value == null) {
        putDelete(deleteTarget, path);
      } else if (value instanceof JsonObject) {
        JsonObject child = new JsonObject();
        copyMerge((JsonObject) value, path, child, deleteTarget);
        if (!child.isEmpty()) {
          target.put(entry.getKey(), child);
        }
      } else {
        target.put(entry.getKey(), checkedLeaf(path, value));
      }
    }
  }

  /**
   * @param path where the leaf goes, for the message
   * @param value a normalized value that is not an object or null
   * @return the leaf to keep (an array copied)
   * @throws KoraException {@code invalid_mutation} for a value that is not JSON or breaks the
   *     {@link LeafValues} rules
   */
  private static Object checkedLeaf(Path path, Object value) {
    if (value instanceof String || value instanceof Number || value instanceof Boolean) {
      LeafValues.check(path, value);
      return value;
    }
    if (value instanceof JsonArray array) {
      LeafValues.check(path, value);
      return array.copy();
    }
    throw new KoraException(ErrorCode.INVALID_MUTATION, "value at '" + path
        + "' is not JSON (" + value.getClass().getSimpleName() + ")");
  }

  /**
   * Marks {@code path} deleted in a delete tree. A delete already marked at an ancestor covers it, so
   * nothing changes then; unlike {@link Tree#putLeaf}, the wider delete is never turned into a branch.
   */
  private static void putDelete(JsonObject deleteTree, Path path) {
    Object node = deleteTree;
    for (int i = 0; i < path.size() - 1; i++) {
      node = ((JsonObject) node).getValue(path.key(i));
      if (node == null) {
        break;
      }
      if (!(node instanceof JsonObject)) {
        return;
      }
    }
    Tree.putLeaf(deleteTree, path, 1);
  }

  /** @return a copy of the merge tree (no nulls, no empty objects) */
  public JsonObject merge() {
    return merge.copy();
  }

  /** @return a copy of the delete tree (leaves are 1) */
  public JsonObject delete() {
    return delete.copy();
  }

  /** @return whether this mutation changes nothing */
  public boolean isEmpty() {
    return merge.isEmpty() && delete.isEmpty();
  }

  /** @return the wire form {@code {"merge": {...}, "delete": {...}}}, both parts always present */
  public JsonObject toJson() {
    return new JsonObject().put("merge", merge.copy()).put("delete", delete.copy());
  }

  /**
   * @return the wire form as JSON text, {@code {"merge":{...},"delete":{...}}}, without copying the
   *     trees (what {@code toJson().encode()} gives)
   */
  public String encode() {
    return wire().encode();
  }

  /**
   * @return the wire form {@code {"merge": {...}, "delete": {...}}} sharing this mutation's trees, for
   *     encoding without a copy (the change log stores it so); read-only: changing it would change
   *     this mutation, which must stay immutable. {@link #toJson()} gives a copy to change.
   */
  public JsonObject wire() {
    return new JsonObject().put("merge", merge).put("delete", delete);
  }

  /**
   * This mutation with more leaves written under top-level keys it does not touch, sharing its trees
   * instead of copying them: how the node adds its own rows (the change log, the version) to a
   * committed mutation. The leaves are taken as they are: they must satisfy the key and value rules.
   *
   * @param leaves leaves at paths of at least two keys, e.g. {@code kora:log/00000000000000000042};
   *     several may share a top-level key, and those then come one after the other (so that
   *     {@link #writes()} keeps the merge tree's order)
   * @return the extended mutation
   * @throws IllegalArgumentException when this mutation writes or deletes under a top-level key of
   *     {@code leaves}
   */
  public Mutation plusLeaves(List<LeafWrite> leaves) {
    Map<String, Object> top = new LinkedHashMap<>(merge.size() + 2);
    top.putAll(merge.getMap());
    JsonObject extended = new JsonObject(top);
    String lastKey = null;
    JsonObject branch = null;
    for (LeafWrite leaf : leaves) {
      Path path = leaf.path();
      String key = path.key(0);
      if (!key.equals(lastKey)) {
        if (merge.containsKey(key) || delete.containsKey(key) || top.containsKey(key)) {
          throw new IllegalArgumentException("the mutation already changes '" + key + "'");
        }
        branch = new JsonObject();
        top.put(key, branch);
        lastKey = key;
      }
      Tree.put(branch, path.suffix(1), leaf.value());
    }
    Mutation result = new Mutation(extended, delete);
    // The flat forms carry over, so the store does not walk and check the whole tree again.
    result.deletes = deletes;
    if (writes != null) {
      List<LeafWrite> all = new ArrayList<>(writes.size() + leaves.size());
      all.addAll(writes);
      all.addAll(leaves);
      result.writes = Collections.unmodifiableList(all);
    }
    return result;
  }

  /** @return every leaf this mutation writes, as flat path/value pairs in the merge tree's order */
  public List<LeafWrite> writes() {
    List<LeafWrite> result = writes;
    if (result == null) {
      List<LeafWrite> list = new ArrayList<>();
      Tree.forEachCheckedLeaf(merge, Path.ROOT,
          (path, value) -> list.add(new LeafWrite(path, value)));
      result = Collections.unmodifiableList(list);
      writes = result;
    }
    return result;
  }

  /** @return every path whose subtree this mutation deletes, in the delete tree's order */
  public List<Path> deletes() {
    List<Path> result = deletes;
    if (result == null) {
      List<Path> list = new ArrayList<>();
      Tree.forEachCheckedLeaf(delete, Path.ROOT, (path, value) -> list.add(path));
      result = Collections.unmodifiableList(list);
      deletes = result;
    }
    return result;
  }

  /**
   * Builds a mutation from flat parts.
   *
   * @param deletes paths whose subtrees are removed (first)
   * @param writes leaves written (after the deletes); no two may overlap (one containing another)
   * @return the mutation
   */
  public static Mutation fromFlat(Iterable<Path> deletes, Iterable<LeafWrite> writes) {
    JsonObject deleteTree = new JsonObject();
    for (Path path : deletes) {
      if (path.isRoot()) {
        throw new KoraException(ErrorCode.INVALID_MUTATION, "the root cannot be deleted as a whole");
      }
      putDelete(deleteTree, path);
    }
    JsonObject mergeTree = new JsonObject();
    for (LeafWrite write : writes) {
      Tree.putLeaf(mergeTree, write.path(), write.value());
    }
    if (mergeTree.isEmpty() && deleteTree.isEmpty()) {
      return EMPTY;
    }
    return new Mutation(mergeTree, deleteTree);
  }

  /**
   * Combines two mutations into one with the same effect as applying this one and then {@code next}
   * (Riptide's {@code Mutation.combine}). A wide delete or leaf write in {@code next} erases the
   * narrower merges and deletes under it; a leaf written here and then written under by {@code next}
   * becomes a delete of that path plus {@code next}'s write.
   *
   * @param next the mutation applied second
   * @return the combined mutation
   */
  public Mutation combine(Mutation next) {
    if (next.isEmpty()) {
      return this;
    }
    if (isEmpty()) {
      return next;
    }
    return new MutationCombiner().add(this).add(next).result();
  }

  /**
   * Applies this mutation to a tree in place: deletes first, then merges; branches left empty vanish.
   *
   * @param tree the tree to change, e.g. a client's local copy
   * @return {@code tree}, changed
   */
  public JsonObject applyTo(JsonObject tree) {
    for (Path path : deletes()) {
      Tree.remove(tree, path);
    }
    for (LeafWrite write : writes()) {
      Tree.putLeaf(tree, write.path(), write.value());
    }
    return tree;
  }

  /**
   * @param tree a tree, not changed
   * @return a new tree: {@code tree} with this mutation applied
   */
  public JsonObject apply(JsonObject tree) {
    return applyTo(tree.copy());
  }

  /**
   * The layers of this mutation (Riptide's {@code Mutation.layers}): for every path that is a branch in
   * the merge or delete tree, the part of the mutation at that path, relative to it. For
   * {@code {"merge": {"todos": {"t1": {"title": "milk"}}}}} the layers are {@code []}, {@code [todos]}
   * and {@code [todos, t1]}, the last one being {@code {"merge": {"title": "milk"}, "delete": {}}}.
   *
   * @return layers by path, parents before children
   */
  public Map<Path, Mutation> layers() {
    Map<Path, Mutation> result = new LinkedHashMap<>();
    collectLayers(Path.ROOT, merge, delete, result);
    return result;
  }

  private static void collectLayers(Path path, JsonObject merge, JsonObject delete,
      Map<Path, Mutation> result) {
    result.put(path, new Mutation(merge == null ? new JsonObject() : merge.copy(),
        delete == null ? new JsonObject() : delete.copy()));
    TreeSet<String> children = new TreeSet<>(Path.KEY_ORDER);
    if (merge != null) {
      for (Map.Entry<String, Object> entry : merge) {
        if (entry.getValue() instanceof JsonObject) {
          children.add(entry.getKey());
        }
      }
    }
    if (delete != null) {
      for (Map.Entry<String, Object> entry : delete) {
        if (entry.getValue() instanceof JsonObject) {
          children.add(entry.getKey());
        }
      }
    }
    for (String key : children) {
      Object childMerge = merge == null ? null : merge.getValue(key);
      Object childDelete = delete == null ? null : delete.getValue(key);
      collectLayers(path.child(key),
          childMerge instanceof JsonObject ? (JsonObject) childMerge : null,
          childDelete instanceof JsonObject ? (JsonObject) childDelete : null, result);
    }
  }

  /**
   * @param path where to nest, e.g. {@code Path.of("users", "dax")}
   * @return this mutation moved under {@code path}: its paths are {@code path} followed by its own
   * @throws KoraException {@code too_deep} if a resulting path would be too deep
   */
  public Mutation inflate(Path path) {
    if (path.isRoot() || isEmpty()) {
      return this;
    }
    List<Path> movedDeletes = new ArrayList<>();
    for (Path deleted : deletes()) {
      movedDeletes.add(path.concat(deleted));
    }
    List<LeafWrite> movedWrites = new ArrayList<>();
    for (LeafWrite write : writes()) {
      movedWrites.add(new LeafWrite(path.concat(write.path()), write.value()));
    }
    return fromFlat(movedDeletes, movedWrites);
  }

  /**
   * The part of this mutation that changes the subtree at {@code path}, still as paths from the root:
   * writes and deletes inside it, and a delete of {@code path} itself when this mutation deletes or
   * writes a leaf at an ancestor of it. A client that keeps a copy of that subtree and applies the
   * result stays equal to the server.
   *
   * @param path a subtree, e.g. a subscribed path
   * @return the restricted mutation, empty when the subtree is untouched
   */
  public Mutation restrictTo(Path path) {
    if (path.isRoot()) {
      return this;
    }
    List<Path> keptDeletes = new ArrayList<>();
    boolean ancestorChanged = false;
    for (Path deleted : deletes()) {
      if (path.contains(deleted)) {
        keptDeletes.add(deleted);
      } else if (deleted.contains(path)) {
        ancestorChanged = true;
      }
    }
    List<LeafWrite> keptWrites = new ArrayList<>();
    for (LeafWrite write : writes()) {
      if (path.contains(write.path())) {
        keptWrites.add(write);
      } else if (write.path().contains(path)) {
        ancestorChanged = true;
      }
    }
    if (ancestorChanged) {
      keptDeletes.clear();
      keptDeletes.add(path);
    }
    if (keptDeletes.isEmpty() && keptWrites.isEmpty()) {
      return EMPTY;
    }
    return fromFlat(keptDeletes, keptWrites);
  }

  /**
   * @param path a subtree
   * @return whether this mutation changes anything at, under or above {@code path}
   */
  public boolean touches(Path path) {
    for (Path deleted : deletes()) {
      if (deleted.overlaps(path)) {
        return true;
      }
    }
    for (LeafWrite write : writes()) {
      if (write.path().overlaps(path)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The mutation that turns tree {@code from} into tree {@code to}: applying it to a copy of
   * {@code from} gives a tree equal to {@code to}.
   *
   * @param from the old tree
   * @param to the new tree
   * @return a mutation with deletes for what went and merges for what came or changed
   */
  public static Mutation diff(JsonObject from, JsonObject to) {
    List<Path> deletes = new ArrayList<>();
    List<LeafWrite> writes = new ArrayList<>();
    diff(Path.ROOT, from, to, deletes, writes);
    return fromFlat(deletes, writes);
  }

  private static void diff(Path base, JsonObject from, JsonObject to, List<Path> deletes,
      List<LeafWrite> writes) {
    for (Map.Entry<String, Object> entry : from) {
      if (!to.containsKey(entry.getKey()) || to.getValue(entry.getKey()) == null) {
        deletes.add(base.child(entry.getKey()));
      }
    }
    for (Map.Entry<String, Object> entry : to) {
      Object newValue = Tree.normalizeValue(entry.getValue());
      if (newValue == null) {
        continue;
      }
      Path path = base.child(entry.getKey());
      Object oldValue = Tree.normalizeValue(from.getValue(entry.getKey()));
      if (newValue instanceof JsonObject) {
        JsonObject oldBranch = oldValue instanceof JsonObject ? (JsonObject) oldValue
            : new JsonObject();
        diff(path, oldBranch, (JsonObject) newValue, deletes, writes);
      } else if (!leafEquals(oldValue, newValue)) {
        writes.add(new LeafWrite(path, newValue));
      }
    }
  }

  private static boolean leafEquals(Object a, Object b) {
    if (a instanceof Number && b instanceof Number) {
      return LeafCodec.encode(a).equals(LeafCodec.encode(b));
    }
    return Objects.equals(a, b);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Mutation && merge.equals(((Mutation) o).merge)
        && delete.equals(((Mutation) o).delete);
  }

  @Override
  public int hashCode() {
    return merge.hashCode() * 31 + delete.hashCode();
  }

  /** @return the wire form as compact JSON text */
  @Override
  public String toString() {
    return toJson().encode();
  }
}
