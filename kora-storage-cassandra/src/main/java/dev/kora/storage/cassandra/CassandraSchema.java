package dev.kora.storage.cassandra;

import com.datastax.oss.driver.api.core.CqlIdentifier;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The three tables of a tree and the prepared statements the store runs on them.
 *
 * <pre>
 * CREATE TABLE ks.t (part text, path text, leaf text, PRIMARY KEY ((part), path))
 * CREATE TABLE ks.t_partitions (bucket int, part text, PRIMARY KEY ((bucket), part))
 * CREATE TABLE ks.t_fences (fence text PRIMARY KEY, value text, seq bigint, write_id uuid,
 *     claim uuid, redo blob, redo_timestamp bigint, end_timestamp bigint)
 * </pre>
 *
 * {@code part} is a leaf's partition key, {@code path} its clustering key (see
 * {@link CassandraLayout}), {@code leaf} its JSON text. The list of partitions keeps every
 * partition key that may hold rows as a clustering key of the one partition {@code bucket = 0}, so
 * that it reads back in byte order. The fence table has one row per fenced path ({@code fence}, the
 * path {@link dev.kora.storage.spi.PathEncoding encoded}), written only with lightweight
 * transactions (see {@link CassandraFences}): {@code value} the fenced leaf's JSON text as the
 * fenced writes left it ({@value #ABSENT_VALUE} for absent), {@code seq} the number of fenced
 * writes decided on it, {@code write_id} the last one's id (or the claim's, before any),
 * {@code claim} the store instance that
 * holds it, {@code redo} the last write's operations ({@link CassandraRedo}) with their base
 * timestamp {@code redo_timestamp}, {@code end_timestamp} the highest timestamp any fenced write
 * used. Every data write binds its own timestamp ({@code USING TIMESTAMP}). Built once per store;
 * thread-safe.
 */
final class CassandraSchema {

  /** The table comment that marks a Kora tree and records its partition depth. */
  static final String COMMENT_PREFIX = "kora tree; partitionDepth=";
  /** The {@code value} of a fence row whose leaf is absent (JSON text is never empty). */
  static final String ABSENT_VALUE = "";

  final String keyspace;
  final String table;
  final String partitionsTable;
  final String fencesTable;

  PreparedStatement insert;
  PreparedStatement deleteRow;
  PreparedStatement deleteRange;
  PreparedStatement deletePartition;
  PreparedStatement selectSlice;
  PreparedStatement selectFrom;
  PreparedStatement selectPartition;
  PreparedStatement list;
  PreparedStatement unlist;
  PreparedStatement unlistRange;
  PreparedStatement partitionsSlice;
  PreparedStatement partitionsFrom;
  PreparedStatement partitionsIn;
  PreparedStatement selectLeaf;
  PreparedStatement fenceRead;
  PreparedStatement fenceCreate;
  PreparedStatement fenceClaim;
  PreparedStatement fenceWrite;

  CassandraSchema(CassandraUrl url) {
    this.keyspace = quote(url.keyspace());
    this.table = keyspace + "." + quote(url.table());
    this.partitionsTable = keyspace + "." + quote(url.table() + "_partitions");
    this.fencesTable = keyspace + "." + quote(url.table() + "_fences");
  }

  private static String quote(String name) {
    return CqlIdentifier.fromInternal(name).asCql(false);
  }

  /**
   * @return the statements that create the keyspace and the three tables (data, partitions,
   *     fences) when missing, in that order; idempotent
   */
  static List<SimpleStatement> createStatements(CassandraUrl url, Duration timeout) {
    CassandraSchema names = new CassandraSchema(url);
    List<SimpleStatement> ddl = new ArrayList<>();
    ddl.add(SimpleStatement.newInstance("CREATE KEYSPACE IF NOT EXISTS " + names.keyspace
        + " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': "
        + url.replication() + "}"));
    ddl.add(SimpleStatement.newInstance("CREATE TABLE IF NOT EXISTS " + names.table
        + " (part text, path text, leaf text, PRIMARY KEY ((part), path))"
        + " WITH CLUSTERING ORDER BY (path ASC) AND comment = '" + COMMENT_PREFIX
        + url.partitionDepth() + "'"));
    ddl.add(SimpleStatement.newInstance("CREATE TABLE IF NOT EXISTS " + names.partitionsTable
        + " (bucket int, part text, PRIMARY KEY ((bucket), part))"
        + " WITH CLUSTERING ORDER BY (part ASC) AND comment = 'kora tree partitions of "
        + url.table() + "'"));
    ddl.add(SimpleStatement.newInstance("CREATE TABLE IF NOT EXISTS " + names.fencesTable
        + " (fence text PRIMARY KEY, value text, seq bigint, write_id uuid, claim uuid,"
        + " redo blob, redo_timestamp bigint, end_timestamp bigint)"
        + " WITH comment = 'kora fences of " + url.table() + "'"));
    ddl.replaceAll(statement -> statement.setTimeout(timeout));
    return ddl;
  }

  /**
   * @return the query of the keyspace's tables: no rows when the keyspace is
   *     missing, or has no tables (then creating it again is harmless)
   */
  static SimpleStatement tablesQuery(CassandraUrl url) {
    return SimpleStatement.newInstance("SELECT table_name FROM system_schema.tables"
        + " WHERE keyspace_name = ?", url.keyspace());
  }

  /** @return the query of the comment of the data table, which records its partition depth */
  static SimpleStatement commentQuery(CassandraUrl url) {
    return SimpleStatement.newInstance("SELECT comment FROM system_schema.tables"
        + " WHERE keyspace_name = ? AND table_name = ?", url.keyspace(), url.table());
  }

  /** Prepares every statement. */
  CompletionStage<CassandraSchema> prepare(CqlSession session) {
    String t = table;
    String p = partitionsTable;
    String f = fencesTable;
    List<CompletableFuture<PreparedStatement>> all = new ArrayList<>();
    String[] cql = {
        "INSERT INTO " + t + " (part, path, leaf) VALUES (?, ?, ?) USING TIMESTAMP ?",
        "DELETE FROM " + t + " USING TIMESTAMP ? WHERE part = ? AND path = ?",
        "DELETE FROM " + t + " USING TIMESTAMP ? WHERE part = ? AND path >= ? AND path < ?",
        "DELETE FROM " + t + " USING TIMESTAMP ? WHERE part = ?",
        "SELECT path, leaf FROM " + t + " WHERE part = ? AND path >= ? AND path < ?",
        "SELECT path, leaf FROM " + t + " WHERE part = ? AND path >= ?",
        "SELECT path, leaf FROM " + t + " WHERE part = ?",
        "INSERT INTO " + p + " (bucket, part) VALUES (0, ?) USING TIMESTAMP ?",
        "DELETE FROM " + p + " USING TIMESTAMP ? WHERE bucket = 0 AND part = ?",
        "DELETE FROM " + p + " USING TIMESTAMP ? WHERE bucket = 0 AND part >= ? AND part < ?",
        "SELECT part FROM " + p + " WHERE bucket = 0 AND part >= ? AND part < ?",
        "SELECT part FROM " + p + " WHERE bucket = 0 AND part >= ?",
        "SELECT part FROM " + p + " WHERE bucket = 0 AND part IN ?",
        "SELECT leaf FROM " + t + " WHERE part = ? AND path = ?",
        "SELECT value, seq, write_id, claim, redo, redo_timestamp, end_timestamp FROM " + f
            + " WHERE fence = ?",
        "INSERT INTO " + f + " (fence, value, seq, write_id, claim) VALUES (?, ?, ?, ?, ?)"
            + " IF NOT EXISTS",
        "UPDATE " + f + " SET claim = ?, value = ? WHERE fence = ? IF value = ?",
        "UPDATE " + f + " SET value = ?, seq = ?, write_id = ?, redo = ?, redo_timestamp = ?,"
            + " end_timestamp = ? WHERE fence = ?"
            + " IF value = ? AND seq = ? AND write_id = ? AND claim = ?",
    };
    for (String each : cql) {
      all.add(session.prepareAsync(each).toCompletableFuture());
    }
    return CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0])).thenApply(v -> {
      int i = 0;
      insert = all.get(i++).join();
      deleteRow = all.get(i++).join();
      deleteRange = all.get(i++).join();
      deletePartition = all.get(i++).join();
      selectSlice = all.get(i++).join();
      selectFrom = all.get(i++).join();
      selectPartition = all.get(i++).join();
      list = all.get(i++).join();
      unlist = all.get(i++).join();
      unlistRange = all.get(i++).join();
      partitionsSlice = all.get(i++).join();
      partitionsFrom = all.get(i++).join();
      partitionsIn = all.get(i++).join();
      selectLeaf = all.get(i++).join();
      fenceRead = all.get(i++).join();
      fenceCreate = all.get(i++).join();
      fenceClaim = all.get(i++).join();
      fenceWrite = all.get(i).join();
      return this;
    });
  }

  /** @return the statement of one row operation, at its timestamp */
  BoundStatement bind(CassandraRedo.Op op) {
    long ts = op.timestamp();
    return switch (op.kind()) {
      case LIST -> list(op.part(), ts);
      case INSERT -> insert(op.part(), op.a(), op.b(), ts);
      case DELETE_ROW -> deleteRow(op.part(), op.a(), ts);
      case DELETE_RANGE -> deleteRange(op.part(), op.a(), op.b(), ts);
      case DELETE_PARTITION -> deletePartition(op.part(), ts);
      case UNLIST -> unlist(op.part(), ts);
      case UNLIST_RANGE -> unlistRange(op.part(), op.a(), ts);
    };
  }

  /** @return the leaf at one full key */
  BoundStatement selectLeaf(String part, String path) {
    return selectLeaf.bind(part, path);
  }

  BoundStatement insert(String part, String path, String leaf, long timestamp) {
    return insert.bind(part, path, leaf, timestamp);
  }

  BoundStatement deleteRow(String part, String path, long timestamp) {
    return deleteRow.bind(timestamp, part, path);
  }

  BoundStatement deleteRange(String part, String from, String to, long timestamp) {
    return deleteRange.bind(timestamp, part, from, to);
  }

  BoundStatement deletePartition(String part, long timestamp) {
    return deletePartition.bind(timestamp, part);
  }

  /** @return the rows of one partition with clustering keys from {@code from} before {@code to} */
  BoundStatement select(String part, String from, String to) {
    return to == null ? selectFrom.bind(part, from) : selectSlice.bind(part, from, to);
  }

  BoundStatement selectPartition(String part) {
    return selectPartition.bind(part);
  }

  BoundStatement list(String part, long timestamp) {
    return list.bind(part, timestamp);
  }

  BoundStatement unlist(String part, long timestamp) {
    return unlist.bind(timestamp, part);
  }

  BoundStatement unlistRange(String from, String to, long timestamp) {
    return unlistRange.bind(timestamp, from, to);
  }

  /** @return which of these partition keys are listed */
  BoundStatement partitionsIn(List<String> parts) {
    return partitionsIn.bind(parts);
  }

  /** @return the listed partition keys from {@code from} before {@code to} (null: to the end) */
  BoundStatement partitions(String from, String to) {
    return to == null ? partitionsFrom.bind(from) : partitionsSlice.bind(from, to);
  }
}
