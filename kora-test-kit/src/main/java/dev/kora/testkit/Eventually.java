package dev.kora.testkit;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Waits for something asynchronous (an effect job, a child process, server-side cleanup) by
 * polling: the check runs again every {@link #INTERVAL_MS} until it holds or the deadline passes. No
 * fixed sleeps. Part of kora-test-kit.
 */
public final class Eventually {

  /** The pause between two checks. */
  public static final long INTERVAL_MS = 10;

  private Eventually() {
  }

  /**
   * @param vertx for timers
   * @param timeoutMs when to give up
   * @param what what is awaited, for the failure message
   * @param probe reads the current value
   * @param done whether the value is the awaited one
   * @return the first value for which {@code done} holds; fails with the last value seen after
   *     {@code timeoutMs}
   */
  public static <T> Future<T> poll(Vertx vertx, long timeoutMs, String what,
      Supplier<Future<T>> probe, Predicate<T> done) {
    Promise<T> promise = Promise.promise();
    long deadline = System.currentTimeMillis() + timeoutMs;
    attempt(vertx, deadline, timeoutMs, what, probe, done, promise);
    return promise.future();
  }

  private static <T> void attempt(Vertx vertx, long deadline, long timeoutMs, String what,
      Supplier<Future<T>> probe, Predicate<T> done, Promise<T> promise) {
    probe.get().onComplete(result -> {
      if (result.succeeded() && done.test(result.result())) {
        promise.complete(result.result());
        return;
      }
      if (System.currentTimeMillis() >= deadline) {
        promise.fail(new TimeoutException(what + " did not happen within " + timeoutMs
            + " ms; last seen: " + (result.succeeded() ? result.result() : result.cause())));
        return;
      }
      vertx.setTimer(INTERVAL_MS, id -> attempt(vertx, deadline, timeoutMs, what, probe, done,
          promise));
    });
  }
}
