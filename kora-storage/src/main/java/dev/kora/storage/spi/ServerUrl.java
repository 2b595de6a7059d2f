package dev.kora.storage.spi;

import dev.kora.storage.StoreOptions;
import dev.kora.storage.Stores;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A parsed URL of a store on a database server,
 * {@code SCHEME://[USER[:PASSWORD]@]HOST[:PORT]/DATABASE[?OPTION=VALUE&...]}, e.g.
 * {@code postgres://kora:secret@db.example.com:5432/app?table=todo&poolSize=8}. User, password and
 * option values are percent-decoded; an IPv6 host is written in brackets. Three options are common to
 * every server driver and override the {@link StoreOptions}: {@code table}, {@code poolSize} and
 * {@code timeoutMs} (the operation timeout); a driver may accept more.
 *
 * @param scheme the scheme, lower case, e.g. {@code postgres}
 * @param user the user, or null when the URL names none
 * @param password the password, or null; never put it in a message
 * @param host the host name or address (an IPv6 address without brackets)
 * @param port the port, the driver's default when the URL names none
 * @param database the database (or keyspace)
 * @param table the table: the URL's {@code table}, else {@link StoreOptions#getTable()}
 * @param poolSize the URL's {@code poolSize}, else {@link StoreOptions#getPoolSize()}
 * @param timeoutMs the URL's {@code timeoutMs}, else {@link StoreOptions#getOperationTimeoutMs()}
 * @param options the driver's own options from the query string, in order
 */
public record ServerUrl(String scheme, String user, String password, String host, int port,
    String database, String table, int poolSize, long timeoutMs, Map<String, String> options) {

  /** The options every server driver accepts. */
  public static final List<String> COMMON_OPTIONS = List.of("table", "poolSize", "timeoutMs");

  /**
   * @param url a store URL
   * @param schemes the schemes the driver accepts, lower case, e.g. {@code postgres, postgresql}
   * @return whether the URL starts with one of them followed by {@code ://}
   */
  public static boolean accepts(String url, Set<String> schemes) {
    int colon = url == null ? -1 : url.indexOf("://");
    return colon > 0 && schemes.contains(url.substring(0, colon).toLowerCase(java.util.Locale.ROOT));
  }

  /**
   * @param options the store options; their URL names the server
   * @param defaultPort the port when the URL names none
   * @param driverOptions the names of the options the driver accepts besides {@link #COMMON_OPTIONS}
   * @return the parsed URL
   * @throws KoraException {@code invalid_message} for a URL that cannot be used; its message never
   *     holds the password
   */
  public static ServerUrl parse(StoreOptions options, int defaultPort, Set<String> driverOptions) {
    String url = options.getUrl();
    int colon = url.indexOf("://");
    if (colon <= 0) {
      throw invalid(url, "write it as SCHEME://USER:PASSWORD@HOST:PORT/DATABASE?table=NAME");
    }
    String scheme = url.substring(0, colon).toLowerCase(java.util.Locale.ROOT);
    String rest = url.substring(colon + 3);
    String query = null;
    int mark = rest.indexOf('?');
    if (mark >= 0) {
      query = rest.substring(mark + 1);
      rest = rest.substring(0, mark);
    }
    int slash = rest.indexOf('/');
    if (slash < 0 || slash == rest.length() - 1) {
      throw invalid(url, "it names no database (.../DATABASE)");
    }
    String database = decode(url, rest.substring(slash + 1));
    if (database.contains("/")) {
      throw invalid(url, "the database name holds a '/'");
    }
    String authority = rest.substring(0, slash);
    String user = null;
    String password = null;
    int at = authority.lastIndexOf('@');
    if (at >= 0) {
      String credentials = authority.substring(0, at);
      authority = authority.substring(at + 1);
      int split = credentials.indexOf(':');
      user = decode(url, split < 0 ? credentials : credentials.substring(0, split));
      password = split < 0 ? null : decode(url, credentials.substring(split + 1));
      if (user.isEmpty()) {
        user = null;
      }
    }
    String host;
    String portText = null;
    if (authority.startsWith("[")) {
      int close = authority.indexOf(']');
      if (close < 0) {
        throw invalid(url, "an IPv6 host lacks its ']'");
      }
      host = authority.substring(1, close);
      if (close + 1 < authority.length()) {
        if (authority.charAt(close + 1) != ':') {
          throw invalid(url, "unexpected text after the IPv6 host");
        }
        portText = authority.substring(close + 2);
      }
    } else {
      int split = authority.lastIndexOf(':');
      host = split < 0 ? authority : authority.substring(0, split);
      portText = split < 0 ? null : authority.substring(split + 1);
    }
    if (host.isEmpty()) {
      throw invalid(url, "it names no host");
    }
    int port = defaultPort;
    if (portText != null) {
      try {
        port = Integer.parseInt(portText);
      } catch (NumberFormatException e) {
        port = -1;
      }
      if (port < 1 || port > 65_535) {
        throw invalid(url, "the port must be a number from 1 to 65535");
      }
    }
    String table = options.getTable();
    int poolSize = options.getPoolSize();
    long timeoutMs = options.getOperationTimeoutMs();
    Map<String, String> extra = new LinkedHashMap<>();
    if (query != null && !query.isEmpty()) {
      StoreOptions check = new StoreOptions();
      for (String pair : query.split("&")) {
        int eq = pair.indexOf('=');
        String name = eq < 0 ? pair : pair.substring(0, eq);
        String value = eq < 0 ? "" : decode(url, pair.substring(eq + 1));
        try {
          switch (name) {
            case "table" -> table = check.setTable(value).getTable();
            case "poolSize" -> poolSize = check.setPoolSize(Integer.parseInt(value)).getPoolSize();
            case "timeoutMs" -> timeoutMs = check.setOperationTimeoutMs(Long.parseLong(value))
                .getOperationTimeoutMs();
            default -> {
              if (!driverOptions.contains(name)) {
                throw invalid(url, "unknown option '" + name + "'; the options are "
                    + String.join(", ", COMMON_OPTIONS)
                    + (driverOptions.isEmpty() ? "" : ", " + String.join(", ", driverOptions)));
              }
              extra.put(name, value);
            }
          }
        } catch (IllegalArgumentException e) {
          throw invalid(url, "bad value for " + name + ": " + e.getMessage());
        }
      }
    }
    return new ServerUrl(scheme, user, password, host, port, database, table, poolSize, timeoutMs,
        Collections.unmodifiableMap(extra));
  }

  /**
   * @return the URL without the password, safe to log, with every option in force, e.g.
   *     {@code postgres://kora:***@db:5432/app?table=todo&poolSize=4&timeoutMs=10000}
   */
  public String describe() {
    StringBuilder out = new StringBuilder(scheme).append("://");
    if (user != null) {
      out.append(user);
      if (password != null) {
        out.append(":***");
      }
      out.append('@');
    }
    out.append(host.contains(":") ? "[" + host + "]" : host).append(':').append(port).append('/')
        .append(database).append("?table=").append(table).append("&poolSize=").append(poolSize)
        .append("&timeoutMs=").append(timeoutMs);
    options.forEach((name, value) -> out.append('&').append(name).append('=').append(value));
    return Stores.redact(out.toString());
  }

  @Override
  public String toString() {
    return describe();
  }

  private static String decode(String url, String text) {
    try {
      return URLDecoder.decode(text.replace("+", "%2B"), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw invalid(url, "bad percent-encoding");
    }
  }

  private static KoraException invalid(String url, String why) {
    return new KoraException(ErrorCode.INVALID_MESSAGE, "bad store URL '" + Stores.redact(url)
        + "': " + why);
  }
}
