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

  /** @return the subscriber's session, for delivery filters; default the internal session */
  default Session session() {
    return Session.internal();
  }
}
