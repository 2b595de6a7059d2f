package dev.kora.client;

import dev.kora.tree.LeafWrite;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The client's queued writes, in the order the application made them, and which of them may be sent
 * now. Pure bookkeeping: no I/O, confined to the client's context.
 *
 * <p>Writes go out in order, several in flight at a time, but a write waits while one in flight
 * touches an overlapping path. The node applies one connection's writes in order; if it fails one
 * for a passing reason ({@code store_unavailable}) while later ones were already sent, those later
 * ones may commit first, and the failed one is sent again after them. Since no two writes in flight
 * overlap, such writes commute and the tree ends as if they had committed in order.
 */
final class Outbox {

  private final Map<Long, Entry> entries = new LinkedHashMap<>();
  /** The confirmed entries still kept (a cached copy does not hold them yet), in order. */
  private final Map<Long, Entry> confirmed = new LinkedHashMap<>();
  private final InFlightPaths inFlightPaths = new InFlightPaths();
  private int inFlight;

  /** One queued write. */
  static final class Entry {
    final long sequence;
    final String id;
    final Mutation mutation;
    final List<Path> paths;
    /** The proper ancestors of {@link #paths}, for the overlap checks. */
    final List<Path> ancestors;
    Long version;
    boolean persisted;
    /** Whether it may have been sent before (by this process or, restored, by an earlier one). */
    boolean sentBefore;
    boolean inFlight;
    int failures;
    long notBeforeMs;
    Promise<Long> promise;

    Entry(long sequence, String id, Mutation mutation, Long version, boolean persisted) {
      this.sequence = sequence;
      this.id = id;
      this.mutation = mutation;
      this.version = version;
      this.persisted = persisted;
      this.sentBefore = persisted;
      List<Path> touched = new ArrayList<>(mutation.deletes());
      for (LeafWrite write : mutation.writes()) {
        touched.add(write.path());
      }
      this.paths = touched;
      this.ancestors = InFlightPaths.ancestorsOf(touched);
    }

    /** @return the write's place in the client's order */
    public long sequence() {
      return sequence;
    }

    /** @return the idempotency id sent with it */
    public String id() {
      return id;
    }

    /** @return the mutation */
    public Mutation mutation() {
      return mutation;
    }

    /** @return the version the node answered, or null while unconfirmed */
    public Long version() {
      return version;
    }

    /** @return completes with the version, fails with the node's refusal */
    Promise<Long> promise() {
      if (promise == null) {
        promise = Promise.promise();
      }
      return promise;
    }

    /** @return whether this write changes what is at, under or above {@code path} */
    boolean touches(Path path) {
      for (Path touched : paths) {
        if (touched.overlaps(path)) {
          return true;
        }
      }
      return false;
    }

    /**
     * @param path a subscribed path
     * @param version the version its cached copy reflects
     * @return whether the cached copy does not hold this write yet, so the view shows it on top
     */
    boolean pendingFor(Path path, long version) {
      return (this.version == null || this.version > version) && touches(path);
    }
  }

  /** Adds a write at the end. */
  Entry add(long sequence, String id, Mutation mutation, Long version, boolean persisted) {
    Entry entry = new Entry(sequence, id, mutation, version, persisted);
    entries.put(sequence, entry);
    if (version != null) {
      confirmed.put(sequence, entry);
    }
    return entry;
  }

  /**
   * @param maxInFlight most writes in flight at once
   * @param nowMs the current time (ms), against a retry's earliest time
   * @return the next write to send, or null when the first unsent one must wait (not yet on disk,
   *     the window full, a retry not yet due, or overlapping a write in flight)
   */
  Entry nextToSend(int maxInFlight, long nowMs) {
    if (inFlight >= maxInFlight) {
      return null;
    }
    for (Entry entry : entries.values()) {
      if (entry.version != null || entry.inFlight) {
        continue;
      }
      if (!entry.persisted || entry.notBeforeMs > nowMs || inFlightPaths.overlaps(entry.paths, entry.ancestors)) {
        return null;
      }
      return entry;
    }
    return null;
  }

  /** @return the earliest time (ms) a write waiting for a retry is due, or 0 for none */
  long nextRetryMs() {
    for (Entry entry : entries.values()) {
      if (entry.version == null && !entry.inFlight) {
        return entry.notBeforeMs;
      }
    }
    return 0;
  }

  void sent(Entry entry) {
    entry.inFlight = true;
    inFlight++;
    inFlightPaths.add(entry.paths, entry.ancestors);
  }

  /** The write's call ended (answered or not): it no longer blocks others. */
  void returned(Entry entry) {
    if (entry.inFlight) {
      entry.inFlight = false;
      inFlight--;
      inFlightPaths.remove(entry.paths, entry.ancestors);
    }
  }

  /** The connection dropped: nothing is in flight any more; unanswered writes are sent again. */
  void disconnected() {
    for (Entry entry : entries.values()) {
      entry.inFlight = false;
    }
    inFlight = 0;
    inFlightPaths.clear();
  }

  void remove(Entry entry) {
    returned(entry);
    entries.remove(entry.sequence);
    confirmed.remove(entry.sequence);
  }

  /** The node committed the write as {@code version}. */
  void confirm(Entry entry, long version) {
    entry.version = version;
    confirmed.put(entry.sequence, entry);
  }

  /** @return the writes a view of {@code path} at {@code version} shows on top, in order */
  List<Entry> pendingFor(Path path, long version) {
    List<Entry> result = new ArrayList<>();
    for (Entry entry : entries.values()) {
      if (entry.pendingFor(path, version)) {
        result.add(entry);
      }
    }
    return result;
  }

  /** @return the oldest write pending for {@code path} at {@code version}, or null */
  Entry firstPendingFor(Path path, long version) {
    for (Entry entry : entries.values()) {
      if (entry.pendingFor(path, version)) {
        return entry;
      }
    }
    return null;
  }

  /** @return whether any write is pending for {@code path} at {@code version} */
  boolean anyPendingFor(Path path, long version) {
    return firstPendingFor(path, version) != null;
  }

  /** @return every write, in order */
  List<Entry> all() {
    return new ArrayList<>(entries.values());
  }

  /**
   * @param settled whether every cached copy a confirmed write touches holds it
   * @return the confirmed writes that are settled, removed from the outbox
   */
  List<Entry> removeSettled(java.util.function.Predicate<Entry> settled) {
    List<Entry> removed = new ArrayList<>();
    Iterator<Entry> iterator = confirmed.values().iterator();
    while (iterator.hasNext()) {
      Entry entry = iterator.next();
      if (settled.test(entry)) {
        iterator.remove();
        entries.remove(entry.sequence);
        removed.add(entry);
      }
    }
    return removed;
  }

  /** @return how many writes are queued (confirmed ones not yet in every cached copy included) */
  int size() {
    return entries.size();
  }
}
