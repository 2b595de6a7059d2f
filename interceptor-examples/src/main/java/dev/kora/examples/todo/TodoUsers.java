package dev.kora.examples.todo;

import dev.kora.interceptors.ActionHandler;
import dev.kora.interceptors.KoraContext;
import dev.kora.interceptors.Session;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.hashing.HashingStrategy;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * Accounts: {@code todo.signup} and {@code todo.login} take {@code {"user": "dax", "password":
 * "..."}}, set the connection's user and answer {@code {"user": "dax"}}; {@code todo.logout} clears it.
 * Passwords are hashed with PBKDF2-HMAC-SHA512 ({@value #ITERATIONS} iterations, 16-byte random salt)
 * on a worker thread and kept at {@code todo:users/<user>/hash}. Wrong credentials answer
 * {@code denied}.
 */
final class TodoUsers {

  static final int ITERATIONS = 100_000;
  static final Path USERS = Path.of("todo:users");

  private final HashingStrategy hashing = HashingStrategy.load();
  private final SecureRandom random = new SecureRandom();
  private KoraContext context;

  void start(KoraContext context) {
    this.context = context;
  }

  KoraContext context() {
    return context;
  }

  List<ActionHandler> handlers() {
    return List.of(ActionHandler.of("todo.signup", this::signup),
        ActionHandler.of("todo.login", this::login),
        ActionHandler.of("todo.logout", (body, session) -> {
          session.setUser(null);
          return Future.succeededFuture("ok");
        }));
  }

  private Future<Object> signup(Object body, Session session) {
    Credentials credentials = Credentials.of(body);
    Path account = USERS.child(credentials.user());
    return context.read(account.child("hash")).compose(existing -> {
      if (existing != null) {
        return Future.failedFuture(new KoraException(ErrorCode.DENIED,
            "user '" + credentials.user() + "' exists"));
      }
      byte[] salt = new byte[16];
      random.nextBytes(salt);
      String saltText = Base64.getEncoder().withoutPadding().encodeToString(salt);
      return context.vertx().executeBlocking(() -> hashing.hash("pbkdf2",
          Map.of("it", String.valueOf(ITERATIONS)), saltText, credentials.password()));
    }).compose(hash -> context.mutate(Mutation.merge(account, new JsonObject()
        .put("hash", hash).put("created", System.currentTimeMillis()))))
        .map(version -> {
          session.setUser(credentials.user());
          return new JsonObject().put("user", credentials.user());
        });
  }

  private Future<Object> login(Object body, Session session) {
    Credentials credentials = Credentials.of(body);
    return context.read(USERS.child(credentials.user()).child("hash")).compose(hash -> {
      if (!(hash instanceof String stored)) {
        return Future.succeededFuture(false);
      }
      return context.vertx().executeBlocking(() -> hashing.verify(stored,
          credentials.password()));
    }).compose(valid -> {
      if (!valid) {
        return Future.failedFuture(new KoraException(ErrorCode.DENIED,
            "wrong user or password"));
      }
      session.setUser(credentials.user());
      return Future.succeededFuture(new JsonObject().put("user", credentials.user()));
    });
  }

  private record Credentials(String user, String password) {
    static Credentials of(Object body) {
      if (!(body instanceof JsonObject json) || !(json.getValue("user") instanceof String user)
          || !(json.getValue("password") instanceof String password)) {
        throw new KoraException(ErrorCode.INVALID_MESSAGE,
            "expected {\"user\": \"...\", \"password\": \"...\"}");
      }
      Path.checkKey(user);
      if (password.length() < 8) {
        throw new KoraException(ErrorCode.INVALID_MESSAGE, "a password has at least 8 characters");
      }
      return new Credentials(user, password);
    }
  }
}
