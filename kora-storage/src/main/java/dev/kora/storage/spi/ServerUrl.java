package dev.kora.storage.spi;

import dev.kora.storage.StoreOptions;
import dev.kora.storage.Stores;
import dev.kora.tree.KoraException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A parsed URL of a store on a database server,
 * {@code SCHEME://[USER[:PASSWORD]@]HOST[:PORT]/DATABASE[?OPTION=VALUE&...]}, e.g.
 * {@code postgres://kora:secret@db.example.com:5432/app?table=todo&poolSize=8}; a driver that talks
 * to a cluster may accept several hosts, {@code HOST[:PORT],HOST[:PORT],...}. User, password and
 * option values are percent-decoded ({@link UrlOptions}); an IPv6 host is written in brackets. Three
 * options are common to every server driver and override the {@link StoreOptions}: {@code table},
 * {@code poolSize} and {@code timeoutMs} (the operation timeout); a driver may accept more.
 *
 * @param scheme the scheme, lower case, e.g. {@code postgres}
 * @param user the user, or null when the URL names none
 * @param password the password, or null; never put it in a message
 * @param hosts the hosts, at least one, in the URL's order; exactly one unless the driver accepts a
 *     list
 * @param database the database (or keyspace)
 * @param table the table: the URL's {@code table}, else {@link StoreOptions#getTable()}
 * @param poolSize the URL's {@code poolSize}, else {@link StoreOptions#getPoolSize()}
 * @param timeoutMs the URL's {@code timeoutMs}, else {@link StoreOptions#getOperationTimeoutMs()}
 * @param options the driver's own options from the query string, in order
 */
public record ServerUrl(String scheme, String user, String password, List<Host> hosts,
    String database, String table, int poolSize, long timeoutMs, Map<String, String> options) {

  /** The options every server driver accepts. */
  public static final List<String> COMMON_OPTIONS = List.of("table", "poolSize", "timeoutMs");

  /**
   * A host of the URL.
   *
   * @param name the host name or address (an IPv6 address without brackets)
   * @param port the port, the driver's default when the URL names none
   */
  public record Host(String name, int port) {

    /** @return {@code name:port}, an IPv6 address in brackets */
    @Override
    public String toString() {
      return (name.contains(":") ? "[" + name + "]" : name) + ":" + port;
    }
  }

  /**
   * @param url a store URL
   * @param schemes the schemes the driver accepts, lower case, e.g. {@code postgres, postgresql}
   * @return whether the URL starts with one of them followed by {@code ://}
   */
  public static boolean accepts(String url, Set<String> schemes) {
    int colon = url == null ? -1 : url.indexOf("://");
    return colon > 0 && schemes.contains(url.substring(0, colon).toLowerCase(Locale.ROOT));
  }

  /**
   * Parses the URL of a driver that connects to one host.
   *
   * @param options the store options; their URL names the server
   * @param defaultPort the port when the URL names none
   * @param driverOptions the names of the options the driver accepts besides {@link #COMMON_OPTIONS}
   * @return the parsed URL
   * @throws KoraException {@code invalid_message} for a URL that cannot be used; its message never
   *     holds the password
   */
  public static ServerUrl parse(StoreOptions options, int defaultPort,
      Collection<String> driverOptions) {
    return parse(options, defaultPort, driverOptions, false);
  }

  /**
   * @param options the store options; their URL names the server
   * @param defaultPort the port of a host that names none
   * @param driverOptions the names of the options the driver accepts besides {@link #COMMON_OPTIONS}
   * @param hostList whether the URL may name several hosts, separated by commas (e.g. the contact
   *     points of a cluster); when false, a list is refused
   * @return the parsed URL
   * @throws KoraException {@code invalid_message} for a URL that cannot be used; its message never
   *     holds the password
   */
  public static ServerUrl parse(StoreOptions options, int defaultPort,
      Collection<String> driverOptions, boolean hostList) {
    String url = options.getUrl();
    int colon = url.indexOf("://");
    if (colon <= 0) {
      throw UrlOptions.invalid(url,
          "write it as SCHEME://USER:PASSWORD@HOST:PORT/DATABASE?table=NAME");
    }
    String scheme = url.substring(0, colon).toLowerCase(Locale.ROOT);
    String rest = UrlOptions.withoutOptions(url).substring(colon + 3);
    int slash = rest.indexOf('/');
    if (slash < 0 || slash == rest.length() - 1) {
      throw UrlOptions.invalid(url, "it names no database (.../DATABASE)");
    }
    String database = UrlOptions.decode(url, rest.substring(slash + 1));
    if (database.contains("/")) {
      throw UrlOptions.invalid(url, "the database name holds a '/'");
    }
    String authority = rest.substring(0, slash);
    String user = null;
    String password = null;
    int at = authority.lastIndexOf('@');
    if (at >= 0) {
      String credentials = authority.substring(0, at);
      authority = authority.substring(at + 1);
      int split = credentials.indexOf(':');
      user = UrlOptions.decode(url, split < 0 ? credentials : credentials.substring(0, split));
      password = split < 0 ? null : UrlOptions.decode(url, credentials.substring(split + 1));
      if (user.isEmpty()) {
        user = null;
      }
    }
    String[] hostTexts = authority.split(",", -1);
    if (hostTexts.length > 1 && !hostList) {
      throw UrlOptions.invalid(url, "it names several hosts; this driver connects to one");
    }
    List<Host> hosts = new ArrayList<>();
    for (String hostText : hostTexts) {
      hosts.add(host(url, hostText, defaultPort));
    }
    List<String> names = new ArrayList<>(COMMON_OPTIONS);
    names.addAll(driverOptions);
    String table = options.getTable();
    int poolSize = options.getPoolSize();
    long timeoutMs = options.getOperationTimeoutMs();
    Map<String, String> extra = new LinkedHashMap<>();
    StoreOptions check = new StoreOptions();
    for (Map.Entry<String, String> option : UrlOptions.parse(url, names).entrySet()) {
      String name = option.getKey();
      String value = option.getValue();
      try {
        switch (name) {
          case "table" -> table = UrlOptions.table(url, value);
          case "poolSize" -> poolSize = check.setPoolSize(Integer.parseInt(value)).getPoolSize();
          case "timeoutMs" -> timeoutMs = check.setOperationTimeoutMs(Long.parseLong(value))
              .getOperationTimeoutMs();
          default -> extra.put(name, value);
        }
      } catch (IllegalArgumentException e) {
        throw UrlOptions.badValue(url, name, e);
      }
    }
    return new ServerUrl(scheme, user, password, List.copyOf(hosts), database, table, poolSize,
        timeoutMs, Collections.unmodifiableMap(extra));
  }

  private static Host host(String url, String text, int defaultPort) {
    String host;
    String portText = null;
    if (text.startsWith("[")) {
      int close = text.indexOf(']');
      if (close < 0) {
        throw UrlOptions.invalid(url, "an IPv6 host lacks its ']'");
      }
      host = text.substring(1, close);
      if (close + 1 < text.length()) {
        if (text.charAt(close + 1) != ':') {
          throw UrlOptions.invalid(url, "unexpected text after the IPv6 host");
        }
        portText = text.substring(close + 2);
      }
    } else {
      int split = text.lastIndexOf(':');
      host = split < 0 ? text : text.substring(0, split);
      portText = split < 0 ? null : text.substring(split + 1);
    }
    if (host.isEmpty()) {
      throw UrlOptions.invalid(url, "it names no host");
    }
    int port = defaultPort;
    if (portText != null) {
      try {
        port = Integer.parseInt(portText);
      } catch (NumberFormatException e) {
        port = -1;
      }
      if (port < 1 || port > 65_535) {
        throw UrlOptions.invalid(url, "the port must be a number from 1 to 65535");
      }
    }
    return new Host(host, port);
  }

  /** @return the (first) host's name */
  public String host() {
    return hosts.get(0).name();
  }

  /** @return the (first) host's port */
  public int port() {
    return hosts.get(0).port();
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
    out.append(hosts.stream().map(Host::toString).collect(Collectors.joining(","))).append('/')
        .append(database).append("?table=").append(table).append("&poolSize=").append(poolSize)
        .append("&timeoutMs=").append(timeoutMs);
    options.forEach((name, value) -> out.append('&').append(name).append('=').append(value));
    return Stores.redact(out.toString());
  }

  @Override
  public String toString() {
    return describe();
  }
}
