package dev.kora.tree;

/**
 * A path or key that breaks the rules of {@link Path}. The {@link #code() code} is
 * {@link ErrorCode#INVALID_KEY} or {@link ErrorCode#TOO_DEEP}.
 */
public final class InvalidPathException extends KoraException {

  InvalidPathException(String code, String message) {
    super(code, message);
  }
}
