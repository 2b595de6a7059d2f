package dev.kora.node.impl.http;

import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import io.netty.util.NetUtil;
import io.vertx.core.http.HttpServerRequest;
import java.net.InetAddress;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Decides, before any route or WebSocket handshake, whether an HTTP request may reach the node, from
 * its {@code Host} and {@code Origin} headers (the rules are those of {@code allowedHosts} and
 * {@code allowedOrigins} in the node's options and docs/protocol.md):
 *
 * <ul>
 *   <li>Host, against DNS rebinding: a loopback name ({@code localhost}, {@code 127.0.0.1},
 *       {@code [::1]}, with or without a port) is always allowed; another name only when it is listed,
 *       or when the list is empty and the node listens on an address that is not loopback. No
 *       {@code Host} header is allowed (browsers always send one).</li>
 *   <li>Origin, against pages of other sites: no {@code Origin} header (a client that is not a
 *       browser) is allowed, and so is the node's own origin (the {@code Origin}'s host and port are
 *       the {@code Host} header's) and a listed origin.</li>
 * </ul>
 *
 * <p>Both refusals are status 403 with the code {@code denied}, the status {@code denied} has
 * everywhere. A wrong host could also be 421 (Misdirected Request), but 421 invites the client to
 * retry on another connection, which ends the same way, and would give one error code two statuses.
 */
final class RequestGuard {

  private static final Set<String> LOOPBACK_NAMES = Set.of("localhost", "127.0.0.1", "[::1]");
  private static final String ANY = "*";

  private final Set<String> allowedOrigins;
  private final Set<String> allowedHosts;
  private final boolean anyHost;

  /**
   * @param listenHost the address the node listens on, e.g. {@code 127.0.0.1}
   * @param allowedOrigins origins allowed besides the node's own; {@code *} allows all
   * @param allowedHosts host names allowed besides the loopback names; {@code *} allows all
   */
  RequestGuard(String listenHost, List<String> allowedOrigins, List<String> allowedHosts) {
    this.allowedOrigins = lowerCase(allowedOrigins);
    this.allowedHosts = lowerCase(allowedHosts);
    this.anyHost = this.allowedHosts.contains(ANY)
        || (this.allowedHosts.isEmpty() && !isLoopback(listenHost));
  }

  private static Set<String> lowerCase(List<String> values) {
    return values.stream().map(value -> value.toLowerCase(Locale.ROOT)).collect(Collectors.toSet());
  }

  /** Whether the node's own address is loopback; a name other than {@code localhost} is not. */
  private static boolean isLoopback(String listenHost) {
    if (listenHost.equalsIgnoreCase("localhost")) {
      return true;
    }
    InetAddress address = NetUtil.createInetAddressFromIpAddressString(listenHost);
    return address != null && address.isLoopbackAddress();
  }

  /**
   * @param request a request, before it is routed or upgraded
   * @return null when it may proceed, else the {@code denied} error to answer it with
   */
  KoraException refusal(HttpServerRequest request) {
    String host = request.getHeader("Host");
    if (host != null && !anyHost) {
      String name = hostName(host);
      if (!LOOPBACK_NAMES.contains(name) && !allowedHosts.contains(name)) {
        return new KoraException(ErrorCode.DENIED, "the host '" + host + "' is not served here;"
            + " use localhost, 127.0.0.1 or [::1], or list the name in the option allowedHosts");
      }
    }
    String origin = request.getHeader("Origin");
    if (origin == null || allowedOrigins.contains(ANY)) {
      return null;
    }
    String lowerOrigin = origin.toLowerCase(Locale.ROOT);
    if (allowedOrigins.contains(lowerOrigin) || isSameOrigin(lowerOrigin, host)) {
      return null;
    }
    return new KoraException(ErrorCode.DENIED, "requests from the origin '" + origin + "' are not"
        + " allowed; list it in the option allowedOrigins");
  }

  /** @return the host of a {@code Host} header, lower-case, without the port */
  private static String hostName(String host) {
    String lower = host.trim().toLowerCase(Locale.ROOT);
    int end = lower.startsWith("[") ? lower.indexOf(']') + 1 : lower.lastIndexOf(':');
    return end <= 0 ? lower : lower.substring(0, end);
  }

  /**
   * Same origin: the page's host and port are those the request was sent to (http or https: a proxy
   * that ends TLS in front of the node keeps the {@code Host}).
   */
  private static boolean isSameOrigin(String lowerOrigin, String host) {
    if (host == null) {
      return false;
    }
    String authority = host.trim().toLowerCase(Locale.ROOT);
    return lowerOrigin.equals("http://" + authority) || lowerOrigin.equals("https://" + authority);
  }
}
