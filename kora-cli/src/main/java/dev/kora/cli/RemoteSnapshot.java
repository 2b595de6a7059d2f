package dev.kora.cli;

import dev.kora.client.connection.KoraConnection;
import dev.kora.protocol.Action;
import dev.kora.protocol.Dialect;
import dev.kora.protocol.Frame;
import dev.kora.storage.Store;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import dev.kora.tree.Query;
import dev.kora.tree.QueryOptions;
import dev.kora.tree.Tree;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Copies a subtree of a running node, as of one version, into a local {@link Store}, while the node
 * goes on taking writes, in bounded memory. Works on every store of the node (Cassandra's reads
 * included, which fix no snapshot) because it relies only on the protocol's ordering guarantees:
 *
 * <ol>
 *   <li>subscribe to the subtree with {@code limit: 0} (an empty answer): every commit after the
 *       answer's version that touches the subtree reaches this connection as a push, in order;</li>
 *   <li>read the subtree in pages of children ({@code min}/{@code limit}), one page at a time, and
 *       merge each page into the local store; the pushes received before a page's query was sent are
 *       applied before the page, those received after it after the page;</li>
 *   <li>subscribe again ({@code limit: 0}): its answer's version V is the snapshot's version. Every
 *       push of a commit up to V comes before the answer or with the pushes the node held during the
 *       subscribe, which it sends right after the answer, so a {@code ping} call after it marks the
 *       end of them; they are applied, later ones dropped.</li>
 * </ol>
 *
 * <p>Why this gives the tree exactly as of V: a page holds each of its rows (leaves) as of some moment
 * after the first subscription and before V, and every commit that touched a row after that moment
 * is applied after the page, in commit order. A commit sets the rows it touches whatever they held
 * (its deletes and leaf writes do not depend on the data), so each row ends with the value the last
 * commit touching it up to V gave it, or, untouched since the page, with the page's value, which is
 * then its value at V. Re-applying a commit a page already reflects is harmless for the same reason.
 * No {@code since} is asked for, so the answer can never be a {@code reset}, and the change log's
 * retention does not matter.
 *
 * <p>Memory: one page (about {@code pageLeaves} leaves) and the pushes that arrive while one page is
 * read; the rest is in the local store. Blocks: run it on a thread that is not an event loop (the
 * connection's handlers only queue pushes).
 */
final class RemoteSnapshot {

  /** A child key that is larger than every key starting with it: the next page's {@code min}. */
  private static final char AFTER_KEY = '\u0002';
  private static final int MAX_PAGE_CHILDREN = 10_000;

  private final KoraConnection connection;
  private final Path base;
  private final Store local;
  private final int pageLeaves;
  private final ConcurrentLinkedQueue<JsonObject> pushes = new ConcurrentLinkedQueue<>();
  private long pages;
  private long appliedPushes;

  /**
   * @param connection an open connection to the node, not used for anything else meanwhile
   * @param base the subtree to copy; not the root (a client cannot subscribe to the root)
   * @param local where the copy goes; should be empty under {@code base}
   * @param pageLeaves about how many leaves to read per query (the page's children are adjusted
   *     to it after each page)
   */
  RemoteSnapshot(KoraConnection connection, Path base, Store local, int pageLeaves) {
    requireSubtree(base);
    this.connection = connection;
    this.base = base;
    this.local = local;
    this.pageLeaves = Math.max(1, pageLeaves);
    connection.pushHandler(this::onPush);
  }

  /**
   * @param base the subtree to copy
   * @throws KoraException {@code invalid_query} for the root, which a client cannot subscribe to
   */
  static void requireSubtree(Path base) {
    if (base.isRoot()) {
      throw new KoraException(ErrorCode.INVALID_QUERY, "an online export needs --at PATH: clients"
          + " cannot subscribe to the root; export each top-level path");
    }
  }

  /**
   * Copies the subtree. Blocks.
   *
   * @return the version the local copy reflects exactly
   * @throws KoraException with the node's code when it refused a call ({@code denied},
   *     {@code unauthenticated}, {@code too_large} when one child alone is over the node's
   *     {@code maxAnswerBytes}), {@code disconnected} when the connection closed, or the local
   *     store's failure
   */
  long copy() {
    long start = subscribe();
    String min = null;
    int children = 100;
    while (true) {
      applyPushes(Long.MAX_VALUE);
      Page read = readPage(min, children);
      children = read.limit();
      Object value = Tree.get(read.answer().getJsonObject("merge", new JsonObject()), base);
      if (!(value instanceof JsonObject page)) {
        if (value != null) {
          local.write(List.of(Mutation.merge(base, value))).await();
        }
        break;
      }
      long leaves = page.isEmpty() ? 0 : Tree.countLeaves(page);
      if (!page.isEmpty()) {
        local.write(List.of(Mutation.merge(base, page))).await();
      }
      pages++;
      if (page.size() < children) {
        break;
      }
      min = lastKey(page) + AFTER_KEY;
      long perChild = Math.max(1, leaves / page.size());
      children = (int) Math.max(1, Math.min(MAX_PAGE_CHILDREN, pageLeaves / perChild));
    }
    long version = subscribe();
    call(Action.PING, null);
    applyPushes(version);
    if (version < start) {
      throw new KoraException(ErrorCode.INTERNAL, "the node's version went back from " + start
          + " to " + version + " during the export");
    }
    return version;
  }

  /** @return the number of pages read */
  long pages() {
    return pages;
  }

  /** @return the number of pushes (commits during the export) applied to the copy */
  long appliedPushes() {
    return appliedPushes;
  }

  private void onPush(Frame.Cast cast) {
    if (cast.body() instanceof JsonObject body && body.getValue("version") instanceof Number) {
      pushes.add(body);
    }
  }

  /** Applies the queued pushes up to {@code version} in order, in one store write; drops later ones. */
  private void applyPushes(long version) {
    List<Mutation> changes = new ArrayList<>();
    JsonObject push;
    while ((push = pushes.poll()) != null) {
      if (push.getLong("version") <= version) {
        changes.add(Mutation.of(push.getJsonObject("merge", new JsonObject()),
            push.getJsonObject("delete", new JsonObject())));
      }
    }
    if (!changes.isEmpty()) {
      local.write(changes).await();
      appliedPushes += changes.size();
    }
  }

  /** Subscribes to the subtree again (an empty answer) and returns the answer's version. */
  private long subscribe() {
    Query query = Query.of(base, new QueryOptions(null, null, 0, true));
    JsonObject answer = (JsonObject) call(Action.SUBSCRIBE, query.toJson());
    return answer.getLong("version");
  }

  /** An answer to a page's query, and the {@code limit} it was asked with. */
  private record Page(JsonObject answer, int limit) {
  }

  /**
   * Reads up to {@code children} children from {@code min}; a page over the node's answer limit is
   * read again with half the children.
   */
  private Page readPage(String min, int children) {
    int limit = children;
    while (true) {
      Query query = Query.of(base, new QueryOptions(min, null, limit, false));
      try {
        return new Page((JsonObject) call(Action.QUERY, query.toJson()), limit);
      } catch (KoraException e) {
        if (!ErrorCode.TOO_LARGE.equals(e.code())) {
          throw e;
        }
        if (limit == 1) {
          throw new KoraException(ErrorCode.TOO_LARGE, "one child of '" + base + "' after "
              + (min == null ? "the first key" : "key '" + min.substring(0, min.length() - 1) + "'")
              + " is larger than the node answers at once (maxAnswerBytes): export its subtrees"
              + " with --at instead (" + e.getMessage() + ")", e);
        }
        limit = Math.max(1, limit / 2);
      }
    }
  }

  private Object call(Action action, Object body) {
    return connection.call(action.wireName(Dialect.KORA), body).await();
  }

  /** @return the largest key of the page in the tree's order */
  private static String lastKey(JsonObject page) {
    String last = null;
    for (String key : page.fieldNames()) {
      if (last == null || Path.compareKeys(key, last) > 0) {
        last = key;
      }
    }
    return last;
  }
}
