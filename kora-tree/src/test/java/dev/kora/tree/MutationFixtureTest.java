package dev.kora.tree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Runs {@code mutation-fixture.json}: rows of {@code title}, {@code op}, {@code left}, {@code right} and
 * either {@code expected} or {@code error} (the expected error code). Ops:
 * <ul>
 *   <li>{@code apply}: left = tree, right = mutation, expected = the tree after;</li>
 *   <li>{@code combine}: left then right, expected = the combined mutation;</li>
 *   <li>{@code diff}: from left to right, expected = the mutation;</li>
 *   <li>{@code layers}: left = mutation, expected = {REST path: layer}, the root being {@code ""};</li>
 *   <li>{@code inflate} / {@code restrict}: left = mutation, right = a REST path, expected = mutation.</li>
 * </ul>
 * Mutations in {@code expected} are compared in wire form, both parts present.
 */
class MutationFixtureTest {

  static JsonArray rows() throws IOException {
    try (InputStream in = MutationFixtureTest.class.getResourceAsStream("/mutation-fixture.json")) {
      assertNotNull(in, "mutation-fixture.json on the test class path");
      return new JsonArray(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
  }

  static Stream<Arguments> fixture() throws IOException {
    return rows().stream().map(row -> {
      JsonObject json = (JsonObject) row;
      return Arguments.of(json.getString("title"), json);
    });
  }

  @Test
  void fixtureIsWellFormed() throws IOException {
    JsonArray rows = rows();
    assertTrue(rows.size() >= 30, "at least 30 rows");
    Set<String> titles = new HashSet<>();
    Set<String> ops = Set.of("apply", "combine", "diff", "layers", "inflate", "restrict");
    for (Object row : rows) {
      JsonObject json = (JsonObject) row;
      assertTrue(titles.add(json.getString("title")), "duplicate title " + json.getString("title"));
      assertTrue(ops.contains(json.getString("op")), "unknown op in " + json);
      assertTrue(json.containsKey("expected") != json.containsKey("error"),
          "exactly one of expected and error in " + json);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("fixture")
  void row(String title, JsonObject row) {
    String error = row.getString("error");
    if (error != null) {
      KoraException e = assertThrows(KoraException.class, () -> run(row), title);
      assertEquals(error, e.code(), () -> title + ": " + e.getMessage());
      return;
    }
    Object actual = run(row);
    assertEquals(row.getValue("expected"), actual, title);
  }

  private static Object run(JsonObject row) {
    Object left = row.getValue("left");
    Object right = row.getValue("right");
    switch (row.getString("op")) {
      case "apply" -> {
        JsonObject tree = (JsonObject) left;
        Mutation mutation = Mutation.fromJson((JsonObject) right);
        JsonObject before = tree.copy();
        JsonObject result = mutation.apply(tree);
        assertEquals(before, tree, "apply leaves its argument alone");
        TreeChecks.assertWellFormed(result);
        assertEquals(result, Mutation.fromJson(mutation.toJson()).apply(tree),
            "the wire form round trips");
        assertEquals(result, mutation.apply(result), "applying twice changes nothing more");
        return result;
      }
      case "combine" -> {
        Mutation a = Mutation.fromJson((JsonObject) left);
        Mutation b = Mutation.fromJson((JsonObject) right);
        Mutation combined = a.combine(b);
        return combined.toJson();
      }
      case "diff" -> {
        Mutation diff = Mutation.diff((JsonObject) left, (JsonObject) right);
        assertEquals(right, diff.apply((JsonObject) left), "diff applied to from gives to");
        return diff.toJson();
      }
      case "layers" -> {
        Map<Path, Mutation> layers = Mutation.fromJson((JsonObject) left).layers();
        List<Path> order = List.copyOf(layers.keySet());
        for (int i = 0; i < order.size(); i++) {
          Path path = order.get(i);
          if (!path.isRoot()) {
            int parent = order.indexOf(path.parent());
            assertTrue(parent >= 0 && parent < i, "parents before children: " + order);
          }
        }
        JsonObject result = new JsonObject();
        layers.forEach((path, layer) -> result.put(path.toString(), layer.toJson()));
        return result;
      }
      case "inflate" -> {
        return Mutation.fromJson((JsonObject) left).inflate(Path.parse((String) right)).toJson();
      }
      case "restrict" -> {
        return Mutation.fromJson((JsonObject) left).restrictTo(Path.parse((String) right)).toJson();
      }
      default -> {
        fail("unknown op " + row.getString("op"));
        return null;
      }
    }
  }
}
