package dev.kora.node.core;

import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import dev.kora.tree.Mutation;

/**
 * The limits a node puts on one client's requests, as its transports apply them (the node's options
 * of the same names, with their defaults, are documented in docs/protocol.md, "Limits").
 *
 * @param maxLeavesPerMutation most leaves written plus paths deleted by one client mutation; beyond,
 *     it is refused with {@code too_large}
 * @param maxPendingWritesPerConnection most mutations of one connection waiting for their commit;
 *     at that many the transport stops reading the connection until one is answered
 * @param workerParseBytes frames and bodies longer than this (characters of a frame, bytes of a
 *     body) are parsed on a worker thread ({@link RequestParsing}), not on the event loop
 * @param maxReadsPerConnection most reads (queries and subscribes) one {@link Connection} may have in
 *     progress at once; further ones are refused with {@code too_many_reads}
 * @param maxQueryPaths most paths one query or subscribe may name; beyond, it is refused with
 *     {@code too_large}
 * @param maxAnswerBytes most bytes one client's query answer may read (leaves' JSON text and keys,
 *     {@link dev.kora.storage.ReadBudget}); beyond, it is refused with {@code too_large}
 * @param rates the mutations and bytes per second allowed to a connection and to an address
 */
public record RequestLimits(int maxLeavesPerMutation, int maxPendingWritesPerConnection,
    int workerParseBytes, int maxReadsPerConnection, int maxQueryPaths, long maxAnswerBytes,
    RateLimits.Limits rates) {

  /**
   * Refuses a client's mutation that writes and deletes too much. Computes and keeps the mutation's
   * flat writes and deletes, which the write path needs anyway; call it where that work may be
   * done (on a worker thread for a large request).
   *
   * @param mutation a client's mutation
   * @return {@code mutation}
   * @throws KoraException {@code too_large} when it writes more leaves plus deletes more paths than
   *     {@link #maxLeavesPerMutation}
   */
  public Mutation checkLeaves(Mutation mutation) {
    long leaves = (long) mutation.writes().size() + mutation.deletes().size();
    if (leaves > maxLeavesPerMutation) {
      throw new KoraException(ErrorCode.TOO_LARGE, "the mutation writes and deletes " + leaves
          + " leaves; the limit (maxLeavesPerMutation) is " + maxLeavesPerMutation);
    }
    return mutation;
  }
}
