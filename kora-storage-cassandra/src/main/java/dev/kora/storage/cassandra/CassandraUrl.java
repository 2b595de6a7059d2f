package dev.kora.storage.cassandra;

import com.datastax.oss.driver.api.core.ConsistencyLevel;
import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;
import dev.kora.storage.StoreOptions;
import dev.kora.storage.spi.ServerUrl;
import dev.kora.storage.spi.UrlOptions;
import dev.kora.tree.KoraException;
import dev.kora.tree.Path;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A parsed {@code cassandra://} URL, a {@link ServerUrl} with several hosts allowed:
 * {@code cassandra://[user:password@]host[:port][,host[:port]...]/keyspace[?option=value&...]}.
 * Besides the options of every server URL ({@code table}, {@code poolSize}, {@code timeoutMs}) it
 * takes {@code partitionDepth}, {@code localDatacenter}, {@code replication} and
 * {@code consistency}. The user and password are percent-decoded and the password never appears in
 * {@link #describe()}.
 *
 * @param server the parsed URL: contact points, credentials, keyspace (its database), table, pool
 *     size (driver I/O threads) and operation timeout
 * @param partitionDepth how many leading keys of a path form its partition key
 * @param localDatacenter the datacenter whose nodes the driver talks to
 * @param replication the replication factor of a keyspace created by the store
 * @param consistency the consistency level of every read and write
 */
record CassandraUrl(ServerUrl server, int partitionDepth, String localDatacenter, int replication,
    ConsistencyLevel consistency) {

  /** The schemes of Cassandra store URLs. */
  static final Set<String> SCHEMES = Set.of("cassandra");
  /** The options only Cassandra store URLs take. */
  static final List<String> OPTIONS = List.of("partitionDepth", "localDatacenter", "replication",
      "consistency");
  /** Port of a contact point that names none: Cassandra's native protocol port. */
  static final int DEFAULT_PORT = 9042;
  /** Default {@code partitionDepth}: partitions by the top-level key. */
  static final int DEFAULT_PARTITION_DEPTH = 1;
  /** Default {@code localDatacenter}: the name a single Cassandra node gets by default. */
  static final String DEFAULT_DATACENTER = "datacenter1";
  /** Default {@code replication} factor of a keyspace the store creates. */
  static final int DEFAULT_REPLICATION = 1;
  /** Default {@code consistency}: a majority of the local datacenter's replicas. */
  static final ConsistencyLevel DEFAULT_CONSISTENCY = DefaultConsistencyLevel.LOCAL_QUORUM;
  /** Longest table name: Cassandra's limit of 48 characters minus {@code _partitions}. */
  static final int MAX_TABLE_LENGTH = 48 - "_partitions".length();

  private static final String NAME_PATTERN = "[A-Za-z][A-Za-z0-9_]{0,47}";

  /**
   * @param options the store options; their URL must start with {@code cassandra://}
   * @return the parsed URL
   * @throws KoraException {@code invalid_message} for a URL this driver cannot use
   */
  static CassandraUrl parse(StoreOptions options) {
    String url = options.getUrl();
    if (!ServerUrl.accepts(url, SCHEMES)) {
      throw UrlOptions.invalid(url, "it does not start with cassandra://");
    }
    ServerUrl server = ServerUrl.parse(options, DEFAULT_PORT, OPTIONS, true);
    if (!server.database().matches(NAME_PATTERN)) {
      throw UrlOptions.invalid(url, "the keyspace must be letters, digits and _, starting with a"
          + " letter, at most 48 characters");
    }
    if (server.table().length() > MAX_TABLE_LENGTH) {
      throw UrlOptions.invalid(url, "the table name '" + server.table() + "' is longer than "
          + MAX_TABLE_LENGTH + " characters (Cassandra allows 48, and the store adds _partitions)");
    }
    Map<String, String> given = server.options();
    String localDatacenter = given.getOrDefault("localDatacenter", DEFAULT_DATACENTER);
    if (localDatacenter.isEmpty()) {
      throw UrlOptions.invalid(url, "localDatacenter is empty");
    }
    ConsistencyLevel consistency = DEFAULT_CONSISTENCY;
    String level = given.get("consistency");
    if (level != null) {
      try {
        consistency = DefaultConsistencyLevel.valueOf(level.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw UrlOptions.invalid(url, "consistency must be a Cassandra consistency level such as"
            + " LOCAL_QUORUM, QUORUM or ONE, got '" + level + "'");
      }
    }
    return new CassandraUrl(server,
        number(url, given, "partitionDepth", DEFAULT_PARTITION_DEPTH, 1, Path.MAX_DEPTH),
        localDatacenter, number(url, given, "replication", DEFAULT_REPLICATION, 1, 100),
        consistency);
  }

  private static int number(String url, Map<String, String> given, String name, int defaultValue,
      int min, int max) {
    String value = given.get(name);
    if (value == null) {
      return defaultValue;
    }
    try {
      int n = Integer.parseInt(value);
      if (n >= min && n <= max) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw UrlOptions.invalid(url, name + " must be a whole number from " + min + " to " + max
        + ", got '" + value + "'");
  }

  /** @return the hosts to connect to first */
  List<InetSocketAddress> contactPoints() {
    return server.hosts().stream()
        .map(host -> InetSocketAddress.createUnresolved(host.name(), host.port())).toList();
  }

  /** @return the user for password authentication, or null for none */
  String user() {
    return server.user();
  }

  /** @return the password, or null when the URL names none; never put it in a message */
  String password() {
    return server.password();
  }

  /** @return the keyspace, created on first use */
  String keyspace() {
    return server.database();
  }

  /** @return the data table; the list of partitions is {@code <table>_partitions} */
  String table() {
    return server.table();
  }

  /** @return the number of driver I/O threads */
  int poolSize() {
    return server.poolSize();
  }

  /** @return the timeout of each request to Cassandra, and of connecting */
  long timeoutMs() {
    return server.timeoutMs();
  }

  /**
   * @return e.g. {@code cassandra://127.0.0.1:9042/kora?table=kora&partitionDepth=1}; the user is
   *     shown, the password never
   */
  String describe() {
    StringBuilder out = new StringBuilder("cassandra://");
    if (user() != null) {
      out.append(user()).append(":***@");
    }
    List<InetSocketAddress> points = contactPoints();
    for (int i = 0; i < points.size(); i++) {
      InetSocketAddress point = points.get(i);
      out.append(i == 0 ? "" : ",").append(point.getHostString()).append(':')
          .append(point.getPort());
    }
    return out.append('/').append(keyspace()).append("?table=").append(table())
        .append("&partitionDepth=").append(partitionDepth).append("&localDatacenter=")
        .append(localDatacenter).append("&consistency=").append(consistency.name()).toString();
  }

  @Override
  public String toString() {
    return describe();
  }
}
