package dev.kora.client;

import dev.kora.tree.Mutation;
import dev.kora.tree.Path;

/**
 * One change of a {@link Subscription}'s value, as its listener gets it. Applying {@link #change()}
 * to the previous value (as a tree from the root) gives the new {@link Subscription#value()}.
 *
 * @param path the subscribed path, e.g. {@code [todos]}
 * @param change what changed, as paths from the root, restricted to {@code path}, e.g.
 *     {@code {"merge":{"todos":{"t1":{"done":true}}},"delete":{}}}; empty when only the state of a
 *     write changed ({@link Cause#WRITE_CONFIRMED})
 * @param cause why
 * @param version the node's version the confirmed part of the value reflects, -1 before the first
 *     answer
 * @param pending whether the value still shows writes of this client the node has not confirmed
 * @param errorCode for {@link Cause#WRITE_REFUSED}: the node's code, e.g. {@code denied}; else null
 */
public record SubscriptionChange(Path path, Mutation change, Cause cause, long version,
    boolean pending, String errorCode) {

  /** Why a subscription's value changed. */
  public enum Cause {
    /** The node answered the subscription (first, or on resume with what was missed). */
    ANSWER,
    /** The node answered a resume with the whole subtree (its change log no longer reached back). */
    RESET,
    /** The node pushed a committed change. */
    PUSH,
    /** This client wrote; the value shows the write at once, still pending. */
    LOCAL_WRITE,
    /** The node confirmed a write of this client. */
    WRITE_CONFIRMED,
    /** The node refused a write of this client: the value no longer shows it. */
    WRITE_REFUSED
  }
}
