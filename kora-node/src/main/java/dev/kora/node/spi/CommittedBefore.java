package dev.kora.node.spi;

/**
 * The failure of {@link WriteCoordinator#submit(dev.kora.tree.Mutation, String, boolean)} for a
 * mutation whose id was committed before: it was not committed again, and the caller answers the
 * client with the first commit's version (and runs none of the mutation's after-effects).
 */
public final class CommittedBefore extends RuntimeException {

  private static final long serialVersionUID = 1L;
  private final long version;

  /**
   * @param id the mutation's id
   * @param version the version it was committed with
   */
  public CommittedBefore(String id, long version) {
    super("the mutation " + id + " was committed before, at version " + version, null, false,
        false);
    this.version = version;
  }

  /** @return the version the mutation was first committed with */
  public long version() {
    return version;
  }
}
