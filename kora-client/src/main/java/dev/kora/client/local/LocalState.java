package dev.kora.client.local;

import dev.kora.tree.Path;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * What a {@link LocalStore} holds, as {@link LocalStore#load()} reads it back.
 *
 * @param clientId the client's identity, chosen once per store, the prefix of its write ids
 * @param lastSequence the highest outbox sequence ever used (0 for none); new writes go on after it
 *     so no id is ever reused
 * @param paths the cached subscribed paths
 * @param outbox the queued writes, by sequence
 */
public record LocalState(String clientId, long lastSequence, List<CachedPath> paths,
    List<LocalStore.PendingWrite> outbox) {

  /**
   * The cached copy of one subscribed path.
   *
   * @param path the subscribed path
   * @param data the data at it, as a tree from the root, e.g. {@code {"todos":{"t1":{...}}}}
   * @param version the node's version it reflects
   */
  public record CachedPath(Path path, JsonObject data, long version) {
  }
}
