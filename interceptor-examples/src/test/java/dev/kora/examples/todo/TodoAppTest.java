package dev.kora.examples.todo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.node.KoraNode;
import dev.kora.node.KoraNodeOptions;
import dev.kora.storage.StoreOptions;
import dev.kora.testkit.Eventually;
import dev.kora.testkit.TestSocket;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import dev.kora.tree.Query;
import dev.kora.tree.QueryOptions;
import dev.kora.tree.Tree;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The todo app end to end: a node on a SQLite file with {@link TodoPlugin}, clients over a real
 * WebSocket. Accounts, stamping, the schema, per-user isolation on writes, reads, subscriptions and
 * pushes, the server-only paths, the denormalized count and the notification outbox.
 */
@ExtendWith(VertxExtension.class)
class TodoAppTest {

  private static final String PASSWORD = "correct horse battery";
  private static final long EFFECT_TIMEOUT_MS = 10_000;

  @TempDir
  java.nio.file.Path tmp;

  private Vertx vertx;
  private KoraNode node;
  private java.nio.file.Path outbox;

  @BeforeEach
  void start(Vertx vertx, VertxTestContext context) {
    this.vertx = vertx;
    outbox = tmp.resolve("outbox.log");
    KoraNode.deploy(vertx, new KoraNodeOptions().setPort(0)
            .setStore(new StoreOptions().setUrl("sqlite:" + tmp.resolve("kora.db")))
            .addPlugin(new TodoPlugin(outbox)))
        .onComplete(context.succeeding(started -> {
          node = started;
          context.completeNow();
        }));
  }

  // ---- helpers -------------------------------------------------------------------------------

  private Future<TestSocket> connect() {
    return TestSocket.connect(vertx, node.actualPort(), TestSocket.PATIENT_TIMEOUT_MS);
  }

  /** @return a client signed up (and so logged in) as {@code user} */
  private Future<TestSocket> user(String user) {
    return connect().compose(client -> client.request("todo.signup", credentials(user, PASSWORD))
        .map(reply -> {
          assertEquals(new JsonObject().put("user", user), reply);
          return client;
        }));
  }

  private static JsonObject credentials(String user, String password) {
    return new JsonObject().put("user", user).put("password", password);
  }

  private static Path todo(String user, String id) {
    return Path.of("user:todos", user, id);
  }

  private static JsonObject merge(Path path, Object value) {
    return Mutation.merge(path, value).toJson();
  }

  private static JsonObject delete(Path path) {
    return Mutation.delete(path).toJson();
  }

  private static JsonObject query(Path path) {
    return Query.of(path, QueryOptions.WHOLE).toJson();
  }

  private static JsonObject title(String title) {
    return new JsonObject().put("title", title);
  }

  /** @return the value at {@code path} in a query reply */
  private static Object at(JsonObject reply, Path path) {
    return Tree.get(reply.getJsonObject("merge"), path);
  }

  /** @return the value at {@code path} as the server stores it */
  private Future<Object> stored(Path path) {
    return node.query(Query.of(path, QueryOptions.WHOLE))
        .map(answer -> Tree.get(answer.merge(), path));
  }

  // ---- accounts ------------------------------------------------------------------------------

  @Test
  void signupLoginAndLogoutSetTheConnectionsUser(VertxTestContext context) {
    JsonObject milk = merge(todo("ann", "t1"), title("milk"));
    user("ann").compose(ann -> ann.mutate(milk)
        .compose(v -> ann.request("todo.logout", null))
        .compose(reply -> {
          assertEquals("ok", reply);
          return ann.refused("kora.mutation", milk, ErrorCode.DENIED);
        })
        .compose(message -> {
          assertTrue(message.contains("log in"), message);
          return ann.refused("todo.login", credentials("ann", "wrong password"), ErrorCode.DENIED);
        })
        .compose(v -> ann.refused("todo.login", credentials("nobody", PASSWORD), ErrorCode.DENIED))
        .compose(v -> ann.refused("kora.query", query(todo("ann", "t1")), ErrorCode.DENIED))
        .compose(v -> ann.request("todo.login", credentials("ann", PASSWORD)))
        .compose(reply -> {
          assertEquals(new JsonObject().put("user", "ann"), reply);
          return ann.query(query(todo("ann", "t1")));
        })
        .compose(reply -> {
          assertEquals("milk", ((JsonObject) at(reply, todo("ann", "t1"))).getString("title"));
          return ann.close();
        }))
        .onComplete(context.succeedingThenComplete());
  }

