package dev.kora.client.local;

import dev.kora.tree.LeafCodec;
import dev.kora.tree.LeafWrite;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import dev.kora.tree.Tree;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * A local store in one SQLite file (sqlite-jdbc), in WAL mode. Outbox changes commit with
 * {@code synchronous=FULL} (fsync): a write the client queued is on disk before it is sent. Cached
 * data commits with {@code synchronous=NORMAL} (no fsync per commit; SQLite's WAL keeps it through a
 * crash of the application, a power loss may take the last commits): data and its version change in
 * one transaction, so the copy is always consistent with its recorded version, and a resume fetches
 * whatever a power loss took. A push costs no fsync that way.
 *
 * <p>Layout (schema 1): {@code meta(key, value)} holds {@code client_id} and {@code last_sequence};
 * {@code cached_path(path, version)} one row per subscribed path; {@code cached_leaf(path, leaf,
 * value)} one row per leaf under it, the leaf's full path with keys joined by U+0001 (no key holds a
 * control character), its value as JSON text, kept in {@code cached_large} instead when it would
 * overflow the row's page ({@link CachedLeaves}); {@code outbox(sequence, id, mutation, version)} the
 * queued writes. The file is opened in exclusive locking mode: a second client on the same file fails
 * to open with a clear error instead of sharing an identity.
 *
 * <p>Blocking: the client calls it on a worker thread. Thread-safe (one connection, synchronized).
 */
public final class SqliteLocalStore implements LocalStore {

  private static final char SEPARATOR = '\u0001';
  private static final char AFTER_SEPARATOR = '\u0002';

  private final String file;
  private final Connection connection;
  private final CachedLeaves leaves;
  private final PreparedStatement putVersion;

