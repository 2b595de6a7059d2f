package dev.kora.interceptors;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/**
 * Runs the jobs of one name (see {@link Effect}). Called on the node's context; it must not block
 * (use {@code vertx.executeBlocking} for blocking work). Runs at least once per job: make it idempotent.
 */
public interface EffectHandler {

  /** What a handler made by {@link #of} does per run. */
  @FunctionalInterface
  interface Job {
    /**
     * @param args the job's arguments
     * @param attempt 1 for the first try, 2 for the first retry, ...
     * @return succeeds when done
     */
    Future<Void> run(JsonObject args, int attempt);
  }

  /**
   * @param name the job name, e.g. {@code notify}
   * @param job what each run does
   * @return a handler of the jobs named {@code name}
   */
  static EffectHandler of(String name, Job job) {
    return new EffectHandler() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public Future<Void> run(JsonObject args, int attempt) {
        return job.run(args, attempt);
      }
    };
  }

  /** @return the job name it runs, e.g. {@code notify} */
  String name();

  /**
   * @param args the job's arguments
   * @param attempt 1 for the first try, 2 for the first retry, ...
   * @return succeeds when done; a failure is retried with backoff up to the node's limit
   */
  Future<Void> run(JsonObject args, int attempt);
}
