package dev.kora.storage.spi;

import dev.kora.storage.Fence;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;

/**
 * A {@link Fence} as a driver checks it in a write transaction: which stored row to read with a lock
 * held to the end of the transaction ({@link #row()}, the fence's path {@link PathEncoding encoded}),
 * and whether the value read is the fence's ({@link #verify}). Every driver compares the same way
 * here: the stored JSON text exactly as {@link dev.kora.tree.LeafCodec} wrote it against the fence's
 * text, an absent row against a null value. Immutable; made by {@link StoreBase#fence} once per
 * fence, handed to drivers by {@link StoreBase#fenceCheck()}.
 */
public final class FenceCheck {

  /** The longest value a failure message shows; longer ones are cut, the message says so. */
  static final int MAX_SHOWN_CHARS = 200;

  private final Fence fence;
  private final String row;

  /** @param fence the fence; not null */
  FenceCheck(Fence fence) {
    this.fence = fence;
    this.row = PathEncoding.encode(fence.path());
  }

  /** @return the fence checked */
  public Fence fence() {
    return fence;
  }

  /** @return the stored path of the fence's row, e.g. {@code "kora:cluster\u0001epoch\u0001"} */
  public String row() {
    return row;
  }

  /**
   * Compares the fence's row, as the transaction read it under its lock, with the fence.
   *
   * @param stored the row's value as stored (JSON text), or null when there is no such row
   * @throws KoraException code {@code fenced} when it differs from the fence's value (a row where
   *     the fence wants none, none where it wants one, or another text); the message names the path
   *     and both values. The driver must then roll the transaction back and fail the whole group
   *     with it: no call of the group is at fault, so none is retried alone.
   */
  public void verify(String stored) {
    String expected = fence.value();
    if (expected == null ? stored == null : expected.equals(stored)) {
      return;
    }
    throw new KoraException(ErrorCode.FENCED, "the store is fenced: " + fence.path() + " holds "
        + shown(stored) + " where the fence expects " + shown(expected)
        + "; the write transaction was rolled back and nothing was written");
  }

  /**
   * The {@code fenced} error of a store that cannot tell its fence holds for another reason than a
   * different value, e.g. another store claimed the fence's row since (Cassandra), or the outcome
   * of an earlier fenced write is unknown.
   *
   * @param reason what happened and what was written, e.g. "was claimed by another store since
   *     this store was fenced; nothing of this write was written"
   * @return code {@code fenced}, the message naming the fence's path and value and the reason
   */
  public KoraException fencedOff(String reason) {
    return new KoraException(ErrorCode.FENCED, "the store is fenced: " + fence.path()
        + " (fence value " + shown(fence.value()) + ") " + reason);
  }

  private static String shown(String value) {
    if (value == null) {
      return "nothing (absent)";
    }
    if (value.length() > MAX_SHOWN_CHARS) {
      return value.substring(0, MAX_SHOWN_CHARS) + "... (" + value.length() + " characters)";
    }
    return value;
  }

  @Override
  public String toString() {
    return "FenceCheck[" + fence.path() + " = " + shown(fence.value()) + "]";
  }
}
