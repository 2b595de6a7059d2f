package dev.kora.storage.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.storage.Fence;
import dev.kora.storage.LeafCursor;
import dev.kora.storage.ReadRange;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What {@link StoreBase} does with fences, on a driver that stores nothing: it refuses a fence where
 * {@link StoreBase#fences()} is false, hands the fence to every later {@link StoreBase#commit} (also
 * through a store taken over by a driver's subclass), and {@link FenceCheck} compares and reports.
 * The drivers' checks are tested by the conformance suite (StoreTestBase, ServerStoreTestBase).
 */
class StoreBaseFenceTest {

  private static final Path EPOCH = Path.of("kora:cluster", "epoch");

  private Vertx vertx;

  @BeforeEach
  void startVertx() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void closeVertx() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /** A driver that records the fence each commit saw, and writes nothing. */
  private static final class RecordingStore extends StoreBase<List<Mutation>> {
    private final boolean fences;
    private final List<FenceCheck> seen;

    RecordingStore(Vertx vertx, boolean fences) {
      super(vertx, 10_000, GroupCommit.DEFAULT_MAX_GROUP, GroupCommit.DEFAULT_MAX_GROUP_ROWS);
      this.fences = fences;
      this.seen = Collections.synchronizedList(new ArrayList<>());
    }

    /** Takes {@code opened} over, as SqliteStore and MySqlStore take over a JdbcStore. */
    RecordingStore(RecordingStore opened) {
      super(opened);
      this.fences = opened.fences;
      this.seen = opened.seen;
    }

    @Override
    public boolean fences() {
      return fences;
    }

    @Override
    protected List<Mutation> plan(List<Mutation> mutations) {
      return mutations;
    }

    @Override
    protected long rows(List<Mutation> work) {
      return work.size();
    }

    @Override
    protected Future<Void> commit(List<GroupCommit.Entry<List<Mutation>>> group) {
      seen.add(fenceCheck());
      return Future.succeededFuture();
    }

    @Override
    protected Future<LeafCursor> openCursor(ReadRange range) {
      return Future.failedFuture(new UnsupportedOperationException("nothing to read"));
    }

    @Override
    protected Future<Void> free() {
      return Future.succeededFuture();
    }

    @Override
    public String describe() {
      return "recording";
    }
  }

  private static void await(Future<?> future) throws Exception {
    future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void aStoreThatCannotFenceRefusesEveryFenceNamingItself() {
    RecordingStore store = new RecordingStore(vertx, false);
    UnsupportedOperationException refused = assertThrows(UnsupportedOperationException.class,
        () -> store.fence(new Fence(EPOCH, "1")));
    assertTrue(refused.getMessage().contains("the store recording cannot fence its writes"),
        refused.getMessage());
    assertThrows(UnsupportedOperationException.class, () -> store.fence(null));
  }

  @Test
  void everyLaterCommitSeesTheFenceAlsoThroughAStoreTakenOver() throws Exception {
    RecordingStore opened = new RecordingStore(vertx, true);
    RecordingStore store = new RecordingStore(opened);
    Mutation write = Mutation.merge(Path.of("a"), 1);
    await(store.write(List.of(write)));
    Fence fence = new Fence(EPOCH, "1");
    store.fence(fence);
    await(store.write(List.of(write)));
    await(Future.join(store.writeEach(List.of(write, write))));
    store.fence(null);
    await(store.write(List.of(write)));
    List<FenceCheck> seen = new ArrayList<>(opened.seen);
    assertNull(seen.get(0));
    for (FenceCheck check : seen.subList(1, seen.size() - 1)) {
      assertSame(fence, check.fence());
      assertEquals("kora:cluster\u0001epoch\u0001", check.row());
    }
    assertNull(seen.get(seen.size() - 1));
  }

  @Test
  void aClosedStoreAcceptsAFenceWithoutEffect() throws Exception {
    RecordingStore store = new RecordingStore(vertx, true);
    await(store.close());
    store.fence(new Fence(EPOCH, "1"));
    Future<Void> refused = store.write(List.of(Mutation.merge(Path.of("a"), 1)));
    ExecutionException error = assertThrows(ExecutionException.class, () -> await(refused));
    assertEquals(ErrorCode.STORE_UNAVAILABLE, ((KoraException) error.getCause()).code());
  }

  @Test
  void theCheckComparesTheStoredTextExactlyAndAbsentWithNull() {
    new FenceCheck(new Fence(EPOCH, "1")).verify("1");
    new FenceCheck(new Fence(EPOCH, null)).verify(null);
    new FenceCheck(new Fence(EPOCH, "\"node\"")).verify("\"node\"");
    assertFenced(new Fence(EPOCH, "1"), "2", "holds 2 where the fence expects 1");
    assertFenced(new Fence(EPOCH, "1"), null, "holds nothing (absent) where the fence expects 1");
    assertFenced(new Fence(EPOCH, null), "1", "holds 1 where the fence expects nothing (absent)");
    // the JSON text, not the value: a string is quoted, and 1.0 is not 1
    assertFenced(new Fence(EPOCH, "node"), "\"node\"", "where the fence expects node");
    assertFenced(new Fence(EPOCH, "1"), "1.0", "holds 1.0");
    String longValue = "\"" + "x".repeat(1_000) + "\"";
    KoraException error = assertFenced(new Fence(EPOCH, "1"), longValue, "(1002 characters)");
    assertTrue(error.getMessage().length() < 500, error.getMessage());
  }

  private static KoraException assertFenced(Fence fence, String stored, String part) {
    KoraException error = assertThrows(KoraException.class,
        () -> new FenceCheck(fence).verify(stored));
    assertEquals(ErrorCode.FENCED, error.code());
    assertTrue(error.getMessage().contains(fence.path().toString()), error.getMessage());
    assertTrue(error.getMessage().contains(part), error.getMessage());
    assertTrue(error.getMessage().contains("nothing was written"), error.getMessage());
    return error;
  }
}
