package dev.kora.node.core;

import dev.kora.interceptors.Session;
import dev.kora.storage.changelog.ChangeLog;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import dev.kora.tree.LeafWrite;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import dev.kora.tree.Query;
import io.vertx.core.json.JsonObject;

/**
 * The rule on reserved paths, checked before any interceptor runs: top-level keys starting with
 * {@value #PREFIX} (such as {@code kora:jobs}, the durable effect jobs) belong to the server. A client
 * session may not write or read them, nor subscribe to the root (which would include them), and its
 * answers to root queries leave them out. Internal sessions (the embedded API, plugins, effects) may.
 * The one place that knows the prefix. Stateless; any thread.
 */
public final class ReservedPaths {

  /** Top-level keys with this prefix are reserved for the server. */
  public static final String PREFIX = "kora:";

  private ReservedPaths() {
  }

  /**
   * @param name a top-level key, e.g. {@code jobs}
   * @return the reserved path {@code kora:NAME}
   */
  public static Path path(String name) {
    return Path.of(PREFIX + name);
  }

  /**
   * @param mutation a mutation
   * @param session who writes
   * @throws KoraException {@code denied} when a client session touches a reserved path, or any
   *     session the change log or the mutation ids ({@link ChangeLog}), which only commits write
   */
  public static void checkWrite(Mutation mutation, Session session) {
    if (session.isInternal()) {
      String kept = keptByTheNode(mutation);
      if (kept != null) {
        throw new KoraException(ErrorCode.DENIED, "'" + kept + "' is kept by the node itself (the"
            + " change log and mutation ids); no mutation may write it");
      }
      return;
    }
    String reserved = reservedKey(mutation);
    if (reserved != null) {
      throw new KoraException(ErrorCode.DENIED, "'" + reserved + "' is reserved for the server;"
          + " clients cannot write " + PREFIX + "* paths");
    }
  }

  /**
   * @param query a query
   * @param session who reads
   * @throws KoraException {@code denied} when a client session reads a reserved path
   */
  public static void checkRead(Query query, Session session) {
    if (session.isInternal()) {
      return;
    }
    for (Query.Entry entry : query.entries()) {
      if (!entry.path().isRoot() && isReserved(entry.path().key(0))) {
        throw new KoraException(ErrorCode.DENIED, "'" + entry.path().key(0) + "' is reserved for"
            + " the server; clients cannot read " + PREFIX + "* paths");
      }
    }
  }

  /**
   * @param query a query that subscribes
   * @param session who subscribes
   * @throws KoraException {@code denied} when a client session subscribes to the root
   */
  public static void checkSubscribe(Query query, Session session) {
    if (session.isInternal()) {
      return;
    }
    for (Query.Entry entry : query.entries()) {
      if (entry.path().isRoot() && entry.options().subscribe()) {
        throw new KoraException(ErrorCode.DENIED, "clients cannot subscribe to the root;"
            + " subscribe to the top-level paths you need");
      }
    }
  }

  /**
   * Removes reserved keys from a client's answer to a root query.
   *
   * @param answer {@code {"merge": {...}, "delete": {...}}}; changed in place
   * @param session who reads
   * @return {@code answer}
   */
  public static JsonObject hide(JsonObject answer, Session session) {
    if (!session.isInternal()) {
      answer.getJsonObject("merge").fieldNames().removeIf(ReservedPaths::isReserved);
    }
    return answer;
  }

  private static boolean isReserved(String topLevelKey) {
    return topLevelKey.startsWith(PREFIX);
  }

  /** @return the first top-level key of the change log layout the mutation touches, or null */
  private static String keptByTheNode(Mutation mutation) {
    String log = ChangeLog.LOG.key(0);
    String ids = ChangeLog.IDS.key(0);
    for (Path path : mutation.deletes()) {
      if (path.key(0).equals(log) || path.key(0).equals(ids)) {
        return path.key(0);
      }
    }
    for (LeafWrite write : mutation.writes()) {
      String top = write.path().key(0);
      if (top.equals(log) || top.equals(ids)) {
        return top;
      }
    }
    return null;
  }

  private static String reservedKey(Mutation mutation) {
    for (Path path : mutation.deletes()) {
      if (isReserved(path.key(0))) {
        return path.key(0);
      }
    }
    for (LeafWrite write : mutation.writes()) {
      if (isReserved(write.path().key(0))) {
        return write.path().key(0);
      }
    }
    return null;
  }
}
