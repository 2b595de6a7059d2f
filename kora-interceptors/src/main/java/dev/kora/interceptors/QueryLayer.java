package dev.kora.interceptors;

import dev.kora.tree.Path;
import dev.kora.tree.QueryOptions;
import java.util.Map;

/**
 * One queried (or subscribed) path, as an interceptor sees it.
 *
 * @param path the queried path, e.g. {@code user:todos/dax}
 * @param captures keys bound by the interceptor's pattern
 * @param options the query's options at this path ({@code subscribe} tells a subscription)
 */
public record QueryLayer(Path path, Map<String, String> captures, QueryOptions options) {

  /**
   * @param name a capture of the pattern
   * @return the key it bound, or null
   */
  public String capture(String name) {
    return captures.get(name);
  }
}