  @Test
  void signupRefusesShortPasswordsExistingUsersAndBadBodies(VertxTestContext context) {
    user("ann").compose(ann -> connect().compose(other -> other
        .refused("todo.signup", credentials("ann", PASSWORD), ErrorCode.DENIED)
        .compose(message -> {
          assertTrue(message.contains("exists"), message);
          return other.refused("todo.signup", credentials("bob", "short"),
              ErrorCode.INVALID_MESSAGE);
        })
        .compose(v -> other.refused("todo.signup", new JsonObject().put("user", "bob"),
            ErrorCode.INVALID_MESSAGE))
        .compose(v -> other.refused("todo.login", "not an object", ErrorCode.INVALID_MESSAGE))
        // A refused signup logs nobody in and stores no account.
        .compose(v -> other.refused("kora.mutation", merge(todo("bob", "t1"), title("x")),
            ErrorCode.DENIED))
        .compose(v -> stored(Path.of("todo:users", "bob")))
        .compose(bob -> {
          assertNull(bob);
          return stored(Path.of("todo:users", "ann", "hash"));
        })
        .map(hash -> {
          // PBKDF2 in the PHC string format; never the password itself.
          assertTrue(hash instanceof String text && text.startsWith("$pbkdf2$")
              && !text.contains(PASSWORD), "stored hash " + hash);
          return null;
        })))
        .onComplete(context.succeedingThenComplete());
  }

  // ---- stamping and schema -------------------------------------------------------------------

  @Test
  void creationStampsCreatedAndUserAndUpdatesKeepThem(VertxTestContext context) {
    long before = System.currentTimeMillis();
    long[] created = new long[1];
    user("ann").compose(ann -> ann.mutate(merge(todo("ann", "t1"), title("milk")))
        .compose(v -> ann.query(query(todo("ann", "t1"))))
        .compose(reply -> {
          JsonObject todo = (JsonObject) at(reply, todo("ann", "t1"));
          assertEquals("milk", todo.getString("title"));
          assertEquals("ann", todo.getString("user"));
          created[0] = todo.getLong("created");
          assertTrue(created[0] >= before && created[0] <= System.currentTimeMillis(),
              "created " + created[0]);
          return ann.mutate(merge(todo("ann", "t1"), new JsonObject().put("done", true)));
        })
        .compose(v -> ann.query(query(todo("ann", "t1"))))
        .compose(reply -> {
          assertEquals(new JsonObject().put("title", "milk").put("done", true)
              .put("user", "ann").put("created", created[0]), at(reply, todo("ann", "t1")));
          // A new todo needs a title; marking a todo that does not exist as done is refused.
          return ann.refused("kora.mutation", merge(todo("ann", "t2"),
              new JsonObject().put("done", false)), ErrorCode.INVALID_MUTATION);
        })
        .compose(message -> {
          assertTrue(message.contains("title"), message);
          return stored(todo("ann", "t2"));
        })
        .map(t2 -> {
          assertNull(t2, "nothing of a refused todo is stored");
          return null;
        }))
        .onComplete(context.succeedingThenComplete());
  }

