package dev.kora.node.impl.write;

import dev.kora.node.spi.CommitFeed;
import dev.kora.tree.Mutation;
import java.util.ArrayList;
import java.util.List;

/**
 * The local {@link CommitFeed}: passes on what this node's {@link Sequencer} commits, to each listener
 * in the order they were added. Confined to the node's context.
 */
public final class LocalCommitFeed implements CommitFeed, CommitFeed.Listener {

  private final List<Listener> listeners = new ArrayList<>();

  @Override
  public void listen(Listener listener) {
    listeners.add(listener);
  }

  @Override
  public void committed(Mutation mutation, long version) {
    for (Listener listener : listeners) {
      listener.committed(mutation, version);
    }
  }
}
