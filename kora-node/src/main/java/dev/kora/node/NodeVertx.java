package dev.kora.node;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;

/**
 * The Vert.x instance a stand-alone node runs in ({@code kora serve}, the load tool's node): Vert.x's
 * defaults with Netty's native epoll transport preferred. On Linux (x86-64 and AArch64; the native
 * libraries ship in kora-node's dependencies) sockets are then written from native memory
 * addresses: no {@code java.nio.ByteBuffer} views are allocated per write, as the JDK's NIO transport
 * needs — for a node fanning a commit out to 1,000 subscribers that was a third of its allocations
 * ({@code kora bench fanout}, docs/benchmarks.md). Elsewhere, or when the native library cannot be
 * loaded, Vert.x falls back to NIO by itself; {@link Vertx#isNativeTransportEnabled()} tells which
 * one runs. An application embedding a node chooses its own Vert.x options.
 */
public final class NodeVertx {

  private NodeVertx() {
  }

  /** @return a new Vert.x instance with the native transport preferred */
  public static Vertx create() {
    return Vertx.vertx(options());
  }

  /** @return Vert.x's default options with {@link VertxOptions#setPreferNativeTransport} on */
  public static VertxOptions options() {
    return new VertxOptions().setPreferNativeTransport(true);
  }
}
