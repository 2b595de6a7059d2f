package dev.kora.node.auth;

import static dev.kora.testkit.Checks.refusal;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.auth.JwtOptions;
import dev.kora.client.KoraClient;
import dev.kora.client.KoraClientOptions;
import dev.kora.client.connection.KoraConnection;
import dev.kora.interceptors.ActionHandler;
import dev.kora.interceptors.Identity;
import dev.kora.interceptors.KoraPlugin;
import dev.kora.interceptors.Session;
import dev.kora.node.KoraNode;
import dev.kora.node.KoraNodeOptions;
import dev.kora.node.TestNodes;
import dev.kora.testkit.HttpCalls;
import dev.kora.testkit.HttpCalls.Answer;
import dev.kora.testkit.TestCredentials;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import dev.kora.tree.Path;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Authentication with JSON Web Tokens on a real node, through real sockets: the token in the
 * WebSocket handshake (header or {@code access_token}), in a {@code kora.auth} call, and in REST and
 * SSE requests; what a client without a token may do; refusals with their codes and HTTP statuses;
 * connections ending when their token expires and living on when it is renewed; claims and handshake
 * headers reaching handlers; a plugin's authenticator that answers later; and the refusal to listen
 * beyond loopback without authentication.
 */
class AuthenticationTest {

  private static final String SECRET = TestCredentials.SECRET;

  private Vertx vertx;
  private KoraNode node;
  /** Held until the end: Vert.x closes an HTTP client, and its connections, once unreachable. */
  private HttpClient http;
  private final List<Map<String, String>> connectHeaders = new CopyOnWriteArrayList<>();

