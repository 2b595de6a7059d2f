package dev.kora.protocol;

import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import io.vertx.core.json.JsonObject;

/**
 * The one mapping of failures to answers, used by every transport (WebSocket, REST, SSE, the event bus)
 * and every client (the CLI, the load tool): a failure becomes a stable {@link ErrorCode} with a
 * message, as the body {@code {"code": "invalid_key", "message": "..."}}, and an HTTP status for REST
 * and the event bus's failure code. The codes and their meaning are listed in docs/protocol.md.
 */
public final class Errors {

  private Errors() {
  }

  /**
   * The HTTP status of an error code, as REST answers it and as the event bus's failure code:
   * {@code denied} 403, {@code not_found} 404, {@code method_not_allowed} 405, {@code too_large} 413,
   * {@code too_many_reads} 429, {@code store_unavailable}, {@code closed} and
   * {@code too_many_connections} 503,
   * {@code internal} and {@code interceptor_failed} 500, every other code (bad input) 400.
   *
   * @param code an error code, e.g. {@code "invalid_key"}
   * @return its HTTP status
   */
  public static int httpStatus(String code) {
    switch (code) {
      case ErrorCode.UNAUTHENTICATED:
      case ErrorCode.TOKEN_EXPIRED:
        return 401;
      case ErrorCode.DENIED:
        return 403;
      case ErrorCode.NOT_FOUND:
        return 404;
      case ErrorCode.METHOD_NOT_ALLOWED:
        return 405;
      case ErrorCode.TOO_LARGE:
        return 413;
      case ErrorCode.TOO_MANY_READS:
      case ErrorCode.RATE_LIMITED:
        return 429;
      case ErrorCode.STORE_UNAVAILABLE:
      case ErrorCode.CLUSTER_UNAVAILABLE:
      case ErrorCode.FENCED:
      case ErrorCode.CLOSED:
      case ErrorCode.TOO_MANY_CONNECTIONS:
        return 503;
      case ErrorCode.INTERNAL:
      case ErrorCode.INTERCEPTOR_FAILED:
        return 500;
      default:
        return 400;
    }
  }

  /**
   * @param failure any failure
   * @return the failure itself when it is a {@link KoraException} (a {@link KoraReplyException} from
   *     the event bus is turned back into one), else {@code internal} with the failure's text as the
   *     message
   */
  public static KoraException asKora(Throwable failure) {
    if (failure instanceof KoraException kora) {
      return kora;
    }
    if (failure instanceof KoraReplyException reply) {
      return reply.toKoraException();
    }
    return new KoraException(ErrorCode.INTERNAL, String.valueOf(failure), failure);
  }

  /**
   * @param failure a failure
   * @return {@code {"code": "invalid_key", "message": "..."}}, the body of an error frame and of a
   *     REST error
   */
  public static JsonObject toJson(Throwable failure) {
    KoraException error = asKora(failure);
    return new JsonObject().put("code", error.code()).put("message", error.getMessage());
  }

  /**
   * @param body an error body {@code {"code": ..., "message": ...}}; a missing code reads as
   *     {@code internal}
   * @return the failure it describes
   */
  public static KoraException fromJson(JsonObject body) {
    JsonObject safe = body == null ? new JsonObject() : body;
    return new KoraException(safe.getString("code", ErrorCode.INTERNAL),
        safe.getString("message", ""));
  }

  /**
   * @param key the call's key, or null
   * @param failure why it failed
   * @return the error frame answering it
   */
  public static Frame.Error frame(Object key, Throwable failure) {
    KoraException error = asKora(failure);
    return new Frame.Error(key, error.code(), error.getMessage());
  }
}
