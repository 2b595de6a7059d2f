package dev.kora.node.core;

import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import java.util.HashMap;
import java.util.Map;

/**
 * Rates a node allows its clients: mutations per second and bytes per second received, for each
 * connection and for all connections of one client address together, with token buckets. A bucket
 * refills at its rate and holds at most one second's worth; a request passes while the bucket is
 * not empty and takes what it costs, so a message larger than a second's worth passes once and
 * then waits out its debt. A refused request is answered {@code rate_limited} (HTTP 429) and nothing
 * of it runs; a connection refused {@link Limits#closeAfterRefusals} times in a row is flooding, and
 * its transport closes it. Confined to the node's context.
 */
public final class RateLimits {

  /**
   * @param mutationsPerSecond most mutation calls per second of one connection; 0 for no limit
   * @param bytesPerSecond most bytes of messages per second from one connection (a WebSocket
   *     message's characters, a REST body's bytes); 0 for no limit
   * @param addressMutationsPerSecond most mutation calls per second of all connections of one
   *     client IP address; 0 for no limit
   * @param addressBytesPerSecond most bytes per second from one client IP address; 0 for no limit
   * @param closeAfterRefusals refusals in a row after which a connection counts as flooding
   */
  public record Limits(double mutationsPerSecond, double bytesPerSecond,
      double addressMutationsPerSecond, double addressBytesPerSecond, int closeAfterRefusals) {

    /** No rate limits. */
    public static final Limits NONE = new Limits(0, 0, 0, 0, Integer.MAX_VALUE);

    /** @return whether any rate is limited */
    boolean any() {
      return mutationsPerSecond > 0 || bytesPerSecond > 0 || addressMutationsPerSecond > 0
          || addressBytesPerSecond > 0;
    }
  }

  /** Meters made between two sweeps of the idle addresses. */
  private static final int SWEEP_EVERY = 1_024;

  private final Limits limits;
  private final Map<String, Shared> addresses = new HashMap<>();
  private int untilSweep = SWEEP_EVERY;

  /** @param limits the rates */
  public RateLimits(Limits limits) {
    this.limits = limits;
  }

  /**
   * @param address the client's IP address, e.g. {@code 127.0.0.1}
   * @return the meter of a new connection from it; {@link Meter#close()} it when the connection ends
   */
  public Meter meter(String address) {
    if (!limits.any()) {
      return Meter.UNLIMITED;
    }
    Shared shared = null;
    if (--untilSweep == 0) {
      untilSweep = SWEEP_EVERY;
      long now = System.nanoTime();
      addresses.values().removeIf(idle -> idle.connections == 0 && idle.rested(now));
    }
    if (limits.addressMutationsPerSecond() > 0 || limits.addressBytesPerSecond() > 0) {
      shared = addresses.computeIfAbsent(address, key -> new Shared(
          Bucket.of(limits.addressMutationsPerSecond()), Bucket.of(limits.addressBytesPerSecond())));
      shared.connections++;
    }
    return new Meter(this, address, shared);
  }

  /** @return how many addresses have buckets now (for tests: they go with their connections) */
  int addressesTracked() {
    return addresses.size();
  }

  /**
   * A connection of the address ended. Its buckets stay while they are refilling, so that an
   * address whose connections come and go (REST requests, reconnects) is still held to its rates;
   * rested ones are dropped here or by the next sweep.
   */
  private void release(String address, Shared shared) {
    if (shared != null && --shared.connections == 0 && shared.rested(System.nanoTime())) {
      addresses.remove(address);
    }
  }

  /** The buckets of one address, shared by its connections. */
  private static final class Shared {
    final Bucket mutations;
    final Bucket bytes;
    int connections;

    Shared(Bucket mutations, Bucket bytes) {
      this.mutations = mutations;
      this.bytes = bytes;
    }

    /** @return whether both buckets are full again: forgetting them loses nothing */
    boolean rested(long nowNanos) {
      return Bucket.full(mutations, nowNanos) && Bucket.full(bytes, nowNanos);
    }
  }

  /** What one connection has used of its rates and of its address's. */
  public static final class Meter {

    /** The meter of a node without rate limits: admits everything. */
    public static final Meter UNLIMITED = new Meter(null, null, null);

    private final RateLimits owner;
    private final String address;
    private final Shared shared;
    private final Bucket mutations;
    private final Bucket bytes;
    private int refusedInARow;
    private boolean closed;

    private Meter(RateLimits owner, String address, Shared shared) {
      this.owner = owner;
      this.address = address;
      this.shared = shared;
      this.mutations = owner == null ? null : Bucket.of(owner.limits.mutationsPerSecond());
      this.bytes = owner == null ? null : Bucket.of(owner.limits.bytesPerSecond());
    }

    /**
     * Admits a request, or refuses it.
     *
     * @param mutation whether it is a mutation
     * @param size its size in bytes (0 when already counted, e.g. a REST request without body)
     * @return null when admitted, else the {@code rate_limited} refusal
     */
    public KoraException admit(boolean mutation, long size) {
      if (owner == null) {
        return null;
      }
      long now = System.nanoTime();
      String over = null;
      if (size > 0 && (!Bucket.take(bytes, size, now)
          || shared != null && !Bucket.take(shared.bytes, size, now))) {
        over = "bytes per second";
      } else if (mutation && (!Bucket.take(mutations, 1, now)
          || shared != null && !Bucket.take(shared.mutations, 1, now))) {
        over = "mutations per second";
      }
      if (over == null) {
        refusedInARow = 0;
        return null;
      }
      refusedInARow++;
      return new KoraException(ErrorCode.RATE_LIMITED, "over the node's limit of " + over
          + (shared != null ? " (for this connection or its address)" : "") + "; slow down");
    }

    /** @return whether the connection was refused so often in a row that it counts as flooding */
    public boolean flooding() {
      return owner != null && refusedInARow >= owner.limits.closeAfterRefusals();
    }

    /** The connection ended: its address's buckets go once it has no connection left. */
    public void close() {
      if (owner != null && !closed) {
        closed = true;
        owner.release(address, shared);
      }
    }
  }

  /** A token bucket of a rate per second, holding at most one second's worth. */
  static final class Bucket {
    private final double rate;
    private double tokens;
    private long lastNanos;

    private Bucket(double rate) {
      this.rate = rate;
      this.tokens = rate;
      this.lastNanos = System.nanoTime();
    }

    /** @return a bucket of {@code rate} per second, or null (no limit) for 0 */
    static Bucket of(double rate) {
      return rate > 0 ? new Bucket(rate) : null;
    }

    /**
     * Takes {@code amount} when the bucket is not empty; it may go below zero (a large request
     * passes once, then its debt is waited out).
     *
     * @return whether it was taken; always for a null bucket (no limit)
     */
    static boolean take(Bucket bucket, double amount, long nowNanos) {
      if (bucket == null) {
        return true;
      }
      bucket.refill(nowNanos);
      if (bucket.tokens <= 0) {
        return false;
      }
      bucket.tokens -= amount;
      return true;
    }

    /** @return whether the bucket holds a second's worth again; true for a null bucket */
    static boolean full(Bucket bucket, long nowNanos) {
      if (bucket == null) {
        return true;
      }
      bucket.refill(nowNanos);
      return bucket.tokens >= bucket.rate;
    }

    private void refill(long nowNanos) {
      tokens = Math.min(rate, tokens + (nowNanos - lastNanos) * rate / 1e9);
      lastNanos = nowNanos;
    }
  }
}
