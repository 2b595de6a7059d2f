package dev.kora.client;

/**
 * Error codes the client itself gives, next to the node's codes (docs/protocol.md, "Errors"), in the
 * {@link dev.kora.tree.KoraException#code()} of a failed future.
 */
public final class ClientErrors {

  /** The connection closed before the node answered a call; it may or may not have been applied. */
  public static final String DISCONNECTED = dev.kora.client.connection.KoraConnection.DISCONNECTED;
  /** The local store failed to record a write; the write was not queued. */
  public static final String LOCAL_STORE_FAILED = "local_store_failed";
  /** A read needed the node and the client is not connected (and holds no cached copy of the path). */
  public static final String OFFLINE = "offline";
  /** A query or action call got no answer within {@code callTimeoutMs}. */
  public static final String TIMEOUT = "timeout";
  /** The client was closed; nothing more is sent. Queued writes stay in a durable local store. */
  public static final String CLIENT_CLOSED = "client_closed";

  private ClientErrors() {
  }
}
