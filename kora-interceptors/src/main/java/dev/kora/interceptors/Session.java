package dev.kora.interceptors;

import io.vertx.core.json.JsonObject;
import java.util.Objects;

/**
 * The state of one connection as interceptors and handlers see it: who the user is, their claims, and
 * whether the request comes from the server itself. A login handler sets the user; later requests on the
 * same connection carry it. Confined to the node's context: read and change it only from hooks and
 * handlers.
 */
public final class Session {

  private static final Session INTERNAL = new Session("internal", true);

  private final String connectionId;
  private final boolean internal;
  private String user;
  private JsonObject claims = new JsonObject();
  private final JsonObject attributes = new JsonObject();

  private Session(String connectionId, boolean internal) {
    this.connectionId = connectionId;
    this.internal = internal;
  }

  /**
   * @param connectionId a unique id of the connection, for logs
   * @return the state of a client connection: no user yet, not internal
   */
  public static Session client(String connectionId) {
    return new Session(Objects.requireNonNull(connectionId, "connectionId"), false);
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

  /** @return free-form per-connection state for handlers; never null */
  public JsonObject attributes() {
    return attributes;
  }

  @Override
  public String toString() {
    return internal ? "internal" : connectionId + (user == null ? "" : "(" + user + ")");
  }
}
