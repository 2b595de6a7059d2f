package dev.kora.cli;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;

/**
 * The Vert.x instance a stand-alone node runs in ({@code kora serve}, the load tool's node): Vert.x's
 * defaults with Netty's native epoll transport preferred. On Linux (x86-64 and AArch64; the native
 * libraries ship in kora-cli's dependencies) sockets are then written from native memory
 * addresses: no {@code java.nio.ByteBuffer} views are allocated per write, as the JDK's NIO transport
 * needs, which for a node fanning a commit out to many subscribers were a large share of its
 * allocations ({@code kora bench fanout}; figures in docs/benchmarks.md). Elsewhere, or when the native library cannot be
 * loaded, Vert.x falls back to NIO by itself; {@link Vertx#isNativeTransportEnabled()} tells which
 * one runs.
 *
 * <p>It also turns off Netty's object pools ({@code io.netty.util.Recycler}) for the JVM, unless the
 * system property {@value #RECYCLER_PROPERTY} was given: each socket write takes an outbound-buffer
 * entry and a buffer duplicate from them, and on the benchmark machine the pools' thread-safe
 * queues and atomic claims cost more than allocating the two small objects (measured in alternating
 * pairs of fan-out runs; docs/benchmarks.md, "Fanout, round 4"). This only takes effect when Netty has not been used in the JVM before. An
 * application embedding a node chooses its own Vert.x options and Netty settings.
 */
public final class NodeVertx {

  /**
   * Netty's per-thread pool size of its object pools; 0 turns them off. Netty reads it once, when
   * its {@code Recycler} class is loaded.
   */
  public static final String RECYCLER_PROPERTY = "io.netty.recycler.maxCapacityPerThread";

  private NodeVertx() {
  }

  /** @return a new Vert.x instance with the native transport preferred */
  public static Vertx create() {
    return Vertx.vertx(options());
  }

  /**
   * Turns Netty's object pools off unless {@value #RECYCLER_PROPERTY} is set, and returns the options.
   *
   * @return Vert.x's default options with {@link VertxOptions#setPreferNativeTransport} on
   */
  public static VertxOptions options() {
    if (System.getProperty(RECYCLER_PROPERTY) == null) {
      System.setProperty(RECYCLER_PROPERTY, "0");
    }
    return new VertxOptions().setPreferNativeTransport(true);
  }
}
