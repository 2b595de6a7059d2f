package dev.kora.storage.spi;

import dev.kora.storage.changelog.ChangeLog;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import dev.kora.tree.LeafCodec;
import dev.kora.tree.LeafWrite;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The row operations of one mutation for a store of {@link PathEncoding materialized paths}, the same
 * for every row store. Apply them in this order, in one transaction: first every delete — the
 * {@link #ranges()} and the {@link #points()}, which commute — then every {@link #upserts() upsert}.
 *
 * <ul>
 *   <li>Each deleted subtree P is the range {@code [P, end(P))}.</li>
 *   <li>Each leaf written at P removes the rows under P, the range {@code [P + U+0002, end(P))} (the
 *       row at P itself is kept, so that the upsert updates it in place), and the leaf rows at P's
 *       ancestors, the points.</li>
 *   <li>Then each leaf is inserted or its value replaced.</li>
 * </ul>
 * The leaves of one mutation never overlap (none lies under another), so its deletes never remove a
 * row it upserts. The rows of the change log ({@link ChangeLog#isBookkeeping}: its entries, counters
 * and ids, written only by commits) are the exception to the first two rules: nothing is ever
 * stored under them or as a leaf above them, so their plan is the upsert alone. Several mutations are applied plan after plan, in order. Immutable; built on any
 * thread without I/O.
 */
public final class WritePlan {

  /**
   * The stored paths in {@code [from, to)}.
   *
   * @param from first stored path deleted (inclusive)
   * @param to stored path the range stops before (exclusive)
   */
  public record Range(String from, String to) {
  }

  /**
   * A row to insert, or whose value to replace. Its JSON text is made when first asked for, which a
   * driver does on its writer thread: encoding the values (a change log entry holds a whole mutation)
   * is then not the event loop's work. Immutable in effect; safe to read from any thread.
   */
  public static final class Row {
    private final String path;
    private final Object leaf;
    private String valueJson;

    /**
     * @param path the stored path ({@link PathEncoding#encode})
     * @param valueJson the leaf as JSON text
     */
    public Row(String path, String valueJson) {
      this.path = path;
      this.leaf = null;
      this.valueJson = valueJson;
    }

    private Row(String path, Object leaf, boolean lazy) {
      this.path = path;
      this.leaf = leaf;
    }

    /** @return the stored path */
    public String path() {
      return path;
    }

    /** @return the leaf as JSON text ({@link LeafCodec#encode}), made on first use */
    public String valueJson() {
      String json = valueJson;
      if (json == null) {
        json = LeafCodec.encode(leaf);
        valueJson = json;
      }
      return json;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Row row && path.equals(row.path) && valueJson().equals(row.valueJson());
    }

    @Override
    public int hashCode() {
      return path.hashCode() * 31 + valueJson().hashCode();
    }

    @Override
    public String toString() {
      return "Row[path=" + path + ", valueJson=" + valueJson() + "]";
    }
  }

  private final List<Range> ranges;
  private final List<String> points;
  private final List<Row> upserts;

  private WritePlan(List<Range> ranges, List<String> points, List<Row> upserts) {
    this.ranges = ranges;
    this.points = points;
    this.upserts = upserts;
  }

  /**
   * @param mutation a mutation
   * @param maxPathBytes the longest stored path, in UTF-8 bytes, the store can keep (its index limit)
   * @param store the store's name for the error message, e.g. {@code postgres}
   * @return its plan
   * @throws KoraException {@code too_large} when a leaf's stored path is longer than
   *     {@code maxPathBytes}; then nothing of the mutation may be written
   */
  public static WritePlan of(Mutation mutation, int maxPathBytes, String store) {
    List<Range> ranges = new ArrayList<>();
    for (Path path : mutation.deletes()) {
      String encoded = PathEncoding.encode(path);
      ranges.add(new Range(encoded, PathEncoding.subtreeEnd(encoded)));
    }
    List<LeafWrite> writes = mutation.writes();
    Set<String> points = new LinkedHashSet<>();
    List<Row> upserts = new ArrayList<>(writes.size());
    for (LeafWrite write : writes) {
      String encoded = PathEncoding.encode(write.path());
      int bytes = utf8Length(encoded);
      if (bytes > maxPathBytes) {
        throw new KoraException(ErrorCode.TOO_LARGE, "the path '" + abbreviate(write.path())
            + "' takes " + bytes + " bytes as stored (its keys' UTF-8 bytes plus one per key); the "
            + store + " store keeps paths of at most " + maxPathBytes + " bytes; nothing was written");
      }
      if (ChangeLog.isBookkeeping(write.path()) && write.path().size() == 2) {
        // A change log row (entry, counter, id) never has rows under it nor a leaf above it: only
        // commits write there (every other write is denied), so the upsert alone is its plan.
        upserts.add(new Row(encoded, write.value(), true));
        continue;
      }
      ranges.add(new Range(encoded + (char) (PathEncoding.SEPARATOR + 1),
          PathEncoding.subtreeEnd(encoded)));
      int last = encoded.length() - 1;
      for (int i = encoded.indexOf(PathEncoding.SEPARATOR); i < last;
          i = encoded.indexOf(PathEncoding.SEPARATOR, i + 1)) {
        points.add(encoded.substring(0, i + 1));
      }
      upserts.add(new Row(encoded, write.value(), true));
    }
    return new WritePlan(Collections.unmodifiableList(ranges), List.copyOf(points),
        Collections.unmodifiableList(upserts));
  }

  /**
   * Plans a {@link dev.kora.storage.Store#write} call, leaving out empty mutations.
   *
   * @param mutations the mutations, in order
   * @param maxPathBytes see {@link #of(Mutation, int, String)}
   * @param store the store's name for the error message
   * @return one plan per non-empty mutation, in order; empty when there is nothing to write
   * @throws KoraException {@code too_large} as {@link #of(Mutation, int, String)}
   */
  public static List<WritePlan> of(List<Mutation> mutations, int maxPathBytes, String store) {
    if (mutations.size() == 1) {
      // the common case of Store.writeEach: one mutation per call, planned per mutation
      Mutation mutation = mutations.get(0);
      return mutation.isEmpty() ? List.of() : List.of(of(mutation, maxPathBytes, store));
    }
    List<WritePlan> plans = new ArrayList<>(mutations.size());
    for (Mutation mutation : mutations) {
      if (!mutation.isEmpty()) {
        plans.add(of(mutation, maxPathBytes, store));
      }
    }
    return plans;
  }

  /**
   * Folds consecutive plans into as few plans as possible that, applied in order, change the rows
   * exactly as the given plans applied one after the other: the form a group commit applies, a batch
   * of each kind of statement for many mutations instead of three small batches per mutation.
   *
   * <p>A plan joins the previous one unless one of its deletes would remove a row the previous one
   * upserts (its deletes run before the joined upserts); then it starts a new plan. A row upserted
   * twice in one plan is upserted once, with the later value (PostgreSQL refuses a statement that
   * updates a row twice). A point delete is
   * left out when an earlier delete of the same row has not been followed by an upsert of that row:
   * the row is known to be absent. (Writes under one parent all delete the parent's and every
   * ancestor's leaf rows; after the first such delete the others find nothing.)
   *
   * <p>Example: plans for merging {@code bench/w/k1} and {@code bench/w/k2} (ranges under each leaf,
   * points {@code bench} and {@code bench/w}, one upsert each) become one plan with two ranges, two
   * points and two upserts.
   *
   * @param plans plans in the order they are to be applied
   * @return plans with the same effect, in order; the list itself when it holds at most one plan
   */
  public static List<WritePlan> coalesce(List<WritePlan> plans) {
    if (plans.size() <= 1) {
      return plans;
    }
    List<WritePlan> result = new ArrayList<>();
    Set<String> absent = new HashSet<>();
    // The rows upserted by the plan being built, with their positions in its upserts, and every
    // proper ancestor of them (stored paths ending in a separator): a subtree holds one of those
    // rows exactly when its path is one of them or one of their ancestors. Hash lookups, not a
    // sorted set: this runs on a store's single writer thread, once per row of every group.
    Map<String, Integer> upserted = new HashMap<>();
    Set<String> ancestors = new HashSet<>();
    List<Range> ranges = new ArrayList<>();
    List<String> points = new ArrayList<>();
    List<Row> upserts = new ArrayList<>();
    for (WritePlan plan : plans) {
      if (!upserted.isEmpty() && deletesAny(plan, upserted, ancestors)) {
        result.add(new WritePlan(ranges, points, upserts));
        ranges = new ArrayList<>();
        points = new ArrayList<>();
        upserts = new ArrayList<>();
        upserted.clear();
        ancestors.clear();
      }
      ranges.addAll(plan.ranges);
      for (String point : plan.points) {
        if (absent.add(point)) {
          points.add(point);
        }
      }
      for (Row row : plan.upserts) {
        absent.remove(row.path());
        Integer earlier = upserted.putIfAbsent(row.path(), upserts.size());
        if (earlier == null) {
          upserts.add(row);
          addAncestors(row.path(), ancestors);
        } else {
          upserts.set(earlier, row); // the later value wins; one row is upserted once per plan
        }
      }
    }
    result.add(new WritePlan(ranges, points, upserts));
    return result;
  }

  /**
   * Adds the proper ancestors of a stored path, e.g. {@code a/b/} and {@code a/} for {@code a/b/c/}
   * (separators shown as {@code /}), from the nearest up, stopping at the first already there (its
   * own ancestors were added with it).
   */
  private static void addAncestors(String path, Set<String> ancestors) {
    for (int end = path.lastIndexOf(PathEncoding.SEPARATOR, path.length() - 2); end >= 0;
        end = path.lastIndexOf(PathEncoding.SEPARATOR, end - 1)) {
      if (!ancestors.add(path.substring(0, end + 1))) {
        return;
      }
    }
  }

  /**
   * @return whether a delete of {@code plan} may remove one of the {@code rows}, whose proper
   *     ancestors are {@code ancestors}
   */
  private static boolean deletesAny(WritePlan plan, Map<String, Integer> rows,
      Set<String> ancestors) {
    for (String point : plan.points) {
      if (rows.containsKey(point)) {
        return true;
      }
    }
    for (Range range : plan.ranges) {
      String from = range.from();
      String to = range.to();
      int length = to.length();
      if (length == 0 || to.charAt(length - 1) != PathEncoding.SEPARATOR + 1
          || from.length() < length || !from.regionMatches(0, to, 0, length - 1)
          || from.charAt(length - 1) != PathEncoding.SEPARATOR) {
        return true; // not a subtree range: assume the worst
      }
      // The subtree of P = from's first `length` characters: the rows starting with P.
      if (from.length() == length) {
        // [P, end(P)): the whole subtree, P's own row included
        if (rows.containsKey(from) || ancestors.contains(from)) {
          return true;
        }
      } else if (from.length() == length + 1 && from.charAt(length) == PathEncoding.SEPARATOR + 1) {
        // [P + U+0002, end(P)): the rows under P, which sort after P + U+0002 (a key's characters
        // are above U+0002)
        if (ancestors.contains(from.substring(0, length))) {
          return true;
        }
      } else {
        return true; // a range of another form: assume the worst
      }
    }
    return false;
  }

  /** @return the subtrees to delete, mutation deletes first, then the subtrees under written leaves */
  public List<Range> ranges() {
    return ranges;
  }

  /** @return the stored paths of ancestors of written leaves, whose leaf rows are deleted */
  public List<String> points() {
    return points;
  }

  /** @return the rows to insert or update, after every delete of this plan */
  public List<Row> upserts() {
    return upserts;
  }

  /** @return the number of row operations, a measure of the plan's cost */
  public long size() {
    return ranges.size() + points.size() + upserts.size();
  }

  /** @return the summed {@link #size()} of the plans */
  public static long size(List<WritePlan> plans) {
    long size = 0;
    for (WritePlan plan : plans) {
      size += plan.size();
    }
    return size;
  }

  /** @return the number of bytes of {@code text} in UTF-8, as {@link String#getBytes} encodes it */
  public static int utf8Length(CharSequence text) {
    int bytes = 0;
    int length = text.length();
    for (int i = 0; i < length; i++) {
      char c = text.charAt(i);
      if (c < 0x80) {
        bytes++;
      } else if (c < 0x800) {
        bytes += 2;
      } else if (!Character.isSurrogate(c)) {
        bytes += 3;
      } else if (Character.isHighSurrogate(c) && i + 1 < length
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        bytes += 4;
        i++;
      } else {
        // a lone surrogate is encoded as '?', as String.getBytes does
        bytes++;
      }
    }
    return bytes;
  }

  private static String abbreviate(Path path) {
    String text = path.toString();
    return text.length() <= 120 ? text : text.substring(0, 100) + "...(" + path.size() + " keys)";
  }

  @Override
  public String toString() {
    return "WritePlan[ranges=" + ranges + ", points=" + points + ", upserts=" + upserts + "]";
  }
}
