package dev.kora.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kora.tree.Path;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@code kora export} streams leaves in path order into one nested JSON document; these trees check
 * that the braces and commas it writes always rebuild the tree the leaves came from.
 */
class ExportWriterTest {

  private static final List<String> KEYS = List.of("a", "b", "ab", "é", "q\"uote", "back\\slash",
      "z", "0", "10", "9");

  private static String export(JsonObject tree, Path base) throws IOException {
    List<Map.Entry<Path, Object>> leaves = new ArrayList<>();
    collect(tree, Path.ROOT, leaves);
    // The store hands rows over in path order: by the UTF-8 bytes of the keys.
    leaves.sort(Map.Entry.comparingByKey());
    StringWriter out = new StringWriter();
    ExportCommand.JsonTreeWriter writer = new ExportCommand.JsonTreeWriter(out, base);
    for (Map.Entry<Path, Object> leaf : leaves) {
      writer.leaf(base.concat(leaf.getKey()), Json.encode(leaf.getValue()));
    }
    writer.finish();
    return out.toString();
  }

  private static void collect(JsonObject tree, Path at, List<Map.Entry<Path, Object>> leaves) {
    for (Map.Entry<String, Object> entry : tree) {
      Path path = at.child(entry.getKey());
      if (entry.getValue() instanceof JsonObject) {
        collect((JsonObject) entry.getValue(), path, leaves);
      } else {
        leaves.add(Map.entry(path, entry.getValue()));
      }
    }
  }

  private static JsonObject randomTree(Random random, int depth) {
    JsonObject tree = new JsonObject();
    for (int i = 0, n = 1 + random.nextInt(4); i < n; i++) {
      String key = KEYS.get(random.nextInt(KEYS.size()));
      if (depth > 0 && random.nextInt(3) > 0) {
        tree.put(key, randomTree(random, depth - 1));
      } else {
        switch (random.nextInt(4)) {
          case 0 -> tree.put(key, random.nextInt(1000));
          case 1 -> tree.put(key, "s\n" + random.nextInt(10));
          case 2 -> tree.put(key, random.nextBoolean());
          default -> tree.put(key, new JsonArray().add(1).add(new JsonObject().put("x", "y")));
        }
      }
    }
    return tree;
  }

  @Test
  void randomTreesRoundTrip() throws IOException {
    Random random = new Random(7);
    for (int i = 0; i < 500; i++) {
      JsonObject tree = randomTree(random, 4);
      Path base = i % 3 == 0 ? Path.ROOT : Path.of("base", "k" + i);
      String text = export(tree, base);
      assertEquals(tree, new JsonObject(text), "tree " + i + ": " + text);
    }
  }

  @Test
  void nothingIsNullAndALeafAtTheBaseIsItself() throws IOException {
    StringWriter empty = new StringWriter();
    ExportCommand.JsonTreeWriter writer = new ExportCommand.JsonTreeWriter(empty, Path.of("x"));
    writer.finish();
    assertEquals("null", empty.toString());

    StringWriter leaf = new StringWriter();
    writer = new ExportCommand.JsonTreeWriter(leaf, Path.of("x", "y"));
    writer.leaf(Path.of("x", "y"), "\"value\"");
    writer.finish();
    assertEquals("\"value\"", leaf.toString());
  }
}