  @Test
  void schemaRefusesBadTodosAndKeepsNothingOfThem(VertxTestContext context) {
    List<JsonObject> bad = List.of(
        title(""),
        title("x".repeat(TodoSchema.MAX_TITLE + 1)),
        new JsonObject().put("title", 42),
        new JsonObject().put("title", "milk").put("done", "yes"),
        new JsonObject().put("title", "milk").put("priority", 1),
        new JsonObject().put("title", "milk").put("created", 0),
        new JsonObject().put("title", "milk").put("user", "bob"));
    user("ann").compose(ann -> {
      Future<Void> chain = Future.succeededFuture();
      for (JsonObject todo : bad) {
        chain = chain.compose(v -> ann.refused("kora.mutation", merge(todo("ann", "bad"), todo),
            ErrorCode.INVALID_MUTATION)).mapEmpty();
      }
      return chain
          // A todo is an object, not a leaf.
          .compose(v -> ann.refused("kora.mutation", merge(todo("ann", "bad"), "milk"),
              ErrorCode.INVALID_MUTATION))
          // One bad todo refuses the whole mutation: the good one beside it is not written.
          .compose(v -> ann.refused("kora.mutation", new JsonObject().put("merge",
              new JsonObject().put("user:todos", new JsonObject().put("ann", new JsonObject()
                  .put("good", title("milk")).put("bad", title(""))))),
              ErrorCode.INVALID_MUTATION))
          // The same rules hold for an existing todo.
          .compose(v -> ann.mutate(merge(todo("ann", "t1"), title("milk"))))
          .compose(v -> ann.refused("kora.mutation", merge(todo("ann", "t1"),
              new JsonObject().put("done", 1)), ErrorCode.INVALID_MUTATION))
          .compose(v -> ann.refused("kora.mutation", merge(todo("ann", "t1").child("created"), 5),
              ErrorCode.INVALID_MUTATION))
          .compose(v -> stored(Path.of("user:todos", "ann")));
    }).map(todos -> {
      JsonObject all = (JsonObject) todos;
      assertEquals(java.util.Set.of("t1"), all.fieldNames());
      assertFalse(all.getJsonObject("t1").containsKey("done"));
      return null;
    }).onComplete(context.succeedingThenComplete());
  }

  // ---- isolation -----------------------------------------------------------------------------

  @Test
  void aUserCanNeitherWriteNorReadNorSubscribeToAnothersTodos(VertxTestContext context) {
    Future.all(user("ann"), user("bob")).compose(both -> {
      TestSocket ann = both.resultAt(0);
      TestSocket bob = both.resultAt(1);
      return bob.mutate(merge(todo("bob", "b1"), title("bob's secret")))
          .compose(v -> ann.refused("kora.mutation", merge(todo("bob", "b2"), title("x")),
              ErrorCode.DENIED))
          .compose(v -> ann.refused("kora.mutation", merge(todo("bob", "b1"), title("changed")),
              ErrorCode.DENIED))
          .compose(v -> ann.refused("kora.mutation", delete(todo("bob", "b1")), ErrorCode.DENIED))
          .compose(v -> ann.refused("kora.mutation", delete(Path.of("user:todos", "bob")),
              ErrorCode.DENIED))
          .compose(v -> ann.refused("kora.query", query(todo("bob", "b1")), ErrorCode.DENIED))
          .compose(v -> ann.refused("kora.query", query(Path.of("user:todos", "bob")),
              ErrorCode.DENIED))
          // Reading above the pattern would read bob's todos too.
          .compose(v -> ann.refused("kora.query", query(Path.of("user:todos")), ErrorCode.DENIED))
          .compose(v -> ann.refused("kora.subscribe", query(Path.of("user:todos", "bob")),
              ErrorCode.DENIED))
          .compose(v -> ann.refused("kora.subscribe", query(Path.of("user:todos")),
              ErrorCode.DENIED))
          .compose(v -> ann.refused("kora.query", Query.of(Path.of("user:todos", "bob"),
              new QueryOptions(null, null, null, true)).toJson(), ErrorCode.DENIED))
          .compose(v -> ann.refused("kora.query", query(Path.of("user:stats", "bob")),
              ErrorCode.DENIED))
          // A refused subscription registered nothing: bob's next write reaches ann not at all.
          .compose(v -> ann.request("kora.subscribe", query(Path.of("user:todos", "ann"))))
          .compose(initial -> bob.mutate(merge(todo("bob", "b3"), title("more of bob"))))
          .compose(v -> ann.mutate(merge(todo("ann", "a1"), title("ann's"))))
          .compose(v -> ann.drain())
          .compose(pushes -> {
            assertEquals(1, pushes.size(), "ann hears her own write only: " + pushes);
            JsonObject body = pushes.get(0).getJsonObject("body");
            assertEquals("ann's", Tree.get(body.getJsonObject("merge"),
                todo("ann", "a1").child("title")));
            assertFalse(body.encode().contains("bob"), "no trace of bob in " + body);
            // A server-side write touching both users in one mutation: ann's push holds her part.
            return node.mutate(Mutation.merge(todo("ann", "a2"), title("from the server"))
                .combine(Mutation.merge(todo("bob", "b4"), title("bob's other secret"))));
          })
          .compose(v -> ann.nextCast())
          .compose(push -> {
            JsonObject body = push.getJsonObject("body");
            assertEquals("from the server", Tree.get(body.getJsonObject("merge"),
                todo("ann", "a2").child("title")));
            assertFalse(body.encode().contains("bob"), "no trace of bob in " + body);
            return ann.drain();
          })
          .compose(rest -> {
            assertEquals(List.of(), rest);
            return stored(todo("bob", "b1"));
          })
          .map(b1 -> {
            assertEquals("bob's secret", ((JsonObject) b1).getString("title"));
            return null;
          });
    }).onComplete(context.succeedingThenComplete());
  }

