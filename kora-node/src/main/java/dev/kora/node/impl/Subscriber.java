package dev.kora.node.impl;

import dev.kora.interceptors.Session;
import dev.kora.tree.Mutation;
import java.util.Map;

/**
 * Something that receives pushes: a WebSocket connection, an SSE stream or an embedded listener.
 * Called on the node's context only.
 */
public interface Subscriber {

  /**
   * Receives the part of one committed mutation that touches this subscriber's subscriptions.
   *
   * @param part the restricted mutation, paths from the root
   * @param partKey identifies {@code part} among subscribers of the same commit (equal keys, equal parts)
   * @param version the commit's version
   * @param frames a per-commit cache where subscribers share encoded frames by key: the WebSocket
   *     connections use {@code partKey} itself, others a prefix that no path can start with (e.g.
   *     {@code "sse\u0000"}); values that are Netty {@code ReferenceCounted} are released once the
   *     commit has been delivered to every subscriber
   */
  void push(Mutation part, String partKey, long version, Map<String, Object> frames);

  /** @return the subscriber's session, for delivery filters; default the internal session */
  default Session session() {
    return Session.internal();
  }
}
