package dev.kora.node.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.interceptors.Identity;
import dev.kora.interceptors.Session;
import dev.kora.tree.ErrorCode;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/**
 * {@link Authentication}'s rules without a node: where a request's token is found, who may call
 * what, and where a node may listen.
 */
class AuthenticationPolicyTest {

  private static final Authentication REQUIRED = new Authentication(
      token -> Future.succeededFuture(new Identity("u", new JsonObject(), 0)), false);

  @Test
  void aBearerHeaderWinsOverTheParameterAndOtherSchemesAreNotTokens() {
    assertEquals("abc", Authentication.token("Bearer abc", "xyz"));
    assertEquals("abc", Authentication.token("  bearer   abc ", null));
    assertEquals("xyz", Authentication.token("Basic dXNlcjpwYXNz", "xyz"));
    assertNull(Authentication.token("Basic dXNlcjpwYXNz", null));
    assertNull(Authentication.token("Bearer", null));
    assertNull(Authentication.token(null, ""));
  }

  @Test
  void withoutATokenOnlyAuthAndPingPassWhenOneIsRequired() {
    Session anonymous = Session.client("c1");
    assertNull(REQUIRED.refusal("kora.auth", anonymous));
    assertNull(REQUIRED.refusal("riptide.ping", anonymous));
    assertEquals(ErrorCode.UNAUTHENTICATED, REQUIRED.refusal("kora.query", anonymous).code());
    assertEquals(ErrorCode.UNAUTHENTICATED, REQUIRED.refusal("todo.login", anonymous).code());
    assertNull(REQUIRED.refusal("kora.query", Session.internal()));
    Session known = Session.client("c2").authenticate(new Identity("u", new JsonObject(), 0));
    assertNull(REQUIRED.refusal("kora.query", known));
    assertNull(new Authentication(REQUIRED::authenticate, true).refusal("kora.query", anonymous));
    assertNull(Authentication.NONE.refusal("kora.query", anonymous));
  }

  @Test
  void anOpenNodeListensOnLoopbackOnlyUnlessToldItIsInsecure() {
    for (String loopback : new String[] {"127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost",
        "LOCALHOST"}) {
      assertFalse(Authentication.NONE.checkListen(loopback, false), loopback);
    }
    for (String open : new String[] {"0.0.0.0", "::", "192.168.1.10", "10.0.0.1",
        "kora.example.com", "localhost.example.com"}) {
      IllegalStateException refused = assertThrows(IllegalStateException.class,
          () -> Authentication.NONE.checkListen(open, false), open);
      assertTrue(refused.getMessage().contains(open), refused.getMessage());
      assertTrue(Authentication.NONE.checkListen(open, true), "insecure allows " + open);
      assertFalse(REQUIRED.checkListen(open, false), "authentication allows " + open);
    }
  }
}
