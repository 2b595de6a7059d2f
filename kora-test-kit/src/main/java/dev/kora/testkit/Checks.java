package dev.kora.testkit;

import io.vertx.core.Future;

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
}
