package dev.kora.node.impl.cluster;

import dev.kora.tree.Mutation;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * Commits the leader publishes to every member, in version order, after they are durable. Its wire
 * form (the event bus address {@link ClusterAddresses#COMMITS}) is
 * {@code {"previous": 41, "commits": [[42, {"merge": {...}}], [44, {"delete": [...]}]]}}:
 * {@code previous} is the version of the last commit before the first one here (so a receiver that
 * has not reached it knows it missed something); versions may have gaps where a mutation failed. A
 * batch without commits is the leader's heartbeat: every commit up to {@code previous} exists.
 *
 * @param previous the version committed just before the first commit of the batch
 * @param commits the commits, in version order; may be empty
 */
record CommitBatch(long previous, List<Commit> commits) {

  /**
   * @param version its version
   * @param mutation what was committed
   */
  record Commit(long version, Mutation mutation) {
  }

  /**
   * @return the wire form, encoded once (the leader publishes the same bytes to every member; the
   *     mutations' trees are encoded as they are, not copied)
   */
  Buffer toBuffer() {
    JsonArray array = new JsonArray(new ArrayList<>(commits.size()));
    for (Commit commit : commits) {
      array.add(new JsonArray().add(commit.version()).add(commit.mutation().wire()));
    }
    return new JsonObject().put("previous", previous).put("commits", array).toBuffer();
  }

  /**
   * @param bytes the wire form, as {@link #toBuffer()} made it
   * @return the batch
   * @throws RuntimeException when the message is not a batch (a member of another version)
   */
  static CommitBatch fromBuffer(Buffer bytes) {
    JsonObject json = new JsonObject(bytes);
    JsonArray array = json.getJsonArray("commits");
    List<Commit> commits = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      JsonArray commit = array.getJsonArray(i);
      commits.add(new Commit(commit.getLong(0), Mutation.fromJson(commit.getJsonObject(1))));
    }
    return new CommitBatch(json.getLong("previous"), commits);
  }
}
