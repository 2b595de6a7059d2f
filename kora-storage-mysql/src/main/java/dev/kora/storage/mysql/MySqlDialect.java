package dev.kora.storage.mysql;

import dev.kora.storage.jdbc.JdbcDialect;
import dev.kora.storage.spi.ServerUrl;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;

/**
 * MySQL and MariaDB for {@link dev.kora.storage.jdbc.JdbcStore}, through Connector/J
 * ({@code com.mysql:mysql-connector-j}). The table is InnoDB,
 * {@code path VARBINARY(3072) PRIMARY KEY} (UTF-8 bytes, compared byte by byte) and
 * {@code value LONGTEXT} in {@code utf8mb4}. Connections run in {@code REPEATABLE READ} with strict
 * SQL mode and lock waits bounded by the operation timeout; batches are rewritten into multi-row
 * statements ({@code rewriteBatchedStatements}); a cursor reads one
 * {@code START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY} transaction.
 */
final class MySqlDialect extends JdbcDialect {

  /**
   * The longest stored path: InnoDB's index key limit (3,072 bytes with the DYNAMIC row format, the
   * default since MySQL 5.7 and MariaDB 10.2).
   */
  static final int MAX_PATH_BYTES = 3_072;

  private final ServerUrl url;

  /** @param url the parsed URL; four writer threads let four stores write at once */
  MySqlDialect(ServerUrl url) {
    super("mysql", url.describe(), "`" + url.table() + "`", MAX_PATH_BYTES, 4, url.timeoutMs(),
        url.poolSize());
    this.url = url;
  }

  ServerUrl url() {
    return url;
  }

  @Override
  public Connection connectWriter() throws SQLException {
    return connect();
  }

  @Override
  public Connection connectReader() throws SQLException {
    return connect();
  }

  private Connection connect() throws SQLException {
    Properties properties = new Properties();
    if (url.user() != null) {
      properties.setProperty("user", url.user());
    }
    if (url.password() != null) {
      properties.setProperty("password", url.password());
    }
    int timeout = (int) Math.min(Integer.MAX_VALUE, timeoutMs());
    properties.setProperty("connectTimeout", Integer.toString(timeout));
    properties.setProperty("socketTimeout", Integer.toString(timeout));
    properties.setProperty("rewriteBatchedStatements", "true");
    properties.setProperty("continueBatchOnError", "false");
    properties.setProperty("characterEncoding", "UTF-8");
    properties.setProperty("tcpKeepAlive", "true");
    properties.setProperty("useLocalSessionState", "true");
    String sslMode = url.options().get("sslMode");
    if (sslMode != null) {
      properties.setProperty("sslMode", sslMode);
    }
    // the driver class directly rather than DriverManager, which misses drivers of other class loaders
    // (the host is written host:port, an IPv6 address in brackets)
    Connection connection = new com.mysql.cj.jdbc.Driver().connect("jdbc:mysql://"
        + url.hosts().get(0) + "/" + url.database(), properties);
    if (connection == null) {
      throw new SQLNonTransientConnectionException("Connector/J refused the URL of "
          + url.describe());
    }
    return initialized(connection, "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ",
        "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION'",
        "SET SESSION innodb_lock_wait_timeout = " + Math.max(1, (timeoutMs() + 999) / 1000));
  }

  /** Creates the table and refuses one of another shape (a collation, a shorter key, MyISAM). */
  @Override
  public void createTable(Connection writer) throws SQLException {
    try (Statement statement = writer.createStatement()) {
      statement.execute("CREATE TABLE IF NOT EXISTS " + quotedTable() + " (path VARBINARY("
          + MAX_PATH_BYTES + ") NOT NULL, value LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
          + " NOT NULL, PRIMARY KEY (path)) ENGINE=InnoDB ROW_FORMAT=DYNAMIC");
    }
    List<String> shape = new ArrayList<>();
    try (PreparedStatement query = writer.prepareStatement("SELECT c.COLUMN_NAME, c.COLUMN_TYPE,"
        + " c.COLUMN_KEY, t.ENGINE FROM information_schema.COLUMNS c JOIN information_schema.TABLES t"
        + " ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME"
        + " WHERE c.TABLE_SCHEMA = DATABASE() AND c.TABLE_NAME = ? ORDER BY c.ORDINAL_POSITION")) {
      query.setString(1, url.table());
      try (ResultSet rows = query.executeQuery()) {
        while (rows.next()) {
          shape.add((rows.getString(1) + " " + rows.getString(2) + " " + rows.getString(3) + " "
              + rows.getString(4)).toLowerCase(Locale.ROOT));
        }
      }
    }
    if (shape.size() != 2 || !shape.get(0).equals("path varbinary(" + MAX_PATH_BYTES + ") pri innodb")
        || !shape.get(1).matches("value (long|medium)text  innodb")) {
      throw new KoraException(ErrorCode.STORE_UNAVAILABLE, "table " + url.table() + " in "
          + url.describe() + " is not a Kora tree table (path VARBINARY(" + MAX_PATH_BYTES
          + ") PRIMARY KEY, value LONGTEXT, InnoDB): " + shape);
    }
  }

  @Override
  public String upsert() {
    // VALUES() rather than MySQL 8's row alias, which MariaDB lacks
    return "INSERT INTO " + quotedTable() + " (path, value) VALUES (?, ?)"
        + " ON DUPLICATE KEY UPDATE value = VALUES(value)";
  }

  @Override
  public String beginWrite() {
    return "START TRANSACTION";
  }

  @Override
  public List<String> beginRead() {
    return List.of("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY");
  }

  /** Paths are VARBINARY: bound as their UTF-8 bytes. */
  @Override
  public void setPath(PreparedStatement statement, int index, String path) throws SQLException {
    statement.setBytes(index, path.getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public String getPath(ResultSet rows, int index) throws SQLException {
    return new String(rows.getBytes(index), StandardCharsets.UTF_8);
  }

  /**
   * {@code store_unavailable}: connection failures (SQLSTATE class 08, Connector/J's communication
   * errors, a refused login), a server shutting down, too many connections, lock wait timeouts,
   * deadlocks, interrupted queries and every non-SQL failure. {@code internal}: other errors of a
   * statement (a constraint, a {@code SIGNAL} in a trigger, data too long).
   */
  @Override
  public KoraException wrap(String action, Throwable error) {
    if (error instanceof KoraException kora) {
      return kora;
    }
    String code = ErrorCode.STORE_UNAVAILABLE;
    if (error instanceof SQLException sql && !(error instanceof SQLNonTransientConnectionException)
        && !(error instanceof SQLTransientException) && !unavailable(sql)) {
      code = ErrorCode.INTERNAL;
    }
    return new KoraException(code, action + " failed: " + error.getMessage(), error);
  }

  private static boolean unavailable(SQLException error) {
    String state = error.getSQLState();
    if (state != null && (state.startsWith("08") || state.startsWith("28")
        || state.equals("40001"))) {
      return true;
    }
    return switch (error.getErrorCode()) {
      // too many connections, server shutdown, lock wait timeout, deadlock, query interrupted,
      // max_execution_time, MariaDB: connection killed; client: cannot connect, gone away, lost
      case 1040, 1053, 1205, 1213, 1317, 3024, 1927, 2002, 2003, 2006, 2013 -> true;
      default -> error.getClass().getName().contains("CommunicationsException");
    };
  }

  /** A deadlock: InnoDB rolled the transaction back, which may simply run again. */
  @Override
  public boolean isTransient(SQLException error) {
    return error.getErrorCode() == 1213 || "40001".equals(error.getSQLState());
  }
}
