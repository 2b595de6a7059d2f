package dev.kora.sqlite.format;

/**
 * The size of a row in SQLite's file format, and whether it stays on its page: the facts behind
 * the layout both Kora's SQLite store and kora-client's local store use, where a value whose row
 * would overflow its index page is kept in a table of its own (docs/stores/sqlite.md, "Layout").
 * Source: SQLite's file format documentation, "Record Format" and "B-tree Pages".
 */
public final class SqliteRecords {

  private SqliteRecords() {
  }

  /**
   * SQLite's largest payload, in bytes, that an index B-tree cell keeps on its own page, for a page of
   * {@code usableBytes}: {@code (U-12)*64/255-23} (the payload of a larger cell goes partly to
   * overflow pages). 1,002 bytes for 4 KiB pages.
   *
   * @param usableBytes the usable page size U, in bytes (the page size less reserved bytes)
   * @return the largest payload kept on the page, in bytes
   */
  public static int maxLocalPayload(int usableBytes) {
    return (usableBytes - 12) * 64 / 255 - 23;
  }

  /**
   * @param textBytes the UTF-8 sizes of the record's TEXT columns, in bytes, e.g. a path of 12
   *     bytes and a value of 40: {@code recordBytes(12, 40)} = 55
   * @return the size of SQLite's record of those columns, in bytes: its header (its own size, one
   *     byte for the few columns of a Kora row, and one varint serial type {@code 2n+13} per column)
   *     and the texts
   */
  public static int recordBytes(int... textBytes) {
    int size = 1;
    for (int bytes : textBytes) {
      size += varintBytes(2L * bytes + 13) + bytes;
    }
    return size;
  }

  private static int varintBytes(long value) {
    int bytes = 1;
    for (long rest = value >>> 7; rest != 0 && bytes < 9; rest >>>= 7) {
      bytes++;
    }
    return bytes;
  }
}
