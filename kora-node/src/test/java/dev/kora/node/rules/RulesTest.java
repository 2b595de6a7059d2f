package dev.kora.node.rules;

import static dev.kora.testkit.Checks.refusal;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.auth.JwtOptions;
import dev.kora.client.connection.KoraConnection;
import dev.kora.node.KoraNode;
import dev.kora.node.KoraNodeOptions;
import dev.kora.node.TestNodes;
import dev.kora.testkit.EventStream;
import dev.kora.testkit.HttpCalls;
import dev.kora.testkit.TestCredentials;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import dev.kora.tree.Query;
import dev.kora.tree.QueryOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rules conformance table on a real node through real sockets: for each operation (query,
 * subscribe, push, merge, delete) allow and deny, captures, {@code auth == null}, {@code newData}
 * validation, and field-level read filtering of answers and pushes, over the WebSocket, REST and
 * server-sent events; a changed rules file takes effect and a broken one is not taken.
 */
public class RulesTest {

  public static final String RULES = """
      {"rules": [
        {"path": "profiles/{user}/**",
         "read": "auth != null && auth.sub == user",
         "write": "auth != null && auth.sub == user"},
        {"path": "profiles/{user}/name", "read": "auth != null"},
        {"path": "public/**", "read": "true", "write": "auth != null && auth.role == 'admin'"},
        {"path": "todos/{user}/**", "read": "auth != null && auth.sub == user",
         "write": "auth != null && auth.sub == user"},
        {"path": "todos/{user}/{id}",
         "validate": "has(newData.title) && type(newData.title) == string && size(newData.title) <= 20"}
      ]}
      """;

  private static final String SECRET = TestCredentials.SECRET;

  @TempDir
  java.nio.file.Path folder;

