package dev.kora.node.impl.read;

import dev.kora.node.core.Cancellation;
import dev.kora.storage.ReadBudget;
import dev.kora.storage.ReadRange;
import dev.kora.storage.Store;
import dev.kora.storage.TreeReader;
import dev.kora.storage.changelog.ChangeLog;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import dev.kora.tree.LeafWrite;
import dev.kora.tree.Mutation;
import dev.kora.tree.MutationCombiner;
import dev.kora.tree.Path;
import dev.kora.tree.Query;
import dev.kora.tree.QueryOptions;
import dev.kora.tree.Tree;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * Answers the entries of a query that carry {@code since} (docs/protocol.md, "Versions and resume"):
 * a client that holds a path's data as of version S gets what changed after S, so that applying the
 * answer to its copy gives the data as of the answer's version.
 *
 * <p>How: the change log's entries after S are combined ({@link MutationCombiner}), each restricted
 * to the path. The combination is the answer when the log still reaches back to S (the counter
 * {@code kora:log/trimmed} is at most S) and the combination converges; otherwise the answer is the
 * path's full data with a delete of the path first, and {@code "reset": true} (the log no longer
 * reaches back, or holds more than {@value #MAX_ENTRIES} entries after S). The combination alone
 * does not converge where a leaf was replaced by a subtree that was then emptied
 * ({@link MutationCombiner#unsettledUnder}): a client that held the leaf would keep it. For each such
 * path (every one, not only the outermost: an ancestor may hold other children while the leaf's path
 * is empty) the answer also deletes the path when nothing is stored there now (if something is, the
 * client held a branch there, not a leaf, or a later push writes under it and clears the leaf).
 * That check reads after the barrier; any commit that changed the path since then reaches the
 * client as a push after the answer, which makes the later read safe. Both the log cursor and a paused read of the path are opened together, inside the
 * caller's write barrier for a subscribe, so whichever is used reflects the same version; the
 * unused one is closed unread. Memory: the log is pulled in batches; what is held is the
 * combination, at most the data changed since S.
 *
 * <p>Confined to the node's context.
 */
final class Resume {

  /** Most log entries a resume combines; beyond, the path is answered in full. */
  static final int MAX_ENTRIES = 100_000;
  private static final int BATCH = 1_000;
  /** Most unsettled paths checked one by one; beyond, the path is answered in full. */
  static final int MAX_UNSETTLED = 1_000;

  /**
   * The answer's parts from the resumed entries, from the root.
   *
   * @param merge data written
   * @param delete paths to delete first (leaves 1)
   * @param reset whether some path is answered in full because the log does not reach back
   */
  record Part(JsonObject merge, JsonObject delete, boolean reset) {
  }

  private Resume() {
  }

  /**
   * Opens what the resume of {@code entries} needs: the log cursor from the oldest {@code since}
   * and one paused read per entry. The data both read is fixed when the future completes.
   *
   * @param store the store
   * @param entries whole entries with {@code since} at most {@code version}
   * @param version the version the answer reflects: the last commit before the caller's barrier
   * @param cancellation cancelling it closes the cursors
   * @param budget what full answers may read
   * @return the answer's parts, pulled once the future completes
   */
  static Future<Future<Part>> open(Store store, List<Query.Entry> entries, long version,
      Cancellation cancellation, ReadBudget budget) {
    long oldest = Long.MAX_VALUE;
    for (Query.Entry entry : entries) {
      oldest = Math.min(oldest, entry.options().since());
    }
    Future<ChangeLog.Cursor> log = ChangeLog.open(store, oldest);
    List<Future<TreeReader.OpenRead>> reads = new ArrayList<>(entries.size());
    for (Query.Entry entry : entries) {
      reads.add(TreeReader.openPaused(store, entry.path(), QueryOptions.WHOLE, budget));
    }
    List<Future<?>> all = new ArrayList<>(reads);
    all.add(log);
    return Future.join(all).transform(opened -> {
      if (opened.failed()) {
        log.onSuccess(ChangeLog.Cursor::close);
        reads.forEach(read -> read.onSuccess(TreeReader.OpenRead::cancel));
        return Future.failedFuture(opened.cause());
      }
      List<TreeReader.OpenRead> open = new ArrayList<>(reads.size());
      reads.forEach(read -> {
        open.add(read.result());
        cancellation.onCancel(read.result()::cancel);
      });
      cancellation.onCancel(log.result()::close);
      return Future.succeededFuture(answer(store, entries, version, log.result(), open));
    });
  }

  /** One resumed entry: what is combined for it, and its paused full read. */
  private static final class Target {
    final Query.Entry entry;
    final TreeReader.OpenRead read;
    final MutationCombiner combiner = new MutationCombiner();
    Future<Object> full;

    Target(Query.Entry entry, TreeReader.OpenRead read) {
      this.entry = entry;
      this.read = read;
    }
  }

  /**
   * @return every unsettled path at or under the target's path
   *     ({@link MutationCombiner#unsettledUnder}: the answer deletes those absent now)
   */
  private static List<Path> unsettled(Target target) {
    return target.combiner.unsettledUnder(target.entry.path());
  }

  /**
   * Whether nothing is stored at or under {@code path}; read after the barrier (see the class
   * comment for why that is safe).
   */
  private static Future<Boolean> absent(Store store, Path path) {
    return store.read(ReadRange.subtree(path)).compose(cursor -> cursor.next(1)
        .map(List::isEmpty).eventually(cursor::close));
  }

  private static Future<Part> answer(Store store, List<Query.Entry> entries, long version,
      ChangeLog.Cursor log, List<TreeReader.OpenRead> reads) {
    List<Target> targets = new ArrayList<>(entries.size());
    for (int i = 0; i < entries.size(); i++) {
      targets.add(new Target(entries.get(i), reads.get(i)));
    }
    Promise<Boolean> pulled = Promise.promise();
    pull(log, targets, version, new int[1], pulled);
    JsonObject merge = new JsonObject();
    JsonObject delete = new JsonObject();
    boolean[] reset = {false};
    return pulled.future().compose(within -> within
        ? log.finish().map(ChangeLog.Counters::trimmed)
        // more entries than a resume combines: every path is answered in full
        : log.close().map(Long.MAX_VALUE)).compose(trimmed -> {
          List<Future<?>> pending = new ArrayList<>();
          for (Target target : targets) {
            boolean reaches = target.entry.options().since() >= trimmed;
            List<Path> unsettled = reaches ? unsettled(target) : List.of();
            if (reaches && unsettled.size() <= MAX_UNSETTLED) {
              target.read.cancel();
              put(target.combiner.result(), merge, delete);
              for (Path path : unsettled) {
                pending.add(absent(store, path).map(gone -> {
                  if (gone) {
                    put(Mutation.fromFlat(List.of(path), List.of()), merge, delete);
                  }
                  return null;
                }));
              }
            } else {
              reset[0] |= !reaches;
              target.full = target.read.pull();
              pending.add(target.full);
            }
          }
          return Future.all(pending);
        }).map(all -> {
          for (Target target : targets) {
            if (target.full == null) {
              continue;
            }
            Path path = target.entry.path();
            put(Mutation.fromFlat(List.of(path), List.of()), merge, delete);
            if (target.full.result() != null) {
              Tree.put(merge, path, target.full.result());
            }
          }
          return new Part(merge, delete, reset[0]);
        }).andThen(done -> {
          if (done.failed()) {
            log.close();
            reads.forEach(TreeReader.OpenRead::cancel);
          }
        });
  }

  /**
   * Pulls log entries up to {@code version} into the combiners; completes with false when there
   * were more than {@link #MAX_ENTRIES}.
   */
  private static void pull(ChangeLog.Cursor log, List<Target> targets, long version, int[] read,
      Promise<Boolean> complete) {
    log.next(BATCH).onComplete(batch -> {
      if (batch.failed()) {
        complete.fail(batch.cause());
        return;
      }
      if (batch.result().isEmpty()) {
        complete.complete(true);
        return;
      }
      for (ChangeLog.Entry logged : batch.result()) {
        if (logged.version() > version) {
          // a store without snapshots may show later commits; the pushes bring those
          complete.complete(true);
          return;
        }
        if (++read[0] > MAX_ENTRIES) {
          complete.complete(false);
          return;
        }
        for (Target target : targets) {
          if (logged.version() > target.entry.options().since()) {
            target.combiner.add(logged.mutation().restrictTo(target.entry.path()));
          }
        }
      }
      pull(log, targets, version, read, complete);
    });
  }

  /** Adds a mutation's deletes and writes (paths from the root) to an answer's trees. */
  static void put(Mutation mutation, JsonObject merge, JsonObject delete) {
    for (Path path : mutation.deletes()) {
      if (!deletedAtOrAbove(delete, path)) {
        Tree.put(delete, path, 1);
      }
    }
    for (LeafWrite write : mutation.writes()) {
      Tree.put(merge, write.path(), write.value());
    }
  }

  private static boolean deletedAtOrAbove(JsonObject delete, Path path) {
    Object node = delete;
    for (int i = 0; i < path.size(); i++) {
      if (!(node instanceof JsonObject object)) {
        return true;
      }
      node = object.getValue(path.key(i));
      if (node == null) {
        return false;
      }
    }
    return !(node instanceof JsonObject);
  }

  /**
   * @param since a requested {@code since}
   * @param version the current version
   * @param path the entry's path, for the message
   * @throws KoraException {@code invalid_query} when {@code since} is ahead of the version
   */
  static void checkSince(long since, long version, Path path) {
    if (since > version) {
      throw new KoraException(ErrorCode.INVALID_QUERY, "query at '" + path + "': 'since' is "
          + since + ", ahead of the current version " + version);
    }
  }
}
