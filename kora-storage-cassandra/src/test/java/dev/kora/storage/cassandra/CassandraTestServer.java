package dev.kora.storage.cassandra;

import static org.junit.jupiter.api.Assertions.fail;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.cql.ResultSet;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Where the tests find Cassandra, and a plain driver session on it for checks behind the store's
 * back. The contact point is the environment's {@code KORA_CASSANDRA_HOST} /
 * {@code KORA_CASSANDRA_PORT} when set, else the system properties {@code kora.cassandra.host} /
 * {@code kora.cassandra.port} (set by the module's pom, overridable with {@code -D}), else
 * 127.0.0.1:9042. When nothing answers there, the tests fail with a message that says how to start
 * one; they are never skipped.
 */
final class CassandraTestServer {

  /** The keyspace every test table lives in. */
  static final String KEYSPACE = "kora_test";

  private static CqlSession session;

  private CassandraTestServer() {
  }

  static String host() {
    String env = System.getenv("KORA_CASSANDRA_HOST");
    return env != null && !env.isBlank() ? env : System.getProperty("kora.cassandra.host",
        "127.0.0.1");
  }

  static int port() {
    String env = System.getenv("KORA_CASSANDRA_PORT");
    return Integer.parseInt(env != null && !env.isBlank() ? env
        : System.getProperty("kora.cassandra.port", "9042"));
  }

  /** @return the store URL of {@code table} in the test keyspace, with extra options ("&k=v") */
  static String url(String table, String extra) {
    return "cassandra://" + host() + ":" + port() + "/" + KEYSPACE + "?table=" + table + extra;
  }

  /** @return a session on the test server, opened once; fails the test when none answers */
  static synchronized CqlSession session() {
    if (session == null) {
      try {
        session = CqlSession.builder()
            .addContactPoint(new InetSocketAddress(host(), port()))
            .withLocalDatacenter(CassandraUrl.DEFAULT_DATACENTER)
            .withConfigLoader(DriverConfigLoader.programmaticBuilder()
                .withString(DefaultDriverOption.SESSION_NAME, "kora-test-admin")
                .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, Duration.ofSeconds(60))
                .withDuration(DefaultDriverOption.CONNECTION_CONNECT_TIMEOUT, Duration.ofSeconds(5))
                .build())
            .build();
      } catch (RuntimeException e) {
        fail("No Cassandra answers CQL at " + host() + ":" + port() + " (" + e.getMessage()
            + "). Start one with `scripts/services/cassandra.sh ensure`, or point"
            + " KORA_CASSANDRA_HOST / KORA_CASSANDRA_PORT (or -Dkora.cassandra.host /"
            + " -Dkora.cassandra.port) at a running Cassandra.", e);
      }
      session.execute("CREATE KEYSPACE IF NOT EXISTS " + KEYSPACE + " WITH replication ="
          + " {'class': 'SimpleStrategy', 'replication_factor': 1}");
      Runtime.getRuntime().addShutdownHook(new Thread(session::close, "kora-test-admin-close"));
    }
    return session;
  }

  static ResultSet execute(String cql, Object... values) {
    return session().execute(SimpleStatement.newInstance(cql, values)
        .setTimeout(Duration.ofSeconds(60)));
  }

  /** @return the server's {@code batch_size_fail_threshold} in KiB (Cassandra's default: 50) */
  static long batchSizeFailThresholdKib() {
    com.datastax.oss.driver.api.core.cql.Row row = execute("SELECT value FROM"
        + " system_views.settings WHERE name = 'batch_size_fail_threshold'").one();
    String value = row == null ? "50KiB" : row.getString(0);
    long number = Long.parseLong(value.replaceAll("[^0-9]", ""));
    return value.endsWith("MiB") ? number * 1_024 : value.endsWith("GiB") ? number << 20 : number;
  }

  /** Drops the three tables of a tree (data, partitions, fences). */
  static void drop(String table) {
    CompletableFuture.allOf(dropAsync(table), dropAsync(table + "_partitions"),
        dropAsync(table + "_fences")).join();
  }

  private static CompletableFuture<?> dropAsync(String table) {
    return session().executeAsync(SimpleStatement.newInstance("DROP TABLE IF EXISTS " + KEYSPACE
        + ".\"" + table + "\"").setTimeout(Duration.ofSeconds(60))).toCompletableFuture();
  }
}
