package dev.kora.interceptors;

import io.vertx.core.Future;

/**
 * Turns a client's token into an {@link Identity}. The node asks it for the token a client gives in
 * its WebSocket handshake ({@code Authorization: Bearer <token>} or the {@code access_token} query
 * parameter), in a {@code kora.auth} call, and in each REST or SSE request's {@code Authorization}
 * header. The node ships a JWT authenticator ({@code dev.kora.auth.JwtAuthenticator}, configured with
 * {@code KoraNodeOptions.setAuth}); a {@link KoraPlugin} may supply its own instead.
 *
 * <p>Called on the node's event loop: answer at once when the check needs no I/O, and do any I/O
 * (fetching keys, asking an identity provider) without blocking, completing the future later.
 */
@FunctionalInterface
public interface Authenticator {

  /**
   * @param token the token as the client sent it, without the {@code Bearer } prefix; not empty
   * @return who the token says the client is; fails with a {@link dev.kora.tree.KoraException} of
   *     code {@code unauthenticated} when it does not verify, or {@code token_expired} when it has
   *     expired. Any other failure is answered to the client as {@code unauthenticated}.
   */
  Future<Identity> authenticate(String token);
}
