package dev.kora.node.impl.effects;

import dev.kora.node.spi.JobLeases;
import io.vertx.core.Future;

/** The {@link JobLeases} of a node alone on its store: it runs every job, so every lease is granted. */
public final class LocalJobLeases implements JobLeases {

  private static final Future<Boolean> GRANTED = Future.succeededFuture(true);

  @Override
  public Future<Boolean> acquire(String jobId) {
    return GRANTED;
  }

  @Override
  public Future<Void> release(String jobId) {
    return Future.succeededFuture(); // nothing is held
  }
}
