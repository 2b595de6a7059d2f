package dev.kora.rules;

import dev.kora.interceptors.Session;
import dev.kora.tree.LeafWrite;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The read decisions for one client at one moment: which paths it may read and what part of an answer
 * or a push it may see. Decisions are remembered per path for the life of the check (one answer, one
 * push). Not thread-safe; made per use.
 */
final class ReadCheck {

  private final RuleSet rules;
  private final Object auth;
  private final long nowMs;
  private final Map<Path, Boolean> granted = new HashMap<>();

  /**
   * @param rules the rules in force
   * @param session who reads
   * @param nowMs the time of the decision, ms since the epoch
   */
  ReadCheck(RuleSet rules, Session session, long nowMs) {
    this.rules = rules;
    this.auth = Variables.auth(session);
    this.nowMs = nowMs;
  }

  /**
   * @param path a path
   * @return whether a rule matching exactly this path grants reading here (and so under it)
   */
  boolean grantsAt(Path path) {
    Boolean known = granted.get(path);
    if (known != null) {
      return known;
    }
    boolean result = false;
    for (RuleSet.Match match : rules.matching(path, RuleExpression.Kind.READ)) {
      if (match.rule().read().test(Variables.of(auth, nowMs, match, path))) {
        result = true;
        break;
      }
    }
    granted.put(path, result);
    return result;
  }

  /**
   * @param path a path
   * @return whether it is readable: a rule grants reading at it or at one of its ancestors
   */
  boolean readable(Path path) {
    for (int length = 0; length <= path.size(); length++) {
      if (grantsAt(path.prefix(length))) {
        return true;
      }
    }
    return false;
  }

  /**
   * @param path a queried or subscribed path
   * @return whether reading it may show anything: it is readable, or some rule may grant reading
   *     under it
   */
  boolean mayShowAnything(Path path) {
    return readable(path) || rules.readMayGrantBelow(path);
  }

  /**
   * @param part a change or an answer, paths from the root
   * @return the part of it this client may see: the readable leaves, and the deletes of paths that
   *     are readable or under which a rule may grant reading (they carry no values); the same object
   *     when all of it is readable
   */
  Mutation filter(Mutation part) {
    List<LeafWrite> writes = part.writes();
    List<Path> deletes = part.deletes();
    List<LeafWrite> keptWrites = new ArrayList<>(writes.size());
    List<Path> keptDeletes = new ArrayList<>(deletes.size());
    for (Path deleted : deletes) {
      if (readable(deleted) || rules.readMayGrantBelow(deleted)) {
        keptDeletes.add(deleted);
      }
    }
    boolean replaced = false;
    for (LeafWrite write : writes) {
      if (readable(write.path())) {
        keptWrites.add(write);
      } else if (rules.readMayGrantBelow(write.path())) {
        // A leaf the client may not see replaces a subtree of which it may have seen parts: it
        // learns only that those parts are gone.
        keptDeletes.add(write.path());
        replaced = true;
      }
    }
    if (!replaced && keptWrites.size() == writes.size()
        && keptDeletes.size() == deletes.size()) {
      return part;
    }
    return Mutation.fromFlat(keptDeletes, keptWrites);
  }

  /**
   * @param tree a merge or delete tree, as in an answer: {@code {"todos": {"dax": {...}}}}
   * @param deletes whether it is a delete tree
   * @return the part of it this client may see (a new tree unless all of it may be seen)
   */
  JsonObject filterTree(JsonObject tree, boolean deletes) {
    Object kept = keep(Path.ROOT, tree, deletes);
    return kept instanceof JsonObject ? (JsonObject) kept : new JsonObject();
  }

  private Object keep(Path path, Object value, boolean deletes) {
    if (grantsAt(path)) {
      return value;
    }
    if (!(value instanceof JsonObject)) {
      return deletes && value != null && rules.readMayGrantBelow(path) ? value : null;
    }
    if (!rules.readMayGrantBelow(path)) {
      return null;
    }
    JsonObject tree = (JsonObject) value;
    JsonObject kept = null;
    boolean all = true;
    for (Map.Entry<String, Object> entry : tree) {
      Object child = keep(path.child(entry.getKey()), entry.getValue(), deletes);
      if (child != entry.getValue()) {
        all = false;
      }
      if (child != null) {
        if (kept == null) {
          kept = new JsonObject();
        }
        kept.put(entry.getKey(), child);
      }
    }
    if (all) {
      return value;
    }
    return kept;
  }
}
