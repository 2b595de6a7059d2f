package dev.kora.node.core;

import dev.kora.interceptors.Identity;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Who may administer a node (its {@code /metrics} and its console): on a node with authentication,
 * a client whose token verifies and whose claims say {@code "kora_admin": true}; on a node without,
 * whoever holds the random admin token this object makes when the node starts (logged with the
 * node's start line, never a fixed default). Tokens are compared in constant time. Immutable.
 */
public final class AdminAccess {

  /** The claim that makes a token an administrator's, e.g. {@code {"kora_admin": true}}. */
  public static final String ADMIN_CLAIM = "kora_admin";

  /** Random bytes of a generated admin token (256 bits). */
  private static final int TOKEN_BYTES = 32;

  private final Authentication authentication;
  /** The generated admin token of a node without authentication, else null. */
  private final String adminToken;

  private AdminAccess(Authentication authentication, String adminToken) {
    this.authentication = authentication;
    this.adminToken = adminToken;
  }

  /**
   * @param authentication the node's authentication
   * @return the admin access of a node: by the admin claim when {@code authentication} is enabled,
   *     else by a new random token (base64url, 43 characters)
   */
  public static AdminAccess of(Authentication authentication) {
    if (authentication.enabled()) {
      return new AdminAccess(authentication, null);
    }
    byte[] random = new byte[TOKEN_BYTES];
    new SecureRandom().nextBytes(random);
    return new AdminAccess(authentication,
        Base64.getUrlEncoder().withoutPadding().encodeToString(random));
  }

  /**
   * @return the generated admin token of a node without authentication, or null on a node with
   *     authentication (admins then bring a token with the admin claim)
   */
  public String adminToken() {
    return adminToken;
  }

  /**
   * Checks an administrator's credential.
   *
   * @param token the bearer token of a request, or null
   * @param what what is being opened, for the refusal's message, e.g. {@code /metrics}
   * @return the administrator's identity (on a node without authentication: user
   *     {@code console}, no expiry); fails with {@code unauthenticated} (no token, a wrong one, one
   *     that does not verify), {@code token_expired}, or {@code denied} (a valid token without the
   *     admin claim)
   */
  public Future<Identity> authorize(String token, String what) {
    if (token == null || token.isEmpty()) {
      return Future.failedFuture(new KoraException(ErrorCode.UNAUTHENTICATED, what + " needs an"
          + " admin token: send 'Authorization: Bearer <token>'"));
    }
    if (adminToken != null) {
      boolean same = MessageDigest.isEqual(token.getBytes(StandardCharsets.UTF_8),
          adminToken.getBytes(StandardCharsets.UTF_8));
      return same ? Future.succeededFuture(new Identity("console",
          new JsonObject().put(ADMIN_CLAIM, true), 0))
          : Future.failedFuture(new KoraException(ErrorCode.UNAUTHENTICATED, "not the node's"
              + " admin token (the one in its start log line)"));
    }
    return authentication.authenticate(token).compose(identity -> isAdmin(identity)
        ? Future.succeededFuture(identity)
        : Future.failedFuture(new KoraException(ErrorCode.DENIED, what + " needs a token with"
            + " the claim \"" + ADMIN_CLAIM + "\": true")));
  }

  /**
   * @param identity a verified identity
   * @return whether its claims say {@code "kora_admin": true}
   */
  public static boolean isAdmin(Identity identity) {
    return Boolean.TRUE.equals(identity.claims().getValue(ADMIN_CLAIM));
  }
}
