package dev.kora.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import dev.kora.tree.QueryOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Faults of a store on a database server, tested by really stopping and starting the server with the
 * project's service scripts ({@code scripts/services/NAME.sh stop|start}, found by walking up from the
 * working directory): while the server is down, writes and reads fail with {@code store_unavailable}
 * within the operation timeout instead of hanging, and once it is back the same store works again
 * without being reopened. The server is always started again, also when the test fails.
 *
 * <p>A driver's test subclasses it and supplies the script and the options. The test runs on the JUnit
 * thread and waits there (never on an event loop), as it drives external processes step by step.
 */
@ExtendWith(VertxExtension.class)
public abstract class StoreFaultTestBase {

  /** The operation timeout of the store under test. */
  protected static final long TIMEOUT_MS = 3_000;
  /** Longest a store may take to write again once its server is back. */
  protected static final long RECOVERY_SECONDS = 60;
  /** Slack allowed above the timeout for a failure to arrive. */
  protected static final long SLACK_MS = 2_000;

  private final String serviceScript;
  private final String url;

  /**
   * @param serviceScript the service script's file name under {@code scripts/services}, e.g.
   *     {@code postgres.sh}
   * @param url the URL of a store on the server that the script controls (without a table)
   */
  protected StoreFaultTestBase(String serviceScript, String url) {
    this.serviceScript = serviceScript;
    this.url = url;
  }

  /** Removes the table after the test (the server is up again by then). */
  protected abstract Future<Void> dropStore(Vertx vertx, String table);

  @Test
  @Timeout(value = 3, timeUnit = TimeUnit.MINUTES)
  void failsFastWhileTheServerIsDownAndRecoversWithoutReopening(Vertx vertx) throws Exception {
    String table = StoreTestBase.newTable();
    Store store = await(Stores.open(vertx, new StoreOptions().setUrl(url).setTable(table)
        .setOperationTimeoutMs(TIMEOUT_MS)));
    try {
      await(store.write(List.of(Mutation.merge(Path.of("before"), 1))));
      try {
        service("stop");
        long started = System.nanoTime();
        List<Future<?>> calls = new ArrayList<>();
        calls.add(store.write(List.of(Mutation.merge(Path.of("during", "a"), 2))));
        calls.add(store.write(List.of(Mutation.merge(Path.of("during", "b"), 3))));
        calls.add(TreeReader.read(store, Path.ROOT, QueryOptions.WHOLE));
        for (Future<?> call : calls) {
          KoraException error = awaitFailure(call);
          assertEquals(ErrorCode.STORE_UNAVAILABLE, error.code(), error.getMessage());
          assertTrue(!error.getMessage().contains("secret"), error.getMessage());
        }
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        assertTrue(ms < TIMEOUT_MS + SLACK_MS, "the calls failed after " + ms + " ms, the timeout is "
            + TIMEOUT_MS + " ms");
      } finally {
        service("start");
      }
      // the same store, not reopened: it recovers within a bounded time once the server is back
      // (a driver may need a moment to reconnect)
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(RECOVERY_SECONDS);
      while (true) {
        try {
          await(store.write(List.of(Mutation.merge(Path.of("after"), 4))));
          break;
        } catch (KoraException e) {
          if (!ErrorCode.STORE_UNAVAILABLE.equals(e.code()) || System.nanoTime() > deadline) {
            throw new AssertionError("the store did not recover within " + RECOVERY_SECONDS
                + " s after the server came back", e);
          }
          Thread.sleep(500);
        }
      }
      List<String> rows = new ArrayList<>();
      await(TreeReader.stream(store, ReadRange.subtree(Path.ROOT), 100, batch -> {
        batch.forEach(row -> rows.add(row.path() + "=" + row.valueJson()));
        return Future.succeededFuture(true);
      }));
      assertEquals(List.of("after=4", "before=1"), rows, "nothing of the failed writes is stored");
    } finally {
      await(store.close().otherwiseEmpty());
      await(dropStore(vertx, table));
    }
  }

  /** Runs {@code scripts/services/SCRIPT ACTION} and fails the test with its output if it fails. */
  protected void service(String action) throws IOException, InterruptedException {
    TestServices.run(serviceScript, action);
  }

  /** Waits on the JUnit thread for a future's result. */
  protected static <T> T await(Future<T> future) throws Exception {
    try {
      return future.toCompletionStage().toCompletableFuture().get(2, TimeUnit.MINUTES);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof Exception cause) {
        throw cause;
      }
      throw e;
    }
  }

  /** Waits for a future that must fail with a {@link KoraException}, and returns it. */
  protected static KoraException awaitFailure(Future<?> future) throws Exception {
    try {
      Object result = future.toCompletionStage().toCompletableFuture()
          .get(TIMEOUT_MS + SLACK_MS + 10_000, TimeUnit.MILLISECONDS);
      throw new AssertionError("expected store_unavailable, but it succeeded with " + result);
    } catch (ExecutionException e) {
      return assertInstanceOf(KoraException.class, e.getCause(), "failure");
    }
  }
}