  /** Answers who the session is: {@code {"user": ..., "role": ..., "agent": ...}}. */
  private final KoraPlugin whoAmI = new KoraPlugin() {
    @Override
    public List<ActionHandler> handlers() {
      return List.of(new ActionHandler() {
        @Override
        public String action() {
          return "test.whoami";
        }

        @Override
        public Future<Object> handle(Object body, Session session) {
          return Future.succeededFuture(new JsonObject().put("user", session.user())
              .put("role", session.claims().getString("role"))
              .put("agent", session.headers().get("user-agent"))
              .put("authenticated", session.isAuthenticated()));
        }

        @Override
        public void connected(Session session) {
          connectHeaders.add(session.headers());
        }
      });
    }
  };

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    http = vertx.createHttpClient();
  }

  @AfterEach
  void stop() {
    vertx.close().await();
  }

  private KoraNode start(KoraNodeOptions options) {
    node = TestNodes.start(vertx, options.addPlugin(whoAmI)).await();
    return node;
  }

  private KoraNode startWithAuth() {
    return start(TestNodes.memoryOptions().setAuth(new JwtOptions().setHmacSecret(SECRET)));
  }

  private String token(String user, long expSeconds) {
    JsonObject claims = new JsonObject().put("sub", user).put("role", "admin");
    if (expSeconds > 0) {
      claims.put("exp", expSeconds);
    }
    return TestCredentials.hmacToken(vertx, SECRET, claims);
  }

  private String validToken(String user) {
    return token(user, TestCredentials.nowSeconds() + 3_600);
  }

  private KoraConnection connect(String query, String authorization) {
    WebSocketConnectOptions target = KoraConnection.target("ws://127.0.0.1:" + node.actualPort()
        + "/socket" + query).putHeader("User-Agent", "auth-test/1");
    if (authorization != null) {
      target.putHeader("Authorization", authorization);
    }
    return KoraConnection.connect(vertx, target, KoraConnection.defaultClientOptions()).await();
  }


  private static int handshakeStatus(Future<?> connect) {
    Throwable failure = assertThrows(CompletionException.class,
        () -> connect.toCompletionStage().toCompletableFuture().orTimeout(10, TimeUnit.SECONDS)
            .join()).getCause();
    assertTrue(failure instanceof UpgradeRejectedException, "refused: " + failure);
    return ((UpgradeRejectedException) failure).getStatus();
  }

  @Test
  void aBearerTokenInTheHandshakeAuthenticatesAndItsClaimsAndHeadersReachHandlers() {
    startWithAuth();
    KoraConnection connection = connect("", "Bearer " + validToken("alice"));
    JsonObject me = (JsonObject) connection.call("test.whoami", null).await();
    assertEquals(new JsonObject().put("user", "alice").put("role", "admin")
        .put("agent", "auth-test/1").put("authenticated", true), me);
    assertEquals("auth-test/1", connectHeaders.get(0).get("user-agent"),
        "the connect hook sees the handshake's headers");
    connection.call("kora.mutation", new JsonObject().put("merge", new JsonObject().put("a", 1)))
        .await();
    assertEquals(1, ((JsonObject) connection.call("kora.query", new JsonObject()
        .put("a", new JsonObject())).await()).getJsonObject("merge").getInteger("a"));
  }

  @Test
  void anAccessTokenParameterAuthenticatesAsBrowsersAndTheRiptideClientSendIt() {
    startWithAuth();
    KoraConnection connection = connect("?access_token=" + validToken("bob"), null);
    assertEquals("bob", ((JsonObject) connection.call("test.whoami", null).await())
        .getString("user"));
  }

  @Test
  void withoutATokenOnlyAuthAndPingAnswerUntilAuthCallSucceeds() {
    startWithAuth();
    KoraConnection connection = connect("", null);
    connection.call("kora.ping", null).await();
    connection.call("riptide.ping", null).await();
    for (String action : List.of("kora.query", "riptide.query", "kora.mutation",
        "riptide.mutation", "kora.subscribe", "test.whoami", "no.such.action")) {
      assertEquals(ErrorCode.UNAUTHENTICATED, refusal(connection.call(action,
          new JsonObject().put("merge", new JsonObject().put("a", 1)))).code(), action);
    }
    assertEquals(ErrorCode.INVALID_MESSAGE, refusal(connection.call("kora.auth",
        new JsonObject())).code());
    assertEquals(ErrorCode.INVALID_MESSAGE, refusal(connection.call("kora.auth", "token"))
        .code());
    assertEquals(ErrorCode.UNAUTHENTICATED, refusal(connection.call("kora.auth",
        new JsonObject().put("token", "not.a.token"))).code());
    long exp = TestCredentials.nowSeconds() + 3_600;
    JsonObject answer = (JsonObject) connection.call("kora.auth", new JsonObject()
        .put("token", token("carol", exp))).await();
    assertEquals(new JsonObject().put("user", "carol").put("expiresAt", exp * 1_000), answer);
    assertEquals("carol", ((JsonObject) connection.call("test.whoami", null).await())
        .getString("user"));
    assertTrue(((JsonObject) connection.call("kora.query", new JsonObject()
        .put("a", new JsonObject())).await()).containsKey("merge"));
  }

  @Test
  void aTokenThatDoesNotVerifyIsRefusedAtTheHandshakeWith401() {
    startWithAuth();
    String forged = TestCredentials.hmacToken(vertx, "another-secret-of-at-least-32-bytes!",
        new JsonObject().put("sub", "mallory"));
    WebSocketConnectOptions target = KoraConnection.target("ws://127.0.0.1:" + node.actualPort()
        + "/socket").putHeader("Authorization", "Bearer " + forged);
    assertEquals(401, handshakeStatus(KoraConnection.connect(vertx, target,
        KoraConnection.defaultClientOptions())));
    assertEquals(401, handshakeStatus(KoraConnection.connect(vertx, "ws://127.0.0.1:"
        + node.actualPort() + "/socket?access_token=" + token("a", TestCredentials.nowSeconds()
        - 60))));
    assertTrue(connectHeaders.isEmpty(), "no connection was opened");
  }

  @Test
  void restAndEventStreamsTakeBearerTokensAndAnswer401WithTheCode() {
    startWithAuth();
    Answer missing = get("/tree/a", null);
    assertEquals(401, missing.status());
    assertEquals(ErrorCode.UNAUTHENTICATED, missing.json().getString("code"));
    assertTrue(missing.challenge().startsWith("Bearer "), missing.challenge());

    Answer expired = get("/tree/a", "Bearer " + token("a", TestCredentials.nowSeconds() - 60));
    assertEquals(401, expired.status());
    assertEquals(ErrorCode.TOKEN_EXPIRED, expired.json().getString("code"));

    Answer put = send(new RequestOptions().setMethod(HttpMethod.PUT).setHost("127.0.0.1")
        .setPort(node.actualPort()).setURI("/tree/a")
        .putHeader("Authorization", "Bearer " + validToken("dave")), "42");
    assertEquals(200, put.status(), put.body());
    Answer read = get("/tree/a", "bearer " + validToken("dave"));
    assertEquals(200, read.status());
    assertEquals("42", read.body());
    // a token as a query parameter is for WebSockets and event streams only
    Answer queryToken = get("/tree/a?access_token=" + validToken("dave"), null);
    assertEquals(401, queryToken.status());
  }

  @Test
  void anEventStreamTakesAnAccessTokenAndEndsWhenItExpires() {
    startWithAuth();
    long exp = TestCredentials.nowSeconds() + 2;
    long started = System.currentTimeMillis();
    Answer stream = send(new RequestOptions().setHost("127.0.0.1").setPort(node.actualPort())
        .setURI("/tree/a?access_token=" + token("erin", exp))
        .putHeader("Accept", "text/event-stream"), null);
    assertEquals(200, stream.status());
    String events = stream.body();
    assertTrue(events.contains("event: mutation"), events);
    assertTrue(System.currentTimeMillis() >= exp * 1_000 - 50,
        "the stream ended at the token's expiry, not before: " + (System.currentTimeMillis()
            - started) + " ms");
  }

  @Test
  void aConnectionIsClosedWith4001WhenItsTokenExpiresUnlessRenewed() {
    startWithAuth();
    long soon = TestCredentials.nowSeconds() + 2;
    KoraConnection expiring = connect("", "Bearer " + token("frank", soon));
    KoraConnection renewed = connect("", "Bearer " + token("grace", soon));
    expiring.call("kora.subscribe", new JsonObject().put("a", new JsonObject())).await();
    renewed.call("kora.auth", new JsonObject().put("token",
        token("grace", TestCredentials.nowSeconds() + 3_600))).await();
    short status = expiring.closed().toCompletionStage().toCompletableFuture()
        .orTimeout(10, TimeUnit.SECONDS).join();
    assertEquals(4001, status);
    assertTrue(System.currentTimeMillis() >= soon * 1_000 - 50, "not closed before its expiry");
    assertEquals("grace", ((JsonObject) renewed.call("test.whoami", null).await())
        .getString("user"), "the renewed connection lives on");
  }

  @Test
  void theJavaClientFetchesAFreshTokenThroughItsHandshakeHookWhenTheOldOneExpires() {
    startWithAuth();
    AtomicInteger handshakes = new AtomicInteger();
    // the first token lives 2 s; each later handshake gets one that lives an hour
    KoraClient client = KoraClient.create(vertx, new KoraClientOptions()
        .setUrl("ws://127.0.0.1:" + node.actualPort() + "/socket")
        .setReconnectInitialDelayMs(50)
        .setHandshake(target -> Future.succeededFuture(target.putHeader("Authorization",
            "Bearer " + token("ivy", TestCredentials.nowSeconds()
                + (handshakes.getAndIncrement() == 0 ? 2 : 3_600)))))).await();
    assertTrue(client.merge(Path.of("c", "1"), "before").await() > 0);
    long deadline = System.currentTimeMillis() + 10_000;
    while (handshakes.get() < 2 && System.currentTimeMillis() < deadline) {
      vertx.timer(50).await();
    }
    assertTrue(handshakes.get() >= 2, "reconnected through the hook after the 4001 close");
    assertTrue(client.merge(Path.of("c", "2"), "after").await() > 0,
        "writes go on with the fresh token");
    client.close().await();
  }

  @Test
  void anonymousClientsMayUseTheNodeWhenAllowedButBadTokensAreStillRefused() {
    start(TestNodes.memoryOptions().setAuth(new JwtOptions().setHmacSecret(SECRET))
        .setAllowAnonymous(true));
    KoraConnection anonymous = connect("", null);
    JsonObject me = (JsonObject) anonymous.call("test.whoami", null).await();
    assertNull(me.getString("user"));
    assertEquals(false, me.getBoolean("authenticated"));
    anonymous.call("kora.query", new JsonObject().put("a", new JsonObject())).await();
    assertEquals(200, get("/tree/a", null).status());
    assertEquals(401, get("/tree/a", "Bearer nonsense").status());
    assertEquals(401, handshakeStatus(KoraConnection.connect(vertx, "ws://127.0.0.1:"
        + node.actualPort() + "/socket?access_token=nonsense")));
  }

  @Test
  void aPluginsAuthenticatorMayAnswerLater() {
    KoraPlugin authenticating = new KoraPlugin() {
      @Override
      public dev.kora.interceptors.Authenticator authenticator() {
        return token -> {
          Promise<Identity> answer = Promise.promise();
          vertx.setTimer(50, id -> {
            if (token.equals("open-sesame")) {
              answer.complete(new Identity("henry", new JsonObject().put("role", "ops"), 0));
            } else {
              answer.fail(new KoraException(ErrorCode.UNAUTHENTICATED, "wrong word"));
            }
          });
          return answer.future();
        };
      }
    };
    start(TestNodes.memoryOptions().addPlugin(authenticating));
    KoraConnection connection = connect("", "Bearer open-sesame");
    JsonObject me = (JsonObject) connection.call("test.whoami", null).await();
    assertEquals("henry", me.getString("user"));
    assertEquals("ops", me.getString("role"));
    assertEquals(401, handshakeStatus(KoraConnection.connect(vertx, "ws://127.0.0.1:"
        + node.actualPort() + "/socket?access_token=wrong")));
    assertEquals(200, get("/tree/a", "Bearer open-sesame").status());
  }

  @Test
  void tokensAreIgnoredByANodeWithoutAuthenticationButKoraAuthSaysSo() {
    start(TestNodes.memoryOptions());
    KoraConnection connection = connect("", "Bearer whatever");
    assertEquals(false, ((JsonObject) connection.call("test.whoami", null).await())
        .getBoolean("authenticated"));
    assertEquals(ErrorCode.UNAUTHENTICATED, refusal(connection.call("kora.auth",
        new JsonObject().put("token", "whatever"))).code());
  }

  @Test
  void aNodeRefusesToListenBeyondLoopbackWithoutAuthentication() {
    Throwable refused = assertThrows(CompletionException.class, () -> KoraNode.deploy(vertx,
            TestNodes.memoryOptions().setHost("0.0.0.0")).toCompletionStage()
        .toCompletableFuture().join()).getCause();
    assertTrue(refused instanceof IllegalStateException, refused.toString());
    assertTrue(refused.getMessage().contains("--insecure"), refused.getMessage());
  }

  @Test
  void twoAuthenticatorsAreRefused() {
    KoraPlugin supplying = new KoraPlugin() {
      @Override
      public dev.kora.interceptors.Authenticator authenticator() {
        return token -> Future.succeededFuture(new Identity("x", new JsonObject(), 0));
      }
    };
    Throwable twoPlugins = assertThrows(CompletionException.class, () -> KoraNode.deploy(vertx,
        TestNodes.memoryOptions().addPlugin(supplying).addPlugin(supplying)).toCompletionStage()
        .toCompletableFuture().join()).getCause();
    assertTrue(twoPlugins.getMessage().contains("two plugins"), twoPlugins.getMessage());
    Throwable pluginAndJwt = assertThrows(CompletionException.class, () -> KoraNode.deploy(vertx,
        TestNodes.memoryOptions().addPlugin(supplying).setAuth(new JwtOptions()
            .setHmacSecret(SECRET))).toCompletionStage().toCompletableFuture().join()).getCause();
    assertTrue(pluginAndJwt.getMessage().contains("a node has one"), pluginAndJwt.getMessage());
  }

  /** An HTTP answer, its body read in the same chain as its head (none of it is missed). */
  private Answer get(String uri, String authorization) {
    return new HttpCalls(vertx, http, node.actualPort()).get(uri, authorization);
  }

  private Answer send(RequestOptions request, String body) {
    return new HttpCalls(vertx, http, node.actualPort()).send(request, body);
  }
}
