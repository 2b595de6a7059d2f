package dev.kora.storage.sqlite;

import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import org.sqlite.SQLiteException;

/** Turns JDBC and SQLite failures into {@link KoraException}s with a stable code. */
final class SqliteErrors {

  private SqliteErrors() {
  }

  /** @return a {@code store_unavailable} error */
  static KoraException unavailable(String message) {
    return new KoraException(ErrorCode.STORE_UNAVAILABLE, message);
  }

  /**
   * Maps a failure: SQLite result codes that mean the database cannot be used right now (busy, locked,
   * I/O error, disk full, cannot open, read-only, interrupted, corrupt, not a database) and every
   * non-SQLite failure become {@code store_unavailable}; other SQLite errors (a constraint, an error
   * raised by a trigger, ...) become {@code internal}. A {@link KoraException} is kept as it is.
   *
   * @param action what was being done, e.g. "writing to sqlite:/var/kora/kora.db"
   * @param error the failure
   * @return the error to fail the future with
   */
  static KoraException wrap(String action, Throwable error) {
    if (error instanceof KoraException) {
      return (KoraException) error;
    }
    String code = ErrorCode.STORE_UNAVAILABLE;
    if (error instanceof SQLiteException) {
      switch (((SQLiteException) error).getResultCode().code & 0xFF) {
        case 5, 6, 8, 9, 10, 11, 13, 14, 15, 26 -> code = ErrorCode.STORE_UNAVAILABLE;
        default -> code = ErrorCode.INTERNAL;
      }
    }
    return new KoraException(code, action + " failed: " + error.getMessage(), error);
  }
}
