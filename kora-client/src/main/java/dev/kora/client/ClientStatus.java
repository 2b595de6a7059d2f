package dev.kora.client;

/**
 * Where a {@link KoraClient} stands with its node; see {@link KoraClient#statusHandler}.
 */
public enum ClientStatus {
  /** No connection: reads come from the local cache, writes are queued. Reconnects with backoff. */
  OFFLINE,
  /** Connected; subscriptions are being resumed (asked again with {@code since}). */
  RESYNCING,
  /** Connected and every subscription resumed: pushes arrive as the node commits. */
  CONNECTED,
  /** {@link KoraClient#close()} was called. */
  CLOSED
}
