package dev.kora.tree;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;

/** Structural checks on trees, shared by the tests of this package. */
final class TreeChecks {

  private TreeChecks() {
  }

  /**
   * Checks the tree invariants: no empty object anywhere below the root, and every other value is a
   * JSON leaf (string, number, boolean, JsonArray) — so no path holds both a leaf and children.
   */
  static void assertWellFormed(JsonObject tree) {
    check(tree, Path.ROOT);
  }

  private static void check(JsonObject node, Path path) {
    for (Map.Entry<String, Object> entry : node) {
      Path child = path.child(entry.getKey());
      Object value = entry.getValue();
      assertFalse(value instanceof Map || value instanceof List, "raw Map/List at " + child);
      if (value instanceof JsonObject) {
        assertFalse(((JsonObject) value).isEmpty(), "empty object at " + child + " in " + node);
        check((JsonObject) value, child);
      } else {
        assertTrue(value instanceof String || value instanceof Number || value instanceof Boolean
            || value instanceof JsonArray, "not a leaf at " + child + ": " + value);
      }
    }
  }
}
