package dev.kora.node.core;

import java.util.ArrayList;
import java.util.List;

/**
 * Lets the caller of a read stop it: a {@link Connection} cancels its reads when it closes, so that a
 * client that has gone no longer holds the store's cursors (and the read connections behind them).
 * The read path registers what stops its work with {@link #onCancel}. Confined to the node's context.
 */
public final class Cancellation {

  private List<Runnable> actions = new ArrayList<>(2);
  private boolean cancelled;

  /** @return whether {@link #cancel()} was called */
  public boolean isCancelled() {
    return cancelled;
  }

  /**
   * @param action what stops a part of the read (e.g. closes a cursor); run at once when already
   *     cancelled
   */
  public void onCancel(Runnable action) {
    if (cancelled) {
      action.run();
    } else {
      actions.add(action);
    }
  }

  /** Runs the registered actions once, in order; later calls do nothing. */
  public void cancel() {
    if (cancelled) {
      return;
    }
    cancelled = true;
    List<Runnable> run = actions;
    actions = List.of();
    run.forEach(Runnable::run);
  }
}
