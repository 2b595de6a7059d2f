package dev.kora.testkit;

import dev.kora.tree.KoraException;
import io.vertx.core.Future;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Assertions inside chains of futures, so that a failed assertion fails the chain. */
public final class Checks {

  private Checks() {
  }

  /**
   * @param assertions assertions to run now
   * @return a succeeded future, or one failed with what the assertions threw
   */
  public static Future<Void> check(Runnable assertions) {
    try {
      assertions.run();
      return Future.succeededFuture();
    } catch (Throwable e) {
      return Future.failedFuture(e);
    }
  }

  /**
   * Waits (at most 10 s) for a future that must fail with a {@link KoraException}, e.g. a refused
   * call, and gives the exception to look at its code.
   *
   * @param answer the future
   * @return its failure
   * @throws AssertionError when it succeeds, fails otherwise, or does not complete in 10 s
   */
  public static KoraException refusal(Future<?> answer) {
    Object result;
    try {
      result = answer.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof KoraException refused) {
        return refused;
      }
      throw new AssertionError("expected a KoraException, got " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      throw new AssertionError("no answer within 10 s", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
    throw new AssertionError("expected a refusal, got " + result);
  }
}
