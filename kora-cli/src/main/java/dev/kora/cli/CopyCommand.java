package dev.kora.cli;

import dev.kora.storage.ReadRange;
import dev.kora.storage.Store;
import dev.kora.storage.StoreOptions;
import dev.kora.storage.StoredLeaf;
import dev.kora.storage.Stores;
import dev.kora.storage.TreeReader;
import dev.kora.storage.changelog.ChangeLog;
import dev.kora.storage.spi.PathEncoding;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import dev.kora.tree.LeafCodec;
import dev.kora.tree.LeafWrite;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code kora copy --from URL --to URL [--at PATH]}: streams a tree (or a subtree) from one store to
 * another in bounded batches, then reads both sides again and compares their leaf counts and SHA-256
 * checksums. The way to move from SQLite to PostgreSQL, MySQL or Cassandra. Stop the nodes using the
 * stores first: the copy works on the stores directly, without interceptors.
 */
@Command(name = "copy", mixinStandardHelpOptions = true,
    description = "Copy the tree (or a subtree) from one store to another, then verify it.")
final class CopyCommand implements Callable<Integer> {

  @Option(names = "--from", required = true, paramLabel = "URL", description = "Source store URL.")
  String from;

  @Option(names = "--to", required = true, paramLabel = "URL", description = "Target store URL.")
  String to;

  @Option(names = "--at", defaultValue = "", paramLabel = "PATH",
      description = "The subtree to copy (default: the whole tree).")
  String at;

  @Option(names = "--replace",
      description = "Delete what the target holds at PATH first (default: refuse a non-empty target).")
  boolean replace;

  @Option(names = "--batch-leaves", defaultValue = "5000",
      description = "Leaves per write (default: ${DEFAULT-VALUE}).")
  int batchLeaves;

  @Override
  public Integer call() {
    Path base = Path.parse(at);
    Vertx vertx = Vertx.vertx();
    Store source = null;
    Store target = null;
    try {
      source = Stores.open(vertx, new StoreOptions().setUrl(from)).await();
      target = Stores.open(vertx, new StoreOptions().setUrl(to)).await();
      long targetVersion = ChangeLog.counters(target).await().version();
      Summary before = summarize(target, base);
      if (before.leaves() > 0) {
        if (!replace) {
          throw new KoraException(ErrorCode.INVALID_MESSAGE, "the target already holds "
              + before.leaves() + " leaves at '" + base + "'; use --replace to overwrite them");
        }
        target.write(List.of(base.isRoot() ? rootDelete(target) : Mutation.delete(base))).await();
      }
      Summary expected = summarize(source, base);
      Progress progress = new Progress(System.err, "leaves copied");
      long[] copied = {0};
      Store writeTo = target;
      TreeReader.stream(source, ReadRange.subtree(base), batchLeaves, rows -> {
        List<LeafWrite> writes = new ArrayList<>(rows.size());
        for (StoredLeaf row : rows) {
          writes.add(new LeafWrite(row.path(), LeafCodec.decode(row.valueJson())));
        }
        copied[0] += rows.size();
        progress.update((double) copied[0] / Math.max(1, expected.leaves()), copied[0], copied[0],
            false);
        return writeTo.write(List.of(Mutation.fromFlat(List.of(), writes))).map(true);
      }).await();
      progress.update(1, copied[0], copied[0], true);
      Summary after = summarize(target, base);
      if (!after.equals(expected)) {
        throw new KoraException(ErrorCode.INTERNAL, "verification failed: source has "
            + expected + ", target has " + after);
      }
      carryVersion(source, target, base, targetVersion);
      System.err.printf("kora: copied %,d leaves of '%s' from %s to %s in %.1f s; verified: %,d"
          + " leaves, sha256 %s on both sides%n", copied[0], base, source.describe(),
          target.describe(), progress.seconds(), after.leaves(), after.sha256());
      return 0;
    } finally {
      if (source != null) {
        source.close().await();
      }
      if (target != null) {
        target.close().await();
      }
      vertx.close().await();
    }
  }

  /**
   * Versions only increase, on the target too: a whole-tree copy brings the source's counters and
   * change log with its rows; otherwise (a subtree, or a target that had counted further) the
   * target's version becomes the larger of the two, and its log is declared to reach back no
   * further than that, as it does not describe the copied data ({@code since} answers reset).
   */
  private static void carryVersion(Store source, Store target, Path base, long targetVersion) {
    long sourceVersion = ChangeLog.counters(source).await().version();
    if (base.isRoot() && targetVersion <= sourceVersion) {
      return;
    }
    long version = Math.max(sourceVersion, targetVersion);
    target.write(List.of(ChangeLog.setCounters(version, version))).await();
  }

  /** The root cannot be deleted as a whole: delete each top-level key instead. */
  private static Mutation rootDelete(Store store) {
    List<Path> tops = new ArrayList<>();
    String[] last = {null};
    TreeReader.stream(store, ReadRange.subtree(Path.ROOT), TreeReader.BATCH_ROWS, rows -> {
      for (StoredLeaf row : rows) {
        String top = row.path().key(0);
        if (!top.equals(last[0])) {
          tops.add(Path.of(top));
          last[0] = top;
        }
      }
      return Future.succeededFuture(true);
    }).await();
    return Mutation.fromFlat(tops, List.of());
  }

  /**
   * A subtree's fingerprint: its leaf count and the SHA-256 of every row's stored path and leaf (in
   * canonical JSON), in path order.
   */
  record Summary(long leaves, String sha256) {
    @Override
    public String toString() {
      return leaves + " leaves (sha256 " + sha256 + ")";
    }
  }

  static Summary summarize(Store store, Path base) {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    long count = TreeReader.stream(store, ReadRange.subtree(base), TreeReader.BATCH_ROWS, rows -> {
      for (StoredLeaf row : rows) {
        digest.update(PathEncoding.encode(row.path()).getBytes(StandardCharsets.UTF_8));
        digest.update((byte) 0);
        digest.update(LeafCodec.encode(LeafCodec.decode(row.valueJson()))
            .getBytes(StandardCharsets.UTF_8));
        digest.update((byte) '\n');
      }
      return Future.succeededFuture(true);
    }).await();
    return new Summary(count, HexFormat.of().formatHex(digest.digest()));
  }
}
