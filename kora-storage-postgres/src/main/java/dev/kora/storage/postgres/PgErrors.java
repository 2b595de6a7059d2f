package dev.kora.storage.postgres;

import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import io.vertx.pgclient.PgException;

/** Turns vertx-pg-client failures into {@link KoraException}s with a stable code. */
final class PgErrors {

  private PgErrors() {
  }

  /**
   * Maps a failure by its SQLSTATE: connection errors (class 08), insufficient resources (53),
   * operator intervention such as a shutdown or a statement timeout (57), system errors (58),
   * serialization failures and deadlocks (40001, 40P01), a lock not available (55P03) and every
   * failure without a SQLSTATE (a closed connection, a refused connect, a pool timeout) become
   * {@code store_unavailable}; an index row too large (54000) {@code too_large}; other errors of a
   * statement (a constraint, an exception raised by a trigger) {@code internal}. A
   * {@link KoraException} is kept as it is.
   *
   * @param action what was being done, e.g. "writing to postgres://..."
   * @param error the failure
   * @return the error to fail the future with
   */
  static KoraException wrap(String action, Throwable error) {
    if (error instanceof KoraException kora) {
      return kora;
    }
    String code = ErrorCode.STORE_UNAVAILABLE;
    if (error instanceof PgException pg && pg.getSqlState() != null) {
      String state = pg.getSqlState();
      if (state.equals("54000")) {
        code = ErrorCode.TOO_LARGE;
      } else if (!(state.startsWith("08") || state.startsWith("53") || state.startsWith("57")
          || state.startsWith("58") || state.equals("40001") || state.equals("40P01")
          || state.equals("55P03"))) {
        code = ErrorCode.INTERNAL;
      }
    }
    String message = error.getMessage() == null ? error.getClass().getSimpleName()
        : error.getMessage();
    return new KoraException(code, action + " failed: " + message, error);
  }
}
