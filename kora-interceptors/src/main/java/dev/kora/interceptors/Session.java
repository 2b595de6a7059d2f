package dev.kora.interceptors;

import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The state of one connection as interceptors and handlers see it: who the user is, their claims, and
 * whether the request comes from the server itself. A login handler sets the user; later requests on the
 * same connection carry it. Confined to the node's context: read and change it only from hooks and
 * handlers.
 */
public final class Session {

  /**
   * Headers a session does not keep: the credential (its verified identity is the session's) and
   * the WebSocket handshake's own (RFC 6455, section 4.1), which say nothing about the client.
   */
  private static final java.util.Set<String> NOT_KEPT = java.util.Set.of("authorization",
      "sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions", "upgrade",
      "connection");

  private static final Session INTERNAL = new Session("internal", true, Map.of());

  private final String connectionId;
  private final boolean internal;
  private final Map<String, String> headers;
  private String user;
  private JsonObject claims;
  private boolean authenticated;
  private long expiresAtMs;
  private JsonObject attributes;

  private Session(String connectionId, boolean internal, Map<String, String> headers) {
    this.connectionId = connectionId;
    this.internal = internal;
    this.headers = headers;
  }

  /**
   * @param connectionId a unique id of the connection, for logs
   * @return the state of a client connection: no user yet, not internal, no headers
   */
  public static Session client(String connectionId) {
    return client(connectionId, Map.<String, String>of().entrySet());
  }

  /**
   * @param connectionId a unique id of the connection, for logs
   * @param headers the headers of the request that opened it (a WebSocket handshake, a REST
   *     request), e.g. Vert.x's {@code MultiMap}; kept with names in lower case, e.g.
   *     {@code {"user-agent": "curl/8.5.0"}}, the first value of a repeated header, except
   *     {@code Authorization} and the handshake's own ({@code Sec-WebSocket-Key},
   *     {@code Sec-WebSocket-Version}, {@code Sec-WebSocket-Extensions}, {@code Upgrade},
   *     {@code Connection})
   * @return the state of a client connection: no user yet, not internal
   */
  public static Session client(String connectionId,
      Iterable<Map.Entry<String, String>> headers) {
    Map<String, String> kept = new HashMap<>();
    for (Map.Entry<String, String> header : headers) {
      // interned: every connection has the same few names, so they are held once; the values too,
      // since the connections of one application send the same host, origin and user agent (the
      // JVM's string table lets go of a value that no session holds any more)
      String name = header.getKey().toLowerCase(Locale.ROOT).intern();
      if (!NOT_KEPT.contains(name)) {
        kept.putIfAbsent(name, header.getValue().intern());
      }
    }
    return new Session(Objects.requireNonNull(connectionId, "connectionId"), false,
        Map.copyOf(kept));
  }

  /** @return the shared state of server-side writes (embedded API, imports, effects): internal */
  public static Session internal() {
    return INTERNAL;
  }

  /** @return the connection's id, e.g. {@code c42}, or {@code internal} */
  public String connectionId() {
    return connectionId;
  }

  /** @return whether the request comes from the server itself (trusted, bypasses client rules) */
  public boolean isInternal() {
    return internal;
  }

  /** @return the logged-in user's id, or null before login */
  public String user() {
    return user;
  }

  /**
   * @param user the user id after a successful login, or null to log out
   * @return this session
   * @throws IllegalStateException on the internal session
   */
  public Session setUser(String user) {
    if (internal) {
      throw new IllegalStateException("the internal session has no user");
    }
    this.user = user;
    return this;
  }

  /** @return the user's claims (roles and the like); never null */
  public JsonObject claims() {
    if (claims == null) {
      // made on first use: an idle connection should cost little memory
      claims = new JsonObject();
    }
    return claims;
  }

  /**
   * @param claims the user's claims, e.g. {@code {"role": "admin"}}
   * @return this session
   */
  public Session setClaims(JsonObject claims) {
    if (internal) {
      throw new IllegalStateException("the internal session has no claims");
    }
    this.claims = claims == null ? new JsonObject() : claims;
    return this;
  }

  /**
   * Gives the session the identity of a verified token: its user, its claims and when its rights end.
   * Replaces an earlier identity (a client renewing its token).
   *
   * @param identity what the node's {@link Authenticator} answered
   * @return this session
   * @throws IllegalStateException on the internal session
   */
  public Session authenticate(Identity identity) {
    if (internal) {
      throw new IllegalStateException("the internal session has no identity");
    }
    this.user = identity.user();
    this.claims = identity.claims();
    this.expiresAtMs = identity.expiresAtMs();
    this.authenticated = true;
    return this;
  }

  /**
   * @return whether a token was verified for this session ({@link #authenticate}); a user set by an
   *     application's login handler with {@link #setUser} does not count
   */
  public boolean isAuthenticated() {
    return authenticated;
  }

  /** @return when the rights of the session's token end, ms since the epoch; 0 for never */
  public long expiresAtMs() {
    return expiresAtMs;
  }

  /**
   * @return the headers of the request that opened the connection, names in lower case, e.g.
   *     {@code {"user-agent": "Mozilla/5.0"}}; empty for the internal session. The connect hook
   *     ({@link ActionHandler#connected}) sees them.
   */
  public Map<String, String> headers() {
    return headers;
  }

  /** @return free-form per-connection state for handlers; never null */
  public JsonObject attributes() {
    if (attributes == null) {
      attributes = new JsonObject();
    }
    return attributes;
  }

  @Override
  public String toString() {
    return internal ? "internal" : connectionId + (user == null ? "" : "(" + user + ")");
  }
}
