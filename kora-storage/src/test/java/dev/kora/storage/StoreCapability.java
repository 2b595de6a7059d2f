package dev.kora.storage;

/**
 * What a store must be able to do for some tests of {@link StoreTestBase}. A driver's test declares the
 * capabilities its store has in {@link StoreTestBase#capabilities()}; a test that needs one the store
 * lacks is skipped through a JUnit assumption whose message names the capability and this reason — a
 * declared, explained opt-out rather than a bare {@code @Disabled}.
 */
public enum StoreCapability {

  /** Data written before {@link Store#close()} is there again when the same tree is opened anew. */
  PERSISTENT("keeps its data across close and reopen"),

  /**
   * The test can make a write fail inside the store after part of the transaction was applied
   * (see {@link StoreTestBase#failWritesAt}), to prove that a failed write leaves nothing behind.
   */
  FAILURE_INJECTION("lets the test make a write fail inside the store, halfway through a transaction"),

  /** A cursor reads one consistent snapshot across all its batches, whatever is written meanwhile. */
  SNAPSHOT_CURSORS("gives each cursor one consistent snapshot across its batches"),

  /**
   * Paths of {@value dev.kora.tree.Path#MAX_DEPTH} keys of {@value dev.kora.tree.Path#MAX_KEY_BYTES}
   * UTF-8 bytes each (24,608 bytes encoded) are stored; an index with a smaller key limit opts out.
   */
  FULL_LENGTH_PATHS("stores paths of 32 keys of 768 UTF-8 bytes each (24,608 bytes encoded)");

  private final String meaning;

  StoreCapability(String meaning) {
    this.meaning = meaning;
  }

  /** @return what a store with this capability does, printed when a test is skipped for lack of it */
  public String meaning() {
    return meaning;
  }
}
