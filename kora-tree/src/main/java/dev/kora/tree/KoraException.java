package dev.kora.tree;

import java.util.Objects;

/**
 * A refused request or failed operation, carrying a stable machine-readable {@link #code() code}
 * (one of {@link ErrorCode}) and a human-readable message.
 *
 * <p>The code is what clients match on; the message may change between versions. Over the WebSocket
 * protocol it becomes {@code {"type":"error","key":K,"body":{"code":CODE,"message":MESSAGE}}}.
 */
public class KoraException extends RuntimeException {

  private final String code;

  /**
   * @param code a stable error code, see {@link ErrorCode}; not null
   * @param message what went wrong, for humans; not null
   */
  public KoraException(String code, String message) {
    super(message);
    this.code = Objects.requireNonNull(code, "code");
  }

  /**
   * @param code a stable error code, see {@link ErrorCode}; not null
   * @param message what went wrong, for humans; not null
   * @param cause the underlying failure, may be null
   */
  public KoraException(String code, String message, Throwable cause) {
    super(message, cause);
    this.code = Objects.requireNonNull(code, "code");
  }

  /** @return the stable error code, e.g. {@code "invalid_key"} */
  public String code() {
    return code;
  }
}
