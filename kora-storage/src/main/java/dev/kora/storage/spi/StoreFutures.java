package dev.kora.storage.spi;

import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Future helpers every driver needs: bounding an operation by the store's timeout and completing on
 * the caller's context. Thread-safe; never block.
 */
public final class StoreFutures {

  private StoreFutures() {
  }

  /**
   * Bounds an operation in time.
   *
   * @param vertx the Vert.x instance, for the timer
   * @param future the operation
   * @param timeoutMs how long it may take
   * @param action what it does, for the messages, e.g. {@code "reading from postgres://..."}
   * @param errors turns its failure into the one to report, usually a {@link KoraException}
   * @param late receives a result that arrives after the timeout (e.g. to close it), or null
   * @return {@code future}'s outcome, or a {@code store_unavailable} failure once {@code timeoutMs}
   *     passed
   */
  public static <T> Future<T> limit(Vertx vertx, Future<T> future, long timeoutMs, String action,
      Function<Throwable, ? extends Throwable> errors, Consumer<T> late) {
    Promise<T> promise = Promise.promise();
    AtomicBoolean answered = new AtomicBoolean();
    long timer = vertx.setTimer(timeoutMs, id -> {
      if (answered.compareAndSet(false, true)) {
        promise.fail(new KoraException(ErrorCode.STORE_UNAVAILABLE, action + " took longer than "
            + timeoutMs + " ms"));
      }
    });
    future.onComplete(result -> {
      if (answered.compareAndSet(false, true)) {
        vertx.cancelTimer(timer);
        if (result.succeeded()) {
          promise.complete(result.result());
        } else {
          promise.fail(errors.apply(result.cause()));
        }
      } else if (result.succeeded() && late != null) {
        late.accept(result.result());
      }
    });
    return promise.future();
  }

  /**
   * @param context where the caller runs
   * @param future an operation that may complete on another thread
   * @return a future with its outcome that completes on {@code context}
   */
  public static <T> Future<T> on(Context context, Future<T> future) {
    Promise<T> promise = Promise.promise();
    future.onComplete(result -> {
      if (Vertx.currentContext() == context) {
        promise.handle(result);
      } else {
        context.runOnContext(v -> promise.handle(result));
      }
    });
    return promise.future();
  }
}
