package dev.kora.client.connection;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Checks and parses lists of node URLs (a cluster's nodes, any of which a client may use): the one
 * place that says what such a list may hold, for {@link dev.kora.client.KoraClientOptions#setUrls}
 * and the CLI's {@code --url}. Stateless; any thread.
 */
public final class NodeUrls {

  private NodeUrls() {
  }

  /**
   * Checks a list of node URLs.
   *
   * @param urls e.g. {@code ["ws://10.0.0.1:12000/socket", "ws://10.0.0.2:12000/socket"]}
   * @return an unmodifiable copy, in the same order
   * @throws IllegalArgumentException for a null or empty list, a null element, a URL that
   *     {@link KoraConnection#target} refuses (not {@code ws://} or {@code wss://}, no host, a port
   *     out of range, not a URL at all), the same URL twice, or {@code ws://} mixed with
   *     {@code wss://} (failing over from one to the other would silently drop or add TLS); the
   *     message names the URL and its place in the list
   */
  public static List<String> check(List<String> urls) {
    if (urls == null || urls.isEmpty()) {
      throw new IllegalArgumentException("at least one node URL is needed, e.g."
          + " ws://127.0.0.1:12000/socket");
    }
    Set<String> seen = new HashSet<>();
    Boolean secure = null;
    for (int index = 0; index < urls.size(); index++) {
      String url = urls.get(index);
      String place = urls.size() == 1 ? "" : "node URL " + (index + 1) + " of " + urls.size()
          + ": ";
      if (url == null) {
        throw new IllegalArgumentException(place + "null instead of a URL");
      }
      boolean thisSecure;
      try {
        thisSecure = KoraConnection.target(url).isSsl();
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(place + e.getMessage(), e);
      }
      if (!seen.add(url)) {
        throw new IllegalArgumentException(place + "'" + url + "' is listed twice");
      }
      if (secure != null && secure != thisSecure) {
        throw new IllegalArgumentException(place + "'" + url + "' mixes ws:// and wss:// with"
            + " the URLs before it; give every node with the same scheme");
      }
      secure = thisSecure;
    }
    return List.copyOf(urls);
  }

  /**
   * Parses a comma-separated list, as the CLI's {@code --url} takes it; spaces around each URL are
   * ignored.
   *
   * @param commaSeparated e.g. {@code ws://127.0.0.1:7001/socket,ws://127.0.0.1:7002/socket}
   * @return the URLs, checked as {@link #check} does, in the order given
   * @throws IllegalArgumentException for a null or blank text, an empty entry (two commas in a row,
   *     or one at an end), or a list {@link #check} refuses
   */
  public static List<String> parse(String commaSeparated) {
    if (commaSeparated == null || commaSeparated.isBlank()) {
      throw new IllegalArgumentException("no node URL given, e.g. ws://127.0.0.1:12000/socket");
    }
    List<String> urls = new ArrayList<>();
    for (String part : commaSeparated.split(",", -1)) {
      String url = part.strip();
      if (url.isEmpty()) {
        throw new IllegalArgumentException("an empty entry in the URL list '" + commaSeparated
            + "' (two commas in a row, or one at an end)");
      }
      urls.add(url);
    }
    return check(urls);
  }
}
