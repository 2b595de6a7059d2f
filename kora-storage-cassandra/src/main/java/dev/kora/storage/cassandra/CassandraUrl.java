package dev.kora.storage.cassandra;

import com.datastax.oss.driver.api.core.ConsistencyLevel;
import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;
import dev.kora.storage.StoreOptions;
import dev.kora.storage.Stores;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A parsed {@code cassandra://} URL:
 * {@code cassandra://[user:password@]host[:port][,host[:port]...]/keyspace[?option=value&...]}.
 * The user and password are percent-decoded and never appear in {@link #describe()}.
 *
 * @param url the URL as given (only ever shown through {@link Stores#redact})
 * @param contactPoints the hosts to connect to first; port 9042 when not given
 * @param user the user for password authentication, or null for none
 * @param password the password, or null
 * @param keyspace the keyspace, created on first use
 * @param table the data table; the list of partitions is {@code <table>_partitions}
 * @param partitionDepth how many leading keys of a path form its partition key
 * @param localDatacenter the datacenter whose nodes the driver talks to
 * @param replication the replication factor of a keyspace created by the store
 * @param consistency the consistency level of every read and write
 */
record CassandraUrl(String url, List<InetSocketAddress> contactPoints, String user, String password,
    String keyspace, String table, int partitionDepth, String localDatacenter, int replication,
    ConsistencyLevel consistency) {

  /** The scheme every Cassandra store URL starts with. */
  static final String SCHEME = "cassandra://";
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

  /** @return whether the URL names the Cassandra driver */
  static boolean accepts(String url) {
    return url != null && url.startsWith(SCHEME);
  }

  /**
   * @param options the store options; their URL must start with {@code cassandra://}
   * @return the parsed URL
   * @throws KoraException {@code invalid_message} for a URL this driver cannot use
   */
  static CassandraUrl parse(StoreOptions options) {
    String url = options.getUrl();
    if (!accepts(url)) {
      throw invalid(url, "it does not start with " + SCHEME);
    }
    String rest = url.substring(SCHEME.length());
    String query = null;
    int mark = rest.indexOf('?');
    if (mark >= 0) {
      query = rest.substring(mark + 1);
      rest = rest.substring(0, mark);
    }
    int slash = rest.indexOf('/');
    if (slash < 0) {
      throw invalid(url, "it names no keyspace (cassandra://host:9042/keyspace)");
    }
    String authority = rest.substring(0, slash);
    String keyspace = decode(url, rest.substring(slash + 1));
    if (!keyspace.matches(NAME_PATTERN)) {
      throw invalid(url, "the keyspace must be letters, digits and _, starting with a letter,"
          + " at most 48 characters");
    }
    String user = null;
    String password = null;
    int at = authority.lastIndexOf('@');
    if (at >= 0) {
      String userInfo = authority.substring(0, at);
      authority = authority.substring(at + 1);
      int colon = userInfo.indexOf(':');
      user = decode(url, colon < 0 ? userInfo : userInfo.substring(0, colon));
      password = colon < 0 ? "" : decode(url, userInfo.substring(colon + 1));
    }
    List<InetSocketAddress> contactPoints = new ArrayList<>();
    for (String hostPort : authority.split(",")) {
      contactPoints.add(contactPoint(url, hostPort));
    }
    String table = options.getTable();
    int partitionDepth = DEFAULT_PARTITION_DEPTH;
    String localDatacenter = DEFAULT_DATACENTER;
    int replication = DEFAULT_REPLICATION;
    ConsistencyLevel consistency = DEFAULT_CONSISTENCY;
    if (query != null && !query.isEmpty()) {
      for (String pair : query.split("&")) {
        int eq = pair.indexOf('=');
        String name = eq < 0 ? pair : pair.substring(0, eq);
        String value = eq < 0 ? "" : decode(url, pair.substring(eq + 1));
        switch (name) {
          case "table" -> {
            try {
              table = new StoreOptions().setTable(value).getTable();
            } catch (IllegalArgumentException e) {
              throw invalid(url, e.getMessage());
            }
          }
          case "partitionDepth" -> partitionDepth = number(url, name, value, 1,
              dev.kora.tree.Path.MAX_DEPTH);
          case "localDatacenter" -> {
            if (value.isEmpty()) {
              throw invalid(url, "localDatacenter is empty");
            }
            localDatacenter = value;
          }
          case "replication" -> replication = number(url, name, value, 1, 100);
          case "consistency" -> {
            try {
              consistency = DefaultConsistencyLevel.valueOf(value.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
              throw invalid(url, "consistency must be a Cassandra consistency level such as"
                  + " LOCAL_QUORUM, QUORUM or ONE, got '" + value + "'");
            }
          }
          default -> throw invalid(url, "unknown option '" + name + "'; the options are table,"
              + " partitionDepth, localDatacenter, replication and consistency");
        }
      }
    }
    if (table.length() > MAX_TABLE_LENGTH) {
      throw invalid(url, "the table name '" + table + "' is longer than " + MAX_TABLE_LENGTH
          + " characters (Cassandra allows 48, and the store adds _partitions)");
    }
    return new CassandraUrl(url, List.copyOf(contactPoints), user, password, keyspace, table,
        partitionDepth, localDatacenter, replication, consistency);
  }

  private static InetSocketAddress contactPoint(String url, String hostPort) {
    String host = hostPort;
    int port = DEFAULT_PORT;
    if (hostPort.startsWith("[")) {
      int close = hostPort.indexOf(']');
      if (close < 0) {
        throw invalid(url, "unclosed [ in host '" + hostPort + "'");
      }
      host = hostPort.substring(1, close);
      String after = hostPort.substring(close + 1);
      if (after.startsWith(":")) {
        port = number(url, "port", after.substring(1), 1, 65_535);
      } else if (!after.isEmpty()) {
        throw invalid(url, "bad host '" + hostPort + "'");
      }
    } else {
      int colon = hostPort.lastIndexOf(':');
      if (colon >= 0) {
        host = hostPort.substring(0, colon);
        port = number(url, "port", hostPort.substring(colon + 1), 1, 65_535);
      }
    }
    if (host.isEmpty()) {
      throw invalid(url, "it names no host");
    }
    return InetSocketAddress.createUnresolved(host, port);
  }

  private static int number(String url, String name, String value, int min, int max) {
    try {
      int n = Integer.parseInt(value);
      if (n >= min && n <= max) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw invalid(url, name + " must be a whole number from " + min + " to " + max + ", got '"
        + value + "'");
  }

  private static String decode(String url, String text) {
    try {
      return URLDecoder.decode(text.replace("+", "%2B"), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw invalid(url, "malformed percent escape");
    }
  }

  /**
   * @return e.g. {@code cassandra://127.0.0.1:9042/kora?table=kora&partitionDepth=1}; the user is
   *     shown, the password never
   */
  String describe() {
    StringBuilder out = new StringBuilder(SCHEME);
    if (user != null) {
      out.append(user).append(":***@");
    }
    for (int i = 0; i < contactPoints.size(); i++) {
      InetSocketAddress point = contactPoints.get(i);
      out.append(i == 0 ? "" : ",").append(point.getHostString()).append(':')
          .append(point.getPort());
    }
    return out.append('/').append(keyspace).append("?table=").append(table)
        .append("&partitionDepth=").append(partitionDepth).append("&localDatacenter=")
        .append(localDatacenter).append("&consistency=").append(consistency.name()).toString();
  }

  @Override
  public String toString() {
    return describe();
  }

  private static KoraException invalid(String url, String why) {
    return new KoraException(ErrorCode.INVALID_MESSAGE, "bad Cassandra store URL '"
        + Stores.redact(url) + "': " + why);
  }
}
