package dev.kora.interceptors;

import io.vertx.core.json.JsonObject;
import java.util.Objects;

/**
 * Who a verified credential says a client is: what an {@link Authenticator} answers and what a
 * {@link Session} carries from then on.
 *
 * @param user the user's id, e.g. a JWT's {@code sub} claim {@code "alice"}; null when the
 *     credential names none
 * @param claims every claim of the credential, e.g. {@code {"sub": "alice", "role": "admin",
 *     "exp": 1767225600}}; never null
 * @param expiresAtMs when the client's rights end, ms since the epoch (a JWT's {@code exp} times
 *     1,000); 0 for never
 */
public record Identity(String user, JsonObject claims, long expiresAtMs) {

  /** Checks the claims and the expiry. */
  public Identity {
    Objects.requireNonNull(claims, "claims");
    if (expiresAtMs < 0) {
      throw new IllegalArgumentException("expiresAtMs must be 0 (never) or a time, got "
          + expiresAtMs);
    }
  }
}
