package dev.kora.protocol;

import dev.kora.tree.KoraException;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import java.util.Objects;

/**
 * A refused event bus request, with Kora's error code as a field: the node replies to a failed
 * {@code kora.tree.mutate} or {@code kora.tree.query} with this exception, and the requester's future
 * fails with it. {@link #code()} is the stable code ({@code "invalid_key"}), {@link #getMessage()} the
 * human message, {@link #failureCode()} the code's HTTP status ({@link Errors#httpStatus}).
 *
 * <p>It travels with {@link Codec}: locally as the same object, across a cluster as
 * {@code {"code": ..., "message": ..., "status": ...}}. The codec must be registered as the default
 * codec of this class on the event bus ({@link #registerCodec}); a node does so when it starts.
 */
public final class KoraReplyException extends ReplyException {

  private static final long serialVersionUID = 1L;

  private final String code;

  /**
   * @param code a stable error code, e.g. {@code "invalid_key"}
   * @param message for humans
   */
  public KoraReplyException(String code, String message) {
    super(ReplyFailure.RECIPIENT_FAILURE, Errors.httpStatus(code), message, true);
    this.code = Objects.requireNonNull(code, "code");
  }

  /**
   * @param failure why a request failed
   * @return the reply that says so
   */
  public static KoraReplyException of(Throwable failure) {
    KoraException error = Errors.asKora(failure);
    return new KoraReplyException(error.code(), error.getMessage());
  }

  /** @return the stable error code, e.g. {@code "store_unavailable"} */
  public String code() {
    return code;
  }

  /** @return the same failure as a {@link KoraException} */
  public KoraException toKoraException() {
    return new KoraException(code, getMessage(), this);
  }

  /**
   * Registers {@link Codec} as the default codec of this class, unless it is registered already.
   *
   * @param eventBus the event bus
   */
  public static void registerCodec(io.vertx.core.eventbus.EventBus eventBus) {
    try {
      eventBus.registerDefaultCodec(KoraReplyException.class, new Codec());
    } catch (IllegalStateException alreadyRegistered) {
      // another node in this Vert.x instance registered it
    }
  }

  /** The event bus codec: the object itself locally, its JSON text across a cluster. */
  public static final class Codec extends JsonMessageCodec<KoraReplyException> {

    /** The codec's name on the event bus. */
    public static final String NAME = "kora.error";

    @Override
    protected JsonObject toJson(KoraReplyException error) {
      return new JsonObject().put("code", error.code).put("message", error.getMessage())
          .put("status", error.failureCode());
    }

    @Override
    protected KoraReplyException fromJson(JsonObject json) {
      return new KoraReplyException(json.getString("code"), json.getString("message"));
    }

    @Override
    public String name() {
      return NAME;
    }
  }
}
