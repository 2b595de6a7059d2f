package dev.kora.storage.cassandra;

import com.datastax.oss.driver.api.core.servererrors.InvalidQueryException;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** Turns driver failures into {@link KoraException}s with a stable code. */
final class CassandraErrors {

  private CassandraErrors() {
  }

  /**
   * Maps a failure: a request Cassandra refuses for its size — a batch over
   * {@code batch_size_fail_threshold}, a message over {@code native_transport_max_message_size}, a
   * mutation over {@code max_mutation_size} — becomes {@code too_large}; everything else — no node
   * reachable, a timeout, too few replicas, a closed session, another refusal —
   * {@code store_unavailable}. A {@link KoraException} is kept as it is.
   *
   * @param action what was being done, e.g. "writing to cassandra://127.0.0.1:9042/kora?table=kora"
   * @param error the failure
   * @return the error to fail the future with
   */
  static KoraException wrap(String action, Throwable error) {
    while ((error instanceof CompletionException || error instanceof ExecutionException)
        && error.getCause() != null) {
      error = error.getCause();
    }
    if (error instanceof KoraException) {
      return (KoraException) error;
    }
    String message = String.valueOf(error.getMessage());
    if (error instanceof InvalidQueryException && (message.contains("Batch too large")
        || message.contains("exceeds allowed maximum") || message.contains("oversized mutation")
        || message.contains("exceeds maximum size"))) {
      return new KoraException(ErrorCode.TOO_LARGE, action + " failed: Cassandra refused the"
          + " write for its size (" + message + "); see docs/stores/cassandra.md, Limits", error);
    }
    return new KoraException(ErrorCode.STORE_UNAVAILABLE, action + " failed: "
        + error.getClass().getSimpleName() + ": " + message, error);
  }
}
