package dev.kora.node.core;

import dev.kora.interceptors.Session;

/**
 * Something that receives pushes: a WebSocket connection, an SSE stream or an embedded listener.
 * Called on the node's context only; must not block.
 */
public interface Subscriber {

  /**
   * Receives the part of one committed mutation that touches this subscriber's subscriptions.
   *
   * @param part the part and its version; subscribers that receive the same part of a commit receive
   *     the same object, so a transport may encode it once and share the bytes by identity
   */
  void push(CommittedPart part);

  /**
   * The node can no longer keep this subscriber's copy exact: it missed commits it cannot replay (a
   * clustered node whose change log was trimmed past what it had received, docs/cluster.md). The
   * subscriber must start over: a WebSocket is closed with status 1012 (service restart) and an
   * SSE stream ends, so that the client subscribes again (with {@code since}, it then gets a full
   * answer with {@code reset}). The default does nothing (an embedded listener learns nothing).
   */
  default void reset() {
  }

  /** @return the subscriber's session, for delivery filters; default the internal session */
  default Session session() {
    return Session.internal();
  }
}