  private Vertx vertx;
  private KoraNode node;
  private java.nio.file.Path rulesFile;
  /** Held until the end: Vert.x closes an HTTP client, and its connections, once unreachable. */
  private HttpClient http;
  private HttpCalls calls;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    http = vertx.createHttpClient();
    rulesFile = folder.resolve("rules.json");
    Files.writeString(rulesFile, RULES);
    node = TestNodes.start(vertx, TestNodes.memoryOptions()
        .setAuth(new JwtOptions().setHmacSecret(SECRET)).setAllowAnonymous(true)
        .setRules(rulesFile.toString()).setRulesCheckIntervalMs(20)).await();
    calls = new HttpCalls(vertx, http, node.actualPort());
    node.mutate(Mutation.fromJson(new JsonObject("""
        {"merge": {
          "profiles": {"dax": {"name": "Dax", "email": "dax@example.com"},
                       "bob": {"name": "Bob", "email": "bob@example.com", "age": 40}},
          "public": {"motd": "hello"},
          "secrets": {"launch": "0000"}}}
        """))).await();
  }

  @AfterEach
  void stop() {
    vertx.close().await();
  }

  private String token(String user, String role) {
    JsonObject claims = new JsonObject().put("sub", user)
        .put("exp", TestCredentials.nowSeconds() + 3_600);
    if (role != null) {
      claims.put("role", role);
    }
    return TestCredentials.hmacToken(vertx, SECRET, claims);
  }

  private KoraConnection connect(String user) {
    String url = "ws://127.0.0.1:" + node.actualPort() + "/socket"
        + (user == null ? "" : "?access_token=" + token(user, null));
    return KoraConnection.connect(vertx, url).await();
  }

  private static JsonObject query(KoraConnection connection, String path) {
    return ((JsonObject) connection.call("kora.query", new JsonObject().put(path,
        new JsonObject())).await()).getJsonObject("merge");
  }


  private static JsonObject json(String text) {
    return new JsonObject(text);
  }

  private Object stored(String path) {
    Mutation answer = node.query(Query.of(List.of(new Query.Entry(Path.parse(path),
        QueryOptions.WHOLE)))).await();
    return dev.kora.tree.Tree.get(answer.merge(), Path.parse(path));
  }

  @Test
  void queriesAnswerOnlyTheReadableFields() {
    KoraConnection bob = connect("bob");
    assertEquals(json("""
        {"profiles": {"dax": {"name": "Dax"},
                      "bob": {"name": "Bob", "email": "bob@example.com", "age": 40}}}"""),
        query(bob, "profiles"), "another user's profile shows only its name (a field rule)");
    assertEquals(json("{\"public\": {\"motd\": \"hello\"}}"), query(bob, "public"));
    KoraConnection anonymous = connect(null);
    assertEquals(new JsonObject(), query(anonymous, "profiles"),
        "auth is null: name needs auth != null, so nothing");
    assertEquals(json("{\"public\": {\"motd\": \"hello\"}}"), query(anonymous, "public"));
    assertEquals(ErrorCode.DENIED, refusal(bob.call("kora.query", new JsonObject()
        .put("secrets", new JsonObject()))).code(), "no rule can show anything under secrets");
    assertEquals(ErrorCode.DENIED, refusal(bob.call("kora.subscribe", new JsonObject()
        .put("secrets", new JsonObject()))).code());
    assertEquals(ErrorCode.DENIED, refusal(bob.call("riptide.query", new JsonObject()
        .put("profiles", new JsonObject().put("dax", new JsonObject().put("email",
            new JsonObject()))))).code(), "the Riptide dialect too");
  }

  @Test
  void pushesCarryOnlyTheReadableFieldsOfAChange() {
    KoraConnection bob = connect("bob");
    KoraConnection dax = connect("dax");
    KoraConnection anonymous = connect(null);
    List<JsonObject> bobSees = new CopyOnWriteArrayList<>();
    List<JsonObject> daxSees = new CopyOnWriteArrayList<>();
    List<JsonObject> anonymousSees = new CopyOnWriteArrayList<>();
    bob.pushHandler(push -> bobSees.add((JsonObject) push.body()));
    dax.pushHandler(push -> daxSees.add((JsonObject) push.body()));
    anonymous.pushHandler(push -> anonymousSees.add((JsonObject) push.body()));
    for (KoraConnection connection : List.of(bob, dax, anonymous)) {
      connection.call("kora.subscribe", new JsonObject().put("profiles", new JsonObject()))
          .await();
      connection.call("kora.subscribe", new JsonObject().put("public", new JsonObject()))
          .await();
    }
    dax.call("kora.mutation", json("""
        {"merge": {"profiles": {"dax": {"name": "Dax D.", "email": "new@example.com"}}}}"""))
        .await();
    node.merge(Path.parse("public/motd"), "bye").await();
    TestNodes.eventually(vertx, node, 10_000, () -> daxSees.size() >= 2 && bobSees.size() >= 2
        && anonymousSees.size() >= 1, "the pushes").await();
    assertEquals(json("{\"profiles\": {\"dax\": {\"name\": \"Dax D.\"}}}"),
        bobSees.get(0).getJsonObject("merge"), "bob sees the name, not the email");
    assertEquals(json("{\"profiles\": {\"dax\": {\"name\": \"Dax D.\","
        + " \"email\": \"new@example.com\"}}}"), daxSees.get(0).getJsonObject("merge"));
    assertEquals(json("{\"public\": {\"motd\": \"bye\"}}"),
        anonymousSees.get(0).getJsonObject("merge"),
        "the anonymous client got nothing of the profile change, then the public one");
    for (JsonObject push : anonymousSees) {
      assertFalse(push.encode().contains("new@example.com") || push.encode().contains("Dax D."),
          push.encode());
    }
    for (JsonObject push : bobSees) {
      assertFalse(push.encode().contains("new@example.com"), push.encode());
    }
  }

  @Test
  void writesNeedAWriteRuleAndValidPasses() {
    KoraConnection dax = connect("dax");
    assertEquals(ErrorCode.DENIED, refusal(dax.call("kora.mutation", json("""
        {"merge": {"profiles": {"bob": {"name": "hacked"}}}}"""))).code(), "capture decides");
    assertEquals("Bob", stored("profiles/bob/name"), "nothing of a refused write lands");
    assertEquals(ErrorCode.DENIED, refusal(dax.call("kora.mutation", json("""
        {"merge": {"profiles": {"dax": {"name": "ok"}, "bob": {"name": "hacked"}}}}""")))
        .code(), "one refused change refuses the mutation");
    assertEquals("Dax", stored("profiles/dax/name"));
    assertEquals(ErrorCode.DENIED, refusal(dax.call("kora.mutation", json("""
        {"delete": {"profiles": 1}}"""))).code(), "a wide delete above every write rule");
    assertEquals(ErrorCode.DENIED, refusal(connect(null).call("kora.mutation", json("""
        {"merge": {"public": {"motd": "spam"}}}"""))).code(), "auth == null");
    KoraConnection admin = KoraConnection.connect(vertx, "ws://127.0.0.1:" + node.actualPort()
        + "/socket?access_token=" + token("root", "admin")).await();
    admin.call("kora.mutation", json("{\"merge\": {\"public\": {\"motd\": \"news\"}}}")).await();
    assertEquals("news", stored("public/motd"), "a claim grants");

    assertEquals(ErrorCode.INVALID_MUTATION, refusal(dax.call("kora.mutation", json("""
        {"merge": {"todos": {"dax": {"t1": {"done": true}}}}}"""))).code(),
        "validate: newData needs a title");
    dax.call("kora.mutation", json("""
        {"merge": {"todos": {"dax": {"t1": {"title": "milk"}}}}}""")).await();
    dax.call("kora.mutation", json("""
        {"merge": {"todos": {"dax": {"t1": {"done": true}}}}}""")).await();
    assertEquals(json("{\"title\": \"milk\", \"done\": true}"), stored("todos/dax/t1"),
        "newData holds the stored title");
    assertEquals(ErrorCode.INVALID_MUTATION, refusal(dax.call("kora.mutation", json("""
        {"merge": {"todos": {"dax": {"t1": {"title": "far too long for the rule here"}}}}}""")))
        .code());
    dax.call("kora.mutation", json("{\"delete\": {\"todos\": {\"dax\": {\"t1\": 1}}}}")).await();
    assertEquals(null, stored("todos/dax/t1"), "a delete is not validated");
  }

  @Test
  void restAndEventStreamsFollowTheSameRules() {
    String bob = "Bearer " + token("bob", null);
    HttpCalls.Answer profiles = calls.get("/tree/profiles", bob);
    assertEquals(200, profiles.status(), profiles.body());
    assertEquals(json("""
        {"dax": {"name": "Dax"}, "bob": {"name": "Bob", "email": "bob@example.com", "age": 40}}"""),
        profiles.json());
    assertEquals(403, calls.get("/tree/secrets", bob).status());
    assertEquals(ErrorCode.DENIED, calls.get("/tree/secrets", null).json().getString("code"));
    HttpCalls.Answer put = calls.send(HttpMethod.PUT, "/tree/profiles/dax/name", bob, "\"x\"");
    assertEquals(403, put.status());
    assertEquals(ErrorCode.DENIED, put.json().getString("code"));
    assertEquals("Dax", stored("profiles/dax/name"));

    EventStream events = calls.events(vertx, "/tree/profiles?access_token="
        + token("bob", null), 10_000);
    JsonObject first = new JsonObject(events.next().await().getString("data"));
    assertEquals(json("{\"profiles\": {\"dax\": {\"name\": \"Dax\"}, \"bob\": {\"name\": \"Bob\","
        + " \"email\": \"bob@example.com\", \"age\": 40}}}"), first.getJsonObject("merge"));
    node.mutate(Mutation.fromJson(json("""
        {"merge": {"profiles": {"dax": {"email": "hidden@example.com", "name": "D"}}}}""")))
        .await();
    JsonObject second = new JsonObject(events.next().await().getString("data"));
    assertEquals(json("{\"profiles\": {\"dax\": {\"name\": \"D\"}}}"),
        second.getJsonObject("merge"));
    events.close();
  }

  @Test
  void aChangedRulesFileTakesEffectAndABrokenOneIsNotTaken() throws Exception {
    KoraConnection bob = connect("bob");
    assertEquals(ErrorCode.DENIED, refusal(bob.call("kora.query", new JsonObject()
        .put("secrets", new JsonObject()))).code());
    Files.writeString(rulesFile, RULES.replace("\"rules\": [",
        "\"rules\": [{\"path\": \"secrets/**\", \"read\": \"auth != null\"},"));
    Files.setLastModifiedTime(rulesFile, FileTime.fromMillis(System.currentTimeMillis() + 5_000));
    long deadline = System.currentTimeMillis() + 10_000;
    JsonObject answer = null;
    while (System.currentTimeMillis() < deadline) {
      Object reply = bob.call("kora.query", new JsonObject().put("secrets", new JsonObject()))
          .otherwise(e -> null).await();
      if (reply != null) {
        answer = ((JsonObject) reply).getJsonObject("merge");
        break;
      }
      Thread.sleep(20);
    }
    assertEquals(json("{\"secrets\": {\"launch\": \"0000\"}}"), answer, "reloaded within 10 s");

    Files.writeString(rulesFile, "{\"rules\": [{\"path\": \"**\", \"read\": \"true\" +}]}");
    Files.setLastModifiedTime(rulesFile, FileTime.fromMillis(System.currentTimeMillis() + 10_000));
    Thread.sleep(300);
    assertEquals(json("{\"profiles\": {\"dax\": {\"name\": \"Dax\"}, \"bob\": {\"name\": \"Bob\","
        + " \"email\": \"bob@example.com\", \"age\": 40}}}"), query(bob, "profiles"),
        "the broken file was not taken: the rules in force stay");
  }

  @Test
  void theConsoleActsAsAnAdministratorTheRulesCanGrantAlsoWithoutAuthentication() throws Exception {
    java.nio.file.Path withAdmins = folder.resolve("admins.json");
    Files.writeString(withAdmins, RULES.replace("\"rules\": [", "\"rules\": [{\"path\": \"**\","
        + " \"read\": \"auth != null && auth.kora_admin == true\"},"));
    KoraNode open = TestNodes.start(vertx, TestNodes.memoryOptions()
        .setRules(withAdmins.toString())).await();
    open.merge(Path.parse("secrets/launch"), "0000").await();
    HttpCalls openCalls = new HttpCalls(vertx, http, open.actualPort());
    assertEquals(403, openCalls.get("/tree/secrets", null).status(), "anonymous: no rule grants");
    HttpCalls.Answer admin = openCalls.get("/console/api/tree/secrets",
        "Bearer " + open.adminToken());
    assertEquals(200, admin.status(), admin.body());
    assertEquals(json("{\"launch\": \"0000\"}"), admin.json());
  }

  @Test
  void aNodeWithRulesMayListenBeyondLoopbackAndABrokenFileStopsItsStart() throws Exception {
    KoraNode open = TestNodes.start(vertx, TestNodes.memoryOptions().setHost("0.0.0.0")
        .setRules(rulesFile.toString())).await();
    assertTrue(open.actualPort() > 0, "rules decide what anonymous clients may do");
    java.nio.file.Path broken = folder.resolve("broken.json");
    Files.writeString(broken, "{\"rules\": [{\"path\": \"a\", \"read\": \"data\"}]}");
    Throwable failure = assertThrows(CompletionException.class, () -> TestNodes.start(vertx,
        TestNodes.memoryOptions().setRules(broken.toString())).toCompletionStage()
        .toCompletableFuture().join()).getCause();
    assertTrue(failure.getMessage().contains("rule 0 (a): read:"), failure.getMessage());
  }
}