  @Test
  void anAnonymousConnectionIsDeniedEverythingOfTheApp(VertxTestContext context) {
    connect().compose(anonymous -> anonymous
        .refused("kora.mutation", merge(todo("ann", "t1"), title("x")), ErrorCode.DENIED)
        .compose(v -> anonymous.refused("kora.query", query(Path.of("user:todos", "ann")),
            ErrorCode.DENIED))
        .compose(v -> anonymous.refused("kora.subscribe", query(Path.of("user:stats", "ann")),
            ErrorCode.DENIED)))
        .onComplete(context.succeedingThenComplete());
  }

  @Test
  void noClientDeletesOrOverwritesAllTodosFromAbove(VertxTestContext context) {
    user("ann").compose(ann -> ann.mutate(merge(todo("ann", "t1"), title("milk")))
        .compose(v -> ann.refused("kora.mutation", delete(Path.of("user:todos")), ErrorCode.DENIED))
        .compose(v -> ann.refused("kora.mutation", merge(Path.of("user:todos"), null),
            ErrorCode.DENIED))
        .compose(v -> ann.refused("kora.mutation", merge(Path.of("user:todos"), "gone"),
            ErrorCode.DENIED))
        .compose(v -> ann.refused("kora.mutation", delete(Path.of("user:stats")), ErrorCode.DENIED))
        .compose(v -> stored(todo("ann", "t1")))
        .compose(t1 -> {
          assertEquals("milk", ((JsonObject) t1).getString("title"));
          // Her own list, whole, is hers to delete.
          return ann.mutate(delete(Path.of("user:todos", "ann")));
        })
        .compose(v -> stored(Path.of("user:todos", "ann")))
        .map(todos -> {
          assertNull(todos);
          return null;
        }))
        .onComplete(context.succeedingThenComplete());
  }

  @Test
  void serverOnlyPathsAreClosedToClients(VertxTestContext context) {
    user("ann").compose(ann -> ann.mutate(merge(todo("ann", "t1"), title("milk")))
        .compose(v -> ann.refused("kora.query", query(Path.of("todo:users")), ErrorCode.DENIED))
        .compose(v -> ann.refused("kora.query", query(Path.of("todo:users", "ann")),
            ErrorCode.DENIED))
        .compose(v -> ann.refused("kora.subscribe", query(Path.of("todo:users", "ann")),
            ErrorCode.DENIED))
        .compose(v -> ann.refused("kora.mutation", merge(Path.of("todo:users", "ann", "hash"),
            "$pbkdf2$mine"), ErrorCode.DENIED))
        .compose(v -> ann.refused("kora.mutation", delete(Path.of("todo:users")),
            ErrorCode.DENIED))
        .compose(v -> ann.refused("kora.query", query(Path.of("kora:jobs")), ErrorCode.DENIED))
        .compose(v -> ann.refused("kora.subscribe", query(Path.of("kora:jobs")), ErrorCode.DENIED))
        .compose(v -> ann.refused("kora.mutation", merge(Path.of("kora:jobs", "x"),
            new JsonObject().put("name", "todo.notify")), ErrorCode.DENIED))
        .compose(v -> ann.refused("kora.mutation", delete(Path.of("kora:jobs")), ErrorCode.DENIED))
        // The count is hers to read, not to write.
        .compose(v -> ann.refused("kora.mutation", merge(Path.of("user:stats", "ann", "todos"),
            1000), ErrorCode.DENIED))
        .compose(v -> ann.query(query(Path.of("user:stats", "ann"))))
        .compose(v -> stored(Path.of("todo:users", "ann", "hash")))
        .map(hash -> {
          assertTrue(hash instanceof String text && text.startsWith("$pbkdf2$"), "hash " + hash);
          return null;
        }))
        .onComplete(context.succeedingThenComplete());
  }