  /**
   * Opens (creating if needed) a local store.
   *
   * @param file the SQLite file, e.g. {@code app-data/kora-cache.db}; its folder must exist
   * @throws LocalStoreException when the file cannot be opened, is not a local store, or is in use by
   *     another client
   */
  public SqliteLocalStore(String file) {
    this.file = file;
    try {
      connection = DriverManager.getConnection("jdbc:sqlite:" + file);
      try (Statement statement = connection.createStatement()) {
        statement.execute("PRAGMA locking_mode=EXCLUSIVE");
        statement.execute("PRAGMA journal_mode=WAL");
        statement.execute("PRAGMA synchronous=NORMAL");
        statement.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)");
        statement.execute("CREATE TABLE IF NOT EXISTS cached_path (path TEXT PRIMARY KEY,"
            + " version INTEGER NOT NULL)");
        leaves = CachedLeaves.open(connection);
        statement.execute("CREATE TABLE IF NOT EXISTS outbox (sequence INTEGER PRIMARY KEY,"
            + " id TEXT NOT NULL, mutation TEXT NOT NULL, version INTEGER)");
        statement.execute("INSERT OR IGNORE INTO meta VALUES ('schema', '1')");
      }
      connection.setAutoCommit(false);
      connection.commit();
      putVersion = connection.prepareStatement(
          "INSERT OR REPLACE INTO cached_path (path, version) VALUES (?, ?)");

    } catch (SQLException e) {
      throw new LocalStoreException(e.getMessage() != null && e.getMessage().contains("locked")
          ? "the local store " + file + " is in use by another client"
          : "cannot open the local store " + file + ": " + e.getMessage(), e);
    }
  }

  @Override
  public boolean blocking() {
    return true;
  }

  @Override
  public synchronized LocalState load() {
    try {
      String clientId = meta("client_id");
      if (clientId == null) {
        clientId = UUID.randomUUID().toString();
        setMeta("client_id", clientId);
        connection.commit();
      }
      String last = meta("last_sequence");
      List<LocalState.CachedPath> paths = new ArrayList<>();
      try (Statement statement = connection.createStatement();
          ResultSet rows = statement.executeQuery("SELECT path, version FROM cached_path")) {
        while (rows.next()) {
          Path path = decodePath(rows.getString(1));
          paths.add(new LocalState.CachedPath(path, readData(rows.getString(1)), rows.getLong(2)));
        }
      }
      List<PendingWrite> outbox = new ArrayList<>();
      try (Statement statement = connection.createStatement();
          ResultSet rows = statement.executeQuery(
              "SELECT sequence, id, mutation, version FROM outbox ORDER BY sequence")) {
        while (rows.next()) {
          long version = rows.getLong(4);
          Long confirmed = rows.wasNull() ? null : version;
          outbox.add(new PendingWrite(rows.getLong(1), rows.getString(2),
              Mutation.fromJson(new JsonObject(rows.getString(3))), confirmed));
        }
      }
      return new LocalState(clientId, last == null ? 0 : Long.parseLong(last), paths, outbox);
    } catch (SQLException | RuntimeException e) {
      throw failure("read", e);
    }
  }

  private JsonObject readData(String path) throws SQLException {
    JsonObject data = new JsonObject();
    leaves.read(path, (leaf, value) -> Tree.put(data, decodePath(leaf), LeafCodec.decode(value)));
    return data;
  }

  @Override
  public synchronized void apply(Path path, Mutation change, long version) {
    String key = encodePath(path);
    try {
      // A full answer deletes the path first: then no row is left for the writes to displace.
      boolean emptied = false;
      for (Path deleted : change.deletes()) {
        if (deleted.contains(path)) {
          leaves.deleteAll(key);
          emptied = true;
        } else {
          deleteSubtree(key, deleted);
        }
      }
      for (LeafWrite write : change.writes()) {
        if (!emptied) {
          for (int length = 1; length < write.path().size(); length++) {
            leaves.deleteLeaf(key, encodePath(write.path().prefix(length)));
          }
          deleteUnder(key, encodePath(write.path()));
        }
        leaves.put(key, encodePath(write.path()), write.valueJson());
      }
      leaves.flush();
      putVersion.setString(1, key);
      putVersion.setLong(2, version);
      putVersion.executeUpdate();
      connection.commit();
    } catch (SQLException | RuntimeException e) {
      leaves.clear();
      rollback();
      throw failure("write", e);
    }
  }

  private void deleteSubtree(String key, Path deleted) throws SQLException {
    String encoded = encodePath(deleted);
    leaves.deleteLeaf(key, encoded);
    deleteUnder(key, encoded);
  }

  private void deleteUnder(String key, String encoded) throws SQLException {
    leaves.deleteRange(key, encoded + SEPARATOR, encoded + AFTER_SEPARATOR);
  }

  @Override
  public synchronized void forget(Path path) {
    String key = encodePath(path);
    try (PreparedStatement deletePath = connection.prepareStatement(
        "DELETE FROM cached_path WHERE path = ?")) {
      leaves.deleteAll(key);
      deletePath.setString(1, key);
      deletePath.executeUpdate();
      connection.commit();
    } catch (SQLException e) {
      rollback();
      throw failure("write", e);
    }
  }

  @Override
  public synchronized void enqueue(PendingWrite write) {
    try {
      beginDurable();
    } catch (SQLException e) {
      throw failure("write", e);
    }
    try (PreparedStatement insert = connection.prepareStatement(
        "INSERT INTO outbox (sequence, id, mutation, version) VALUES (?, ?, ?, ?)")) {
      insert.setLong(1, write.sequence());
      insert.setString(2, write.id());
      insert.setString(3, write.mutation().encode());
      if (write.version() == null) {
        insert.setNull(4, java.sql.Types.INTEGER);
      } else {
        insert.setLong(4, write.version());
      }
      insert.executeUpdate();
      setMeta("last_sequence", Long.toString(write.sequence()));
      commitDurably();
    } catch (SQLException e) {
      rollback();
      throw failure("write", e);
    }
  }

  @Override
  public synchronized void acknowledge(long sequence, long version) {
    update("UPDATE outbox SET version = ? WHERE sequence = ?", version, sequence);
  }

  @Override
  public synchronized void remove(long sequence) {
    update("DELETE FROM outbox WHERE sequence = ?", sequence);
  }

  private void update(String sql, long... values) {
    try {
      beginDurable();
    } catch (SQLException e) {
      throw failure("write", e);
    }
    try (PreparedStatement statement = connection.prepareStatement(sql)) {
      for (int i = 0; i < values.length; i++) {
        statement.setLong(i + 1, values[i]);
      }
      statement.executeUpdate();
      commitDurably();
    } catch (SQLException e) {
      rollback();
      throw failure("write", e);
    }
  }

  @Override
  public synchronized void close() {
    try {
      connection.close();
    } catch (SQLException e) {
      throw failure("close", e);
    }
  }

  /**
   * Commits the outbox change in progress with an fsync (it survives a power loss), then goes back
   * to committing without one. The mode is switched between transactions (auto-commit on).
   */
  private void commitDurably() throws SQLException {
    connection.commit();
    synchronous("NORMAL");
  }

  /** Starts an outbox change: its commit ({@link #commitDurably}) will fsync. */
  private void beginDurable() throws SQLException {
    synchronous("FULL");
  }

  /** SQLite refuses to change the level inside a transaction: switched with auto-commit on. */
  private void synchronous(String level) throws SQLException {
    connection.setAutoCommit(true);
    try (Statement statement = connection.createStatement()) {
      statement.execute("PRAGMA synchronous=" + level);
    }
    connection.setAutoCommit(false);
  }

  private String meta(String key) throws SQLException {
    try (PreparedStatement select = connection.prepareStatement(
        "SELECT value FROM meta WHERE key = ?")) {
      select.setString(1, key);
      try (ResultSet rows = select.executeQuery()) {
        return rows.next() ? rows.getString(1) : null;
      }
    }
  }

  private void setMeta(String key, String value) throws SQLException {
    try (PreparedStatement upsert = connection.prepareStatement(
        "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)")) {
      upsert.setString(1, key);
      upsert.setString(2, value);
      upsert.executeUpdate();
    }
  }

  private void rollback() {
    try {
      connection.rollback();
    } catch (SQLException ignored) {
      // the failure being reported says more
    }
  }

  private LocalStoreException failure(String what, Exception e) {
    return new LocalStoreException("cannot " + what + " the local store " + file + ": "
        + e.getMessage(), e);
  }

  static String encodePath(Path path) {
    return String.join(String.valueOf(SEPARATOR), path.keys());
  }

  static Path decodePath(String encoded) {
    return encoded.isEmpty() ? Path.ROOT : Path.of(encoded.split(String.valueOf(SEPARATOR), -1));
  }
}
