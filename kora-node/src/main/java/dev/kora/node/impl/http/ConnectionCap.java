package dev.kora.node.impl.http;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Counts the open connections of each client IP address against a cap, so that one client cannot
 * take every file descriptor of the node. Logs the first refusal of an address, and again only after
 * it has dropped a tenth below the cap (a client hovering at the cap is logged once). Confined to
 * the node's event loop, where its HTTP server accepts.
 */
final class ConnectionCap {

  private static final System.Logger LOG = System.getLogger(ConnectionCap.class.getName());

  private final int maxPerAddress;
  private final Map<String, Integer> open = new HashMap<>();
  private final Set<String> refusing = new HashSet<>();

  /** @param maxPerAddress the most open connections of one address */
  ConnectionCap(int maxPerAddress) {
    this.maxPerAddress = maxPerAddress;
  }

  /**
   * @param address a client's IP address
   * @return whether it may open one more connection; if so, the caller must {@link #release} it
   *     when the connection closes
   */
  boolean admit(String address) {
    int count = open.getOrDefault(address, 0);
    if (count >= maxPerAddress) {
      if (refusing.add(address)) {
        LOG.log(System.Logger.Level.WARNING, "refusing connections from " + address + ": it has "
            + count + " open, maxConnectionsPerAddress is " + maxPerAddress);
      }
      return false;
    }
    open.put(address, count + 1);
    return true;
  }

  /** @param address the address of an admitted connection that has closed */
  void release(String address) {
    Integer count = open.get(address);
    if (count == null) {
      return;
    }
    if (count <= 1) {
      open.remove(address);
    } else {
      open.put(address, count - 1);
    }
    if (count - 1 <= maxPerAddress - Math.max(1, maxPerAddress / 10)) {
      refusing.remove(address);
    }
  }

  /** @return the cap */
  int maxPerAddress() {
    return maxPerAddress;
  }
}