  // ---- effects -------------------------------------------------------------------------------

  private Future<Object> count(TestSocket client, String user) {
    Path path = Path.of("user:stats", user, "todos");
    return client.query(query(path)).map(reply -> at(reply, path));
  }

  @Test
  void theCountFollowsCreationsAndDeletions(VertxTestContext context) {
    user("ann").compose(ann -> ann.mutate(merge(todo("ann", "t1"), title("one")))
        .compose(v -> ann.mutate(merge(todo("ann", "t2"), title("two"))))
        .compose(v -> ann.mutate(merge(todo("ann", "t3"), title("three"))))
        // An update is no creation: the count stays.
        .compose(v -> ann.mutate(merge(todo("ann", "t3"), new JsonObject().put("done", true))))
        .compose(v -> Eventually.poll(vertx, EFFECT_TIMEOUT_MS, "a count of 3",
            () -> count(ann, "ann"), n -> Integer.valueOf(3).equals(n)))
        .compose(v -> ann.mutate(delete(todo("ann", "t1"))))
        .compose(v -> Eventually.poll(vertx, EFFECT_TIMEOUT_MS, "a count of 2",
            () -> count(ann, "ann"), n -> Integer.valueOf(2).equals(n)))
        // A null merge deletes too.
        .compose(v -> ann.mutate(merge(todo("ann", "t2"), null)))
        .compose(v -> Eventually.poll(vertx, EFFECT_TIMEOUT_MS, "a count of 1",
            () -> count(ann, "ann"), n -> Integer.valueOf(1).equals(n)))
        .compose(v -> ann.mutate(delete(Path.of("user:todos", "ann"))))
        .compose(v -> Eventually.poll(vertx, EFFECT_TIMEOUT_MS, "a count of 0",
            () -> count(ann, "ann"), n -> Integer.valueOf(0).equals(n)))
        .compose(v -> jobsDone()))
        .onComplete(context.succeedingThenComplete());
  }

  @Test
  void eachNewTodoSendsOneNotificationToTheOutbox(VertxTestContext context) {
    user("ann").compose(ann -> ann.mutate(merge(todo("ann", "t1"), title("milk")))
        .compose(v -> ann.mutate(merge(todo("ann", "t1"), new JsonObject().put("done", true))))
        .compose(v -> ann.mutate(merge(todo("ann", "t2"), title("bread"))))
        .compose(v -> jobsDone())
        .compose(v -> outboxLines())
        .map(lines -> {
          // Every job has run; an update notifies nobody, so exactly the two creations are there.
          assertEquals(2, lines.size(), "outbox " + lines);
          for (JsonObject line : lines) {
            assertEquals("ann", line.getString("user"));
            assertTrue(line.getLong("sent") > 0, "sent " + line);
          }
          assertEquals(java.util.Set.of("t1:milk", "t2:bread"), java.util.Set.of(
              lines.get(0).getString("todo") + ":" + lines.get(0).getString("title"),
              lines.get(1).getString("todo") + ":" + lines.get(1).getString("title")));
          return null;
        }))
        .onComplete(context.succeedingThenComplete());
  }

  /** @return succeeds once {@code kora:jobs} is empty: every effect has run */
  private Future<Void> jobsDone() {
    return Eventually.poll(vertx, EFFECT_TIMEOUT_MS, "every job to run",
        () -> stored(Path.of("kora:jobs")), jobs -> jobs == null).mapEmpty();
  }

  private Future<List<JsonObject>> outboxLines() {
    return vertx.fileSystem().exists(outbox.toString()).compose(exists -> !exists
        ? Future.succeededFuture(List.of())
        : vertx.fileSystem().readFile(outbox.toString()).map(buffer -> buffer.toString().lines()
            .filter(line -> !line.isBlank()).map(JsonObject::new).toList()));
  }
}
