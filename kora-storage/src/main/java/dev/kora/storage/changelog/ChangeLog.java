package dev.kora.storage.changelog;

import dev.kora.storage.LeafCursor;
import dev.kora.storage.ReadRange;
import dev.kora.storage.Store;
import dev.kora.storage.StoredLeaf;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import dev.kora.tree.LeafCodec;
import dev.kora.tree.LeafValues;
import dev.kora.tree.LeafWrite;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The layout of the version counter, the change log and the mutation ids in a store: ordinary rows of
 * the tree under reserved top-level keys, written in the same transaction as the data they describe,
 * so every store keeps them with the guarantees it gives the data (ARCHITECTURE.md, "Versions and the
 * change log"). The layout:
 *
 * <pre>
 * kora:log/00000000000000000042  [1765000000000, "phone-1:17", {"merge": {...}, "delete": {...}}]
 * kora:log/trimmed               40    every version up to this one has left the log
 * kora:log/version               42    the last committed version
 * kora:ids/phone-1:17            42    the version that committed the mutation with this id
 * </pre>
 *
 * <p>An entry's key is its version as 19 decimal digits, so that the keys' byte order is the version
 * order; its value is an array leaf: the commit time (ms since the epoch), the mutation's id or null,
 * and the mutation as committed (interceptor additions and effect jobs included). {@code trimmed} and
 * {@code version} sort after every entry, so one cursor on the log from a version on reads the
 * entries after it and then both counters, from one snapshot. An id's key is the id with {@code %},
 * {@code /} and control characters percent-encoded (a key may not hold them).
 *
 * <p>Stateless; any thread.
 */
public final class ChangeLog {

  /** The log's subtree: entries, {@code trimmed} and {@code version}. */
  public static final Path LOG = Path.of("kora:log");
  /** The ids' subtree. */
  public static final Path IDS = Path.of("kora:ids");
  /** The longest mutation id, in UTF-8 bytes. */
  public static final int MAX_ID_BYTES = 128;

  private static final String TRIMMED = "trimmed";
  private static final String VERSION = "version";
  private static final int VERSION_DIGITS = 19;
  private static final Path TRIMMED_PATH = LOG.child(TRIMMED);
  /** The counter of the last committed version, e.g. {@code kora:log/version}: {@code 42}. */
  public static final Path VERSION_PATH = LOG.child(VERSION);

  private ChangeLog() {
  }

  /**
   * @param path a stored row's path
   * @return whether it is one of this layout's rows (under {@link #LOG} or {@link #IDS})
   */
  public static boolean isBookkeeping(Path path) {
    return !path.isRoot() && (path.key(0).equals(LOG.key(0)) || path.key(0).equals(IDS.key(0)));
  }

  /**
   * @param version a version, at least 1
   * @return its entry key, e.g. {@code 00000000000000000042}
   */
  public static String entryKey(long version) {
    String digits = Long.toString(version);
    return "0".repeat(VERSION_DIGITS - digits.length()) + digits;
  }

  /**
   * @param version a version
   * @return the path of its entry, e.g. {@code kora:log/00000000000000000042}
   */
  public static Path entryPath(long version) {
    return LOG.child(entryKey(version));
  }

  /**
   * @param id a mutation id, checked by {@link #checkId}
   * @return where the id is kept, e.g. {@code kora:ids/phone-1:17}
   */
  public static Path idPath(String id) {
    StringBuilder key = new StringBuilder(id.length());
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      if (c == '%' || c == '/' || c < 0x20 || c == 0x7F) {
        key.append('%').append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 15, 16));
      } else {
        key.append(c);
      }
    }
    return IDS.child(key.toString());
  }

  /**
   * Checks a mutation id as a client sends it.
   *
   * @param id the {@code id} field of a mutation body, e.g. {@code "phone-1:17"}
   * @return the id
   * @throws KoraException {@code invalid_mutation} when it is not a string of 1 to
   *     {@value #MAX_ID_BYTES} UTF-8 bytes of valid Unicode
   */
  public static String checkId(Object id) {
    if (!(id instanceof String text) || text.isEmpty()) {
      throw new KoraException(ErrorCode.INVALID_MUTATION, "a mutation's 'id' must be a non-empty"
          + " string such as \"<client id>:<sequence>\"");
    }
    if (LeafValues.hasLoneSurrogate(text)) {
      throw new KoraException(ErrorCode.INVALID_MUTATION,
          "a mutation's 'id' must be valid Unicode (it holds a lone surrogate)");
    }
    // A character is at most 3 UTF-8 bytes (a surrogate pair 4 for 2): short ids need no count.
    int bytes = text.length() * 3 <= MAX_ID_BYTES ? 0
        : text.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > MAX_ID_BYTES) {
      throw new KoraException(ErrorCode.INVALID_MUTATION, "a mutation's 'id' is " + bytes
          + " UTF-8 bytes long; the limit is " + MAX_ID_BYTES);
    }
    return text;
  }

  /**
   * The rows a commit adds to its mutation, in the same transaction: the version counter, and with
   * the log on the entry and the id.
   *
   * @param version the commit's version
   * @param mutationJson the mutation as committed, as JSON text ({@link Mutation#encode()}, made
   *     ahead, while the mutation waited for its batch)
   * @param id its id, or null
   * @param atMs the commit time, ms since the epoch
   * @param logged whether the log is on; off, the counter {@code trimmed} follows the version, so a
   *     resume knows the log holds nothing
   * @return leaves for {@link Mutation#plusLeaves}, those under one top-level key together
   */
  public static List<LeafWrite> commitRows(long version, String mutationJson, String id,
      long atMs, boolean logged) {
    List<LeafWrite> rows = new ArrayList<>(3);
    if (logged) {
      rows.add(new LeafWrite(entryPath(version), new LeafCodec.Encoded("[" + atMs + ","
          + (id == null ? "null" : LeafCodec.quote(id)) + "," + mutationJson + "]")));
    } else {
      rows.add(new LeafWrite(TRIMMED_PATH, version));
    }
    rows.add(new LeafWrite(VERSION_PATH, version));
    if (logged && id != null) {
      rows.add(new LeafWrite(idPath(id), version));
    }
    return rows;
  }

  /**
   * The mutation that removes entries from the log (and their ids), and moves {@code trimmed} on.
   *
   * @param entries entries in version order, not empty
   * @param mark whether to move {@code trimmed} to the last of them: yes while the log is on; no
   *     while it is off (commits keep {@code trimmed} at their version then, which is further on)
   * @return the trimming mutation, written without a version
   */
  public static Mutation trim(List<Entry> entries, boolean mark) {
    List<Path> deletes = new ArrayList<>(entries.size() * 2);
    for (Entry entry : entries) {
      deletes.add(entryPath(entry.version()));
      if (entry.id() != null) {
        deletes.add(idPath(entry.id()));
      }
    }
    long last = entries.get(entries.size() - 1).version();
    return Mutation.fromFlat(deletes,
        mark ? List.of(new LeafWrite(LOG.child(TRIMMED), last)) : List.of());
  }

  /**
   * @param trimmedThrough the new value of {@code trimmed}
   * @return the mutation that declares every version up to it gone from the log
   */
  public static Mutation markTrimmed(long trimmedThrough) {
    return Mutation.merge(LOG.child(TRIMMED), trimmedThrough);
  }

  /**
   * @param version the last committed version
   * @param trimmed every version up to this one is gone from the log
   * @return the mutation that sets both counters, e.g. for a copy into another store
   */
  public static Mutation setCounters(long version, long trimmed) {
    return Mutation.fromFlat(List.of(), List.of(new LeafWrite(LOG.child(TRIMMED), trimmed),
        new LeafWrite(LOG.child(VERSION), version)));
  }

  /**
   * One entry of the log.
   *
   * @param version its version
   * @param atMs when it was committed, ms since the epoch
   * @param id the mutation's id, or null
   * @param mutation what was committed
   */
  public record Entry(long version, long atMs, String id, Mutation mutation) {
  }

  /**
   * The counters of a log, as read from one snapshot.
   *
   * @param version the last committed version, 0 for a store never written through a node
   * @param trimmed every version up to this one has left the log (0: none)
   */
  public record Counters(long version, long trimmed) {
  }

  /**
   * Reads the counters.
   *
   * @param store the store
   * @return the counters; fails as {@link Store#read} does
   */
  public static Future<Counters> counters(Store store) {
    return open(store, Long.MAX_VALUE - 1).compose(cursor -> cursor.next(16)
        .compose(entries -> cursor.finish()));
  }

  /**
   * @param store the store
   * @param version a version
   * @return whether the log holds its entry
   */
  public static Future<Boolean> hasEntry(Store store, long version) {
    return store.read(ReadRange.subtree(entryPath(version))).compose(cursor -> cursor.next(1)
        .map(rows -> !rows.isEmpty()).eventually(cursor::close));
  }

  /**
   * Opens a cursor on the entries after a version; its snapshot (on the stores that read snapshots)
   * is fixed once the future completes.
   *
   * @param store the store
   * @param after the entries after this version are read
   * @return the cursor; fails as {@link Store#read} does
   */
  public static Future<Cursor> open(Store store, long after) {
    return store.read(new ReadRange(LOG, entryKey(after + 1), null)).map(Cursor::new);
  }

  /**
   * The entries after a version, in version order, then the counters. Pull with {@link #next} until
   * it answers an empty list, then {@link #finish()}; or {@link #close()} early. Confined to the
   * context that pulls it.
   */
  public static final class Cursor {
    private final LeafCursor rows;
    private long version;
    private long trimmed;
    private boolean exhausted;

    private Cursor(LeafCursor rows) {
      this.rows = rows;
    }

    /**
     * @param maxRows most rows read by this call
     * @return the next entries, in version order; empty once every entry was read (the counters are
     *     then known); fails with {@code internal} for a row that is not an entry (a corrupt log)
     */
    public Future<List<Entry>> next(int maxRows) {
      if (exhausted) {
        return Future.succeededFuture(List.of());
      }
      return rows.next(maxRows).compose(batch -> {
        List<Entry> entries = new ArrayList<>(batch.size());
        for (StoredLeaf row : batch) {
          String key = row.path().size() == 2 ? row.path().key(1) : "";
          if (key.equals(TRIMMED)) {
            trimmed = number(row);
          } else if (key.equals(VERSION)) {
            version = number(row);
          } else {
            entries.add(decode(row));
          }
        }
        if (batch.isEmpty()) {
          exhausted = true;
          return Future.succeededFuture(entries);
        }
        if (entries.isEmpty()) {
          return next(maxRows);
        }
        return Future.succeededFuture(entries);
      });
    }

    /**
     * Reads the rest (the counters, and any entry left) and closes the cursor.
     *
     * @return the counters
     */
    public Future<Counters> finish() {
      return drain().eventually(this::close).map(v -> new Counters(version, trimmed));
    }

    private Future<Void> drain() {
      return next(1_000).compose(entries -> exhausted ? Future.succeededFuture() : drain());
    }

    /** @return completes once the cursor is closed; closing twice is harmless */
    public Future<Void> close() {
      return rows.close();
    }
  }

  private static long number(StoredLeaf row) {
    Object value = LeafCodec.decode(row.valueJson());
    if (!(value instanceof Number)) {
      throw corrupt(row, "not a number");
    }
    return ((Number) value).longValue();
  }

  private static Entry decode(StoredLeaf row) {
    Path path = row.path();
    String key = path.size() == 2 ? path.key(1) : "";
    if (key.length() != VERSION_DIGITS || !key.chars().allMatch(Character::isDigit)) {
      throw corrupt(row, "not an entry key");
    }
    Object value = LeafCodec.decode(row.valueJson());
    if (!(value instanceof JsonArray array) || array.size() != 3
        || !(array.getValue(0) instanceof Number)
        || !(array.getValue(2) instanceof JsonObject)) {
      throw corrupt(row, "not [time, id, mutation]");
    }
    Object id = array.getValue(1);
    return new Entry(Long.parseLong(key), array.getLong(0), id instanceof String s ? s : null,
        Mutation.fromJson(array.getJsonObject(2)));
  }

  private static KoraException corrupt(StoredLeaf row, String why) {
    return new KoraException(ErrorCode.INTERNAL, "the change log row " + row.path() + " is corrupt ("
        + why + ")");
  }
}
