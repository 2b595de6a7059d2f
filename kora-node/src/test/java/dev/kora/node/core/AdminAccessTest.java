package dev.kora.node.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.interceptors.Identity;
import dev.kora.tree.KoraException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/** Who administers a node: the generated token of an open node, the admin claim of a token. */
class AdminAccessTest {

  private static String code(Future<?> refused) {
    assertTrue(refused.failed(), "refused");
    return ((KoraException) refused.cause()).code();
  }

  @Test
  void anOpenNodeMakesARandomTokenAtEachStartAndTakesOnlyIt() {
    AdminAccess first = AdminAccess.of(Authentication.NONE);
    AdminAccess second = AdminAccess.of(Authentication.NONE);
    assertTrue(first.adminToken().matches("[A-Za-z0-9_-]{43}"), first.adminToken());
    assertNotEquals(first.adminToken(), second.adminToken(), "no fixed default");
    Identity admin = first.authorize(first.adminToken(), "x").result();
    assertEquals(true, admin.claims().getValue(AdminAccess.ADMIN_CLAIM));
    assertEquals("unauthenticated", code(first.authorize(second.adminToken(), "x")));
    assertEquals("unauthenticated", code(first.authorize(null, "x")));
    assertEquals("unauthenticated", code(first.authorize("", "x")));
    assertEquals("unauthenticated", code(first.authorize(first.adminToken() + " ", "x")));
  }

  @Test
  void aNodeWithAuthenticationTakesVerifiedTokensWithTheClaim() {
    Authentication tokens = new Authentication(token -> switch (token) {
      case "admin" -> Future.succeededFuture(new Identity("ops",
          new JsonObject().put("kora_admin", true), 0));
      case "almost" -> Future.succeededFuture(new Identity("u",
          new JsonObject().put("kora_admin", "true"), 0));
      default -> Future.succeededFuture(new Identity("u", new JsonObject(), 0));
    }, false);
    AdminAccess admins = AdminAccess.of(tokens);
    assertNull(admins.adminToken(), "no generated token beside verified ones");
    assertEquals("ops", admins.authorize("admin", "x").result().user());
    assertEquals("denied", code(admins.authorize("user", "x")));
    assertEquals("denied", code(admins.authorize("almost", "x")), "the claim must be true");
    assertEquals("unauthenticated", code(admins.authorize(null, "x")));
  }
}
