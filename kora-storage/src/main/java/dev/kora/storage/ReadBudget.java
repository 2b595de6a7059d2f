package dev.kora.storage;

/**
 * How much one answer may read: a number of bytes, counted as the stored JSON text of each leaf read
 * plus its keys (about the size of the answer's JSON). A query whose reads go over it fails with
 * {@code too_large} instead of being assembled in memory; a client reads such a subtree in pages
 * ({@code min}/{@code max}/{@code limit}). Shared by the reads of one query; confined to the context
 * that runs them.
 */
public final class ReadBudget {

  private static final ReadBudget UNLIMITED = new ReadBudget(Long.MAX_VALUE);

  private final long max;
  private long used;

  private ReadBudget(long max) {
    this.max = max;
  }

  /** @return a budget that never runs out (reads by the server itself) */
  public static ReadBudget unlimited() {
    return UNLIMITED;
  }

  /**
   * @param maxBytes bytes one answer may read, at least 1
   * @return a fresh budget
   */
  public static ReadBudget of(long maxBytes) {
    return maxBytes == Long.MAX_VALUE ? UNLIMITED : new ReadBudget(maxBytes);
  }

  /** @return the bytes this budget allows */
  public long max() {
    return max;
  }

  /**
   * @param row a row read
   * @return false once the rows taken so far are more than the budget
   */
  public boolean take(StoredLeaf row) {
    if (this == UNLIMITED) {
      return true;
    }
    long bytes = row.valueJson().length();
    for (String key : row.path().keys()) {
      bytes += key.length() + 4; // quotes, colon, comma or brace
    }
    used += bytes;
    return used <= max;
  }
}
