package dev.kora.node.core;

import dev.kora.tree.Mutation;
import java.util.Objects;

/**
 * The part of one committed mutation that a subscriber receives: the mutation restricted to the
 * subscriber's subscribed paths (paths from the root, e.g. {@code {"merge": {"todos": {"t1": {"done":
 * true}}}}} for a subscriber of {@code todos}), with the commit's version. The fan-out makes one object
 * per distinct part of a commit and hands that same object to every subscriber that receives it, so
 * transports may cache an encoding of it by identity for the duration of the delivery.
 *
 * @param mutation the part, not empty
 * @param version the version of the commit it comes from
 */
public record CommittedPart(Mutation mutation, long version) {

  public CommittedPart {
    Objects.requireNonNull(mutation, "mutation");
  }
}
