package dev.kora.node.core;

import dev.kora.interceptors.Authenticator;
import dev.kora.interceptors.Identity;
import dev.kora.interceptors.Session;
import dev.kora.protocol.Action;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import io.vertx.core.Future;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;

/**
 * The node's authentication policy as transports apply it: whether clients give tokens, how a token
 * is found in a request, who may call what before authenticating, and whether the node may listen
 * on an address. Immutable; the authenticator it holds is called on the node's event loop.
 */
public final class Authentication {

  /**
   * The {@code WWW-Authenticate} header of a 401 answer: the scheme and the error, as RFC 6750,
   * section 3, asks.
   */
  public static final String CHALLENGE = "Bearer realm=\"kora\", error=\"invalid_token\"";

  /** A node without authentication: every client is anonymous and may do everything. */
  public static final Authentication NONE = new Authentication(null, true);

  private final Authenticator authenticator;
  private final boolean allowAnonymous;

  /**
   * @param authenticator verifies tokens; null for a node without authentication
   * @param allowAnonymous whether clients without a token may use the node like any other
   */
  public Authentication(Authenticator authenticator, boolean allowAnonymous) {
    this.authenticator = authenticator;
    this.allowAnonymous = allowAnonymous;
  }

  /** @return whether the node verifies tokens */
  public boolean enabled() {
    return authenticator != null;
  }

  /**
   * @return whether a client must authenticate before it may read or write: authentication is on
   *     and anonymous clients are not allowed
   */
  public boolean tokenRequired() {
    return authenticator != null && !allowAnonymous;
  }

  /**
   * @param token a client's token
   * @return who it says the client is; fails with {@code unauthenticated} when the node has no
   *     authentication or the token does not verify, {@code token_expired} when it has expired
   */
  public Future<Identity> authenticate(String token) {
    if (authenticator == null) {
      return Future.failedFuture(new KoraException(ErrorCode.UNAUTHENTICATED,
          "this node does not authenticate clients (no auth configured)"));
    }
    if (token == null || token.isEmpty()) {
      return Future.failedFuture(new KoraException(ErrorCode.UNAUTHENTICATED, "no token given"));
    }
    Future<Identity> answer;
    try {
      answer = authenticator.authenticate(token);
    } catch (RuntimeException e) {
      answer = Future.failedFuture(e);
    }
    return answer.recover(failure -> Future.failedFuture(failure instanceof KoraException
        ? failure : new KoraException(ErrorCode.UNAUTHENTICATED,
            "the token could not be verified: " + failure.getMessage(), failure)));
  }

  /**
   * @param action an action's name, e.g. {@code kora.query}
   * @param session who calls it
   * @return null when the call may run, else the refusal: {@code unauthenticated} for anything but
   *     {@code kora.auth} and {@code kora.ping} from a session without a verified token when one is
   *     required
   */
  public KoraException refusal(String action, Session session) {
    if (!tokenRequired() || session.isInternal() || session.isAuthenticated()) {
      return null;
    }
    Action builtIn = Action.of(action);
    if (builtIn == Action.AUTH || builtIn == Action.PING) {
      return null;
    }
    return unauthenticated();
  }

  /** @return the refusal of a request that needs a token and has none */
  public static KoraException unauthenticated() {
    return new KoraException(ErrorCode.UNAUTHENTICATED, "this node requires a token: send"
        + " 'Authorization: Bearer <token>' (or ?access_token= on a WebSocket or event stream), or"
        + " call kora.auth with {\"token\": \"<token>\"}");
  }

  /**
   * The token of a request.
   *
   * @param authorization the {@code Authorization} header, or null
   * @param accessToken the {@code access_token} query parameter where the transport takes one (a
   *     WebSocket handshake, an event stream: browsers cannot set headers there), else null
   * @return the bearer token of the header (scheme compared ignoring case, RFC 6750 section 2.1),
   *     else the parameter, else null
   */
  public static String token(String authorization, String accessToken) {
    if (authorization != null) {
      String trimmed = authorization.trim();
      if (trimmed.length() > 7 && trimmed.substring(0, 7).toLowerCase(Locale.ROOT)
          .equals("bearer ")) {
        return trimmed.substring(7).trim();
      }
    }
    return accessToken == null || accessToken.isEmpty() ? null : accessToken;
  }

  /**
   * Checks that the node may listen on a host: beyond loopback only with authentication, or when
   * the operator said {@code insecure}.
   *
   * @param host the address to bind, e.g. {@code 127.0.0.1}, {@code ::1}, {@code localhost} or
   *     {@code 0.0.0.0}
   * @param insecure whether the operator allowed an open node beyond loopback
   * @return whether the node listens beyond loopback without authentication (allowed by
   *     {@code insecure}: the caller warns)
   * @throws IllegalStateException when it would listen beyond loopback without authentication and
   *     without {@code insecure}
   */
  public boolean checkListen(String host, boolean insecure) {
    return checkListen(host, insecure, false);
  }

  /**
   * Checks that the node may listen on a host: beyond loopback only with authentication or rules
   * (which then decide what anonymous clients may do), or when the operator said {@code insecure}.
   *
   * @param host the address to bind, e.g. {@code 127.0.0.1} or {@code 0.0.0.0}
   * @param insecure whether the operator allowed an open node beyond loopback
   * @param rules whether a rules file is in force
   * @return whether the node listens beyond loopback with neither (allowed by {@code insecure}: the
   *     caller warns)
   * @throws IllegalStateException when it would listen beyond loopback with neither authentication
   *     nor rules, and without {@code insecure}
   */
  public boolean checkListen(String host, boolean insecure, boolean rules) {
    if (enabled() || rules || isLoopback(host)) {
      return false;
    }
    if (!insecure) {
      throw new IllegalStateException("refusing to listen on " + host + " without authentication"
          + " or rules: anyone who reaches the port could read and write everything. Configure"
          + " auth or rules (docs/security.md), listen on 127.0.0.1, or pass --insecure"
          + " (insecure: true) to allow it anyway");
    }
    return true;
  }

  /**
   * @param host an address literal or {@code localhost}; any other name counts as not loopback
   *     (it is not resolved here)
   * @return whether it is a loopback address
   */
  static boolean isLoopback(String host) {
    String bare = host.startsWith("[") && host.endsWith("]")
        ? host.substring(1, host.length() - 1) : host;
    if (bare.equalsIgnoreCase("localhost")) {
      return true;
    }
    if (!bare.matches("[0-9.]+|[0-9a-fA-F:.]*:[0-9a-fA-F:.]*")) {
      return false;
    }
    try {
      // a literal: parsed without a DNS query
      return InetAddress.getByName(bare).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
