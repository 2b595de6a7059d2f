package dev.kora.node.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.auth.JwtOptions;
import dev.kora.client.connection.KoraConnection;
import dev.kora.node.KoraNode;
import dev.kora.node.TestNodes;
import dev.kora.testkit.TestCredentials;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import dev.kora.tree.Query;
import dev.kora.tree.QueryOptions;
import dev.kora.tree.Tree;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rules against a reference evaluator: random rules of a small grammar over a small key space,
 * random trees, and random reads, subscriptions and writes of several identities through real
 * WebSockets. The reference is written separately and naively (its own pattern matching, a
 * decision per leaf from the rules' meaning in {@code RuleSet}): no leaf it denies reaches a client,
 * none it allows is missing from an answer or a subscriber's copy, and exactly the writes it
 * allows land.
 */
class RulesDifferentialTest {

  private static final String SECRET = TestCredentials.SECRET;
  private static final String[][] KEYS = {{"a", "b"}, {"u1", "u2", "x"}, {"f", "g"}};
  private static final String[] USERS = {null, "u1", "u2"};

  @TempDir
  java.nio.file.Path folder;

  private Vertx vertx;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stop() {
    vertx.close().await();
  }

  /** One generated rule: its pattern's segments and its expressions as CEL and as the reference. */
  private record GeneratedRule(List<String> segments, boolean anyDepth, Condition read,
      Condition write) {
    JsonObject json() {
      String pattern = String.join("/", segments) + (anyDepth ? (segments.isEmpty() ? "**"
          : "/**") : "");
      JsonObject json = new JsonObject().put("path", pattern);
      if (read != null) {
        json.put("read", read.cel());
      }
      if (write != null) {
        json.put("write", write.cel());
      }
      return json;
    }

    /** The reference's own matching: captures by name, or null. */
    Map<String, String> match(List<String> path) {
      if (anyDepth ? path.size() < segments.size() : path.size() != segments.size()) {
        return null;
      }
      Map<String, String> captures = new HashMap<>();
      for (int i = 0; i < segments.size(); i++) {
        String segment = segments.get(i);
        if (segment.startsWith("{")) {
          captures.put(segment.substring(1, segment.length() - 1), path.get(i));
        } else if (!segment.equals("*") && !segment.equals(path.get(i))) {
          return null;
        }
      }
      return captures;
    }
  }

  /** An expression and what it means, decided by the reference. */
  private interface Decision {
    boolean decide(String user, String role, Map<String, String> captures, String path);
  }

  private record Condition(String cel, Decision meaning) {
  }

  private static Condition condition(Random random, List<String> captures) {
    List<Condition> choices = new ArrayList<>(List.of(
        new Condition("true", (u, r, c, p) -> true),
        new Condition("false", (u, r, c, p) -> false),
        new Condition("auth != null", (u, r, c, p) -> u != null),
        new Condition("auth != null && auth.role == 'admin'",
            (u, r, c, p) -> u != null && "admin".equals(r)),
        new Condition("path.endsWith('f')", (u, r, c, p) -> p.endsWith("f"))));
    for (String capture : captures) {
      choices.add(new Condition("auth != null && auth.sub == " + capture,
          (u, r, c, p) -> u != null && u.equals(c.get(capture))));
    }
    return choices.get(random.nextInt(choices.size()));
  }

  private static List<GeneratedRule> rules(Random random) {
    List<GeneratedRule> rules = new ArrayList<>();
    int count = 2 + random.nextInt(5);
    for (int i = 0; i < count; i++) {
      int depth = random.nextInt(4);
      List<String> segments = new ArrayList<>();
      List<String> captures = new ArrayList<>();
      for (int d = 0; d < depth; d++) {
        int kind = random.nextInt(4);
        if (kind == 0) {
          segments.add("*");
        } else if (kind == 1) {
          String name = "c" + d;
          segments.add("{" + name + "}");
          captures.add(name);
        } else {
          segments.add(KEYS[d][random.nextInt(KEYS[d].length)]);
        }
      }
      boolean anyDepth = random.nextBoolean() || depth == 0;
      Condition read = random.nextInt(4) == 0 ? null : condition(random, captures);
      Condition write = random.nextInt(3) == 0 ? null : condition(random, captures);
      rules.add(new GeneratedRule(segments, anyDepth, read, write));
    }
    return rules;
  }

  /** The reference: does some rule grant this kind of right at the path or an ancestor. */
  private static boolean granted(List<GeneratedRule> rules, boolean write, String user,
      List<String> path) {
    String role = "u2".equals(user) ? "admin" : "user";
    for (int length = 0; length <= path.size(); length++) {
      List<String> prefix = path.subList(0, length);
      for (GeneratedRule rule : rules) {
        Condition condition = write ? rule.write() : rule.read();
        Map<String, String> captures = rule.match(prefix);
        if (condition != null && captures != null && condition.meaning().decide(user, role,
            captures, String.join("/", prefix))) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * The reference: could a read of the path show anything to this user (some path at or under it
   * readable). The node may answer such a read with nothing instead of refusing it, but it may refuse
   * only when this is false.
   */
  private static boolean couldShow(List<GeneratedRule> rules, String user, List<String> path) {
    if (granted(rules, false, user, path)) {
      return true;
    }
    for (List<String> below : allPaths()) {
      if (below.size() > path.size() && below.subList(0, path.size()).equals(path)
          && granted(rules, false, user, below)) {
        return true;
      }
    }
    return false;
  }

  private static List<List<String>> allPaths() {
    List<List<String>> paths = new ArrayList<>();
    for (String a : KEYS[0]) {
      paths.add(List.of(a));
      for (String b : KEYS[1]) {
        paths.add(List.of(a, b));
        for (String c : KEYS[2]) {
          paths.add(List.of(a, b, c));
        }
      }
    }
    return paths;
  }

  /** Every leaf of a tree under a path, by path text. */
  private static Map<String, Object> leaves(JsonObject tree) {
    Map<String, Object> leaves = new TreeMap<>();
    Tree.forEachLeaf(tree, Path.ROOT, (path, value) -> leaves.put(path.toString(), value));
    return leaves;
  }

  private static Map<String, Object> readableUnder(List<GeneratedRule> rules, String user,
      JsonObject tree, List<String> under) {
    Map<String, Object> expected = new TreeMap<>();
    for (Map.Entry<String, Object> leaf : leaves(tree).entrySet()) {
      List<String> path = Path.parse(leaf.getKey()).keys();
      if (path.size() >= under.size() && path.subList(0, under.size()).equals(under)
          && granted(rules, false, user, path)) {
        expected.put(leaf.getKey(), leaf.getValue());
      }
    }
    return expected;
  }

  private static List<String> randomPath(Random random, int minDepth) {
    int depth = minDepth + random.nextInt(4 - minDepth);
    List<String> path = new ArrayList<>();
    for (int d = 0; d < depth; d++) {
      path.add(KEYS[d][random.nextInt(KEYS[d].length)]);
    }
    return path;
  }

  private static Object randomValue(Random random, int depth) {
    if (depth >= 3 || random.nextInt(3) == 0) {
      return random.nextInt(100);
    }
    JsonObject object = new JsonObject();
    for (String key : KEYS[depth]) {
      if (random.nextBoolean()) {
        object.put(key, randomValue(random, depth + 1));
      }
    }
    return object.isEmpty() ? random.nextInt(100) : object;
  }

  private static Mutation randomMutation(Random random) {
    List<String> path = randomPath(random, 1);
    if (random.nextInt(4) == 0) {
      return Mutation.delete(Path.of(path));
    }
    return Mutation.merge(Path.of(path), randomValue(random, path.size()));
  }

  private static String describe(List<GeneratedRule> rules) {
    JsonArray json = new JsonArray();
    rules.forEach(rule -> json.add(rule.json()));
    return json.encode();
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
  void noDeniedLeafReachesAClientNoAllowedOneIsMissingAndOnlyAllowedWritesLand(long seed)
      throws Exception {
    Random random = new Random(seed);
    List<GeneratedRule> rules = rules(random);
    String described = "seed " + seed + ", rules " + describe(rules);
    JsonArray ruleJson = new JsonArray();
    rules.forEach(rule -> ruleJson.add(rule.json()));
    java.nio.file.Path file = folder.resolve("rules-" + seed + ".json");
    Files.writeString(file, new JsonObject().put("rules", ruleJson).encode());
    KoraNode node = TestNodes.start(vertx, TestNodes.memoryOptions()
        .setAuth(new JwtOptions().setHmacSecret(SECRET)).setAllowAnonymous(true)
        .setRules(file.toString())).await();

    JsonObject tree = new JsonObject();
    for (int i = 0; i < 6; i++) {
      Mutation seedWrite = Mutation.merge(Path.of(randomPath(random, 1)),
          randomValue(random, 1));
      node.mutate(seedWrite).await();
      seedWrite.applyTo(tree);
    }

    // each identity subscribes to a few random paths, keeping a copy from answers and pushes
    List<Client> clients = new ArrayList<>();
    for (String user : USERS) {
      String url = "ws://127.0.0.1:" + node.actualPort() + "/socket" + (user == null ? ""
          : "?access_token=" + TestCredentials.hmacToken(vertx, SECRET, new JsonObject()
              .put("sub", user).put("role", "u2".equals(user) ? "admin" : "user")));
      Client client = new Client(user, KoraConnection.connect(vertx, url).await());
      clients.add(client);
      // the two top-level subtrees, where every write lands, and one random path
      for (List<String> path : List.of(List.of("a"), List.of("b"), randomPath(random, 1))) {
        Object answer = client.connection.call("kora.subscribe", queryBody(path)).otherwise(e -> e).await();
        boolean refused = answer instanceof KoraException;
        assertTrue(!refused || !couldShow(rules, user, path), described + ": " + user
            + " subscribing " + path + " -> " + answer);
        if (refused) {
          assertEquals(ErrorCode.DENIED, ((KoraException) answer).code());
        } else {
          client.subscribed.add(path);
          synchronized (client.copy) {
            wire((JsonObject) answer).applyTo(client.copy);
          }
          assertEquals(readableUnder(rules, user, tree, path), restrict(leaves(wire(
              (JsonObject) answer).merge()), path), described + ": " + user + " answer of "
              + path);
        }
      }
    }

    // random writes from random identities: exactly the allowed ones land
    for (int i = 0; i < 60; i++) {
      Client writer = clients.get(random.nextInt(clients.size()));
      Mutation mutation = randomMutation(random);
      boolean allowed = true;
      List<List<String>> changed = new ArrayList<>();
      mutation.deletes().forEach(path -> changed.add(path.keys()));
      mutation.writes().forEach(write -> changed.add(write.path().keys()));
      for (List<String> path : changed) {
        allowed &= granted(rules, true, writer.user, path);
      }
      Object reply = writer.connection.call("kora.mutation", mutation.toJson())
          .otherwise(e -> e).await();
      boolean landed = !(reply instanceof Throwable);
      assertEquals(allowed, landed, described + ": " + writer.user + " writing " + mutation
          + " -> " + reply);
      if (landed) {
        mutation.applyTo(tree);
      } else {
        assertEquals(ErrorCode.DENIED, ((KoraException) reply).code());
      }
    }

    Mutation stored = node.query(Query.of(List.of(new Query.Entry(Path.ROOT,
        QueryOptions.WHOLE)))).await();
    Map<String, Object> storedLeaves = leaves(stored.merge());
    storedLeaves.keySet().removeIf(path -> path.startsWith("kora:"));
    assertEquals(leaves(tree), storedLeaves, described + ": the stored tree (the change log aside)");

    // every subscriber's copy converges to exactly the leaves it may read
    long deadline = System.currentTimeMillis() + 10_000;
    for (Client client : clients) {
      Map<String, Object> expected = new TreeMap<>();
      for (List<String> path : client.subscribed) {
        expected.putAll(readableUnder(rules, client.user, tree, path));
      }
      Map<String, Object> seen;
      do {
        synchronized (client.copy) {
          seen = leaves(client.copy);
        }
        if (seen.equals(expected)) {
          break;
        }
        Thread.sleep(20);
      } while (System.currentTimeMillis() < deadline);
      assertEquals(expected, seen, described + ": the copy of " + client.user + " subscribed to "
          + client.subscribed);
      for (String leaf : client.leavesEverSeen) {
        assertTrue(granted(rules, false, client.user, Path.parse(leaf).keys()), described
            + ": " + client.user + " was sent " + leaf);
      }
      // plain queries answer exactly the readable leaves
      for (int i = 0; i < 3; i++) {
        List<String> path = randomPath(random, 1);
        Object answer = client.connection.call("kora.query", queryBody(path)).otherwise(e -> e).await();
        if (answer instanceof KoraException refusal) {
          assertEquals(ErrorCode.DENIED, refusal.code());
          assertTrue(!couldShow(rules, client.user, path), described + ": " + client.user
              + " refused a query of " + path + " that could show something");
          continue;
        }
        assertEquals(readableUnder(rules, client.user, tree, path), restrict(leaves(
            wire((JsonObject) answer).merge()), path), described + ": "
            + client.user + " query of " + path);
      }
    }
  }

  /** A query of one path: {@code {"a": {"u1": {}}}} for {@code a/u1}. */
  private static JsonObject queryBody(List<String> path) {
    JsonObject body = new JsonObject();
    for (int i = path.size() - 1; i >= 0; i--) {
      body = new JsonObject().put(path.get(i), body);
    }
    return body;
  }

  /** An answer or push body as a mutation, its version and reset flag left out. */
  private static Mutation wire(JsonObject body) {
    return Mutation.fromJson(body, java.util.Set.of("version", "reset"));
  }

  private static Map<String, Object> restrict(Map<String, Object> leaves, List<String> under) {
    Map<String, Object> kept = new TreeMap<>();
    for (Map.Entry<String, Object> leaf : leaves.entrySet()) {
      List<String> path = Path.parse(leaf.getKey()).keys();
      if (path.size() >= under.size() && path.subList(0, under.size()).equals(under)) {
        kept.put(leaf.getKey(), leaf.getValue());
      }
    }
    return kept;
  }

  /** A connected identity, its subscriptions and its copy of what it was sent. */
  private static final class Client {
    final String user;
    final KoraConnection connection;
    final List<List<String>> subscribed = new ArrayList<>();
    final JsonObject copy = new JsonObject();
    final List<String> leavesEverSeen = new java.util.concurrent.CopyOnWriteArrayList<>();

    Client(String user, KoraConnection connection) {
      this.user = user;
      this.connection = connection;
      connection.pushHandler(push -> {
        Mutation part = wire((JsonObject) push.body());
        leaves(part.merge()).keySet().forEach(leavesEverSeen::add);
        synchronized (copy) {
          part.applyTo(copy);
        }
      });
    }
  }
}
