package dev.kora.storage.cassandra;

import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The row operations of one write, each with the client timestamp it is written at, and their
 * compact binary form: the redo a fenced write records in its fence row before any of it is applied
 * (see {@link CassandraFences}). Applying the same operations again writes exactly the same cells
 * with the same timestamps, so a replay (by a store that takes the fence over) and a late original
 * (a paused old writer) change nothing that was already applied, and lose to every later write.
 *
 * <p>Binary form, version 1: a byte {@code 1}, the number of operations (unsigned varint), then per
 * operation its {@link Kind} ordinal (one byte), its timestamp minus the redo's base timestamp
 * (unsigned varint, microseconds), and its {@link Kind#strings} strings, each as its UTF-8 length
 * (unsigned varint) and bytes. The base timestamp (the smallest of the operations) is kept beside
 * the blob, in the fence row's {@code redo_timestamp}. A leaf write costs about its path twice, its
 * JSON once and a dozen bytes.
 */
final class CassandraRedo {

  private static final int VERSION = 1;

  /** What an operation does, and which strings it carries (see {@link Op}). */
  enum Kind {
    /** Adds {@code part} to the list of partitions. */
    LIST(1),
    /** Inserts the leaf {@code part}, {@code a} (clustering key), {@code b} (JSON text). */
    INSERT(3),
    /** Deletes the row {@code part}, {@code a}. */
    DELETE_ROW(2),
    /** Deletes the rows of {@code part} with clustering keys from {@code a} before {@code b}. */
    DELETE_RANGE(3),
    /** Deletes the partition {@code part}. */
    DELETE_PARTITION(1),
    /** Removes {@code part} from the list of partitions. */
    UNLIST(1),
    /** Removes the listed partition keys from {@code part} before {@code a}. */
    UNLIST_RANGE(2);

    /** How many of {@code part}, {@code a}, {@code b} the operation carries. */
    final int strings;

    Kind(int strings) {
      this.strings = strings;
    }

    /** @return whether the operation is on the data table (not the list of partitions) */
    boolean onData() {
      return this != LIST && this != UNLIST && this != UNLIST_RANGE;
    }
  }

  /**
   * One row operation.
   *
   * @param kind what it does
   * @param part a partition key (of the data table, or the one listed)
   * @param a the second string of the kind, or null
   * @param b the third, or null
   * @param timestamp the write timestamp, microseconds since the epoch
   */
  record Op(Kind kind, String part, String a, String b, long timestamp) {
  }

  private CassandraRedo() {
  }

  /**
   * @param ops the operations, not empty
   * @return the smallest timestamp of the operations, the base of {@link #encode}
   */
  static long base(List<Op> ops) {
    long base = Long.MAX_VALUE;
    for (Op op : ops) {
      base = Math.min(base, op.timestamp());
    }
    return base;
  }

  /** @return the largest timestamp of the operations */
  static long end(List<Op> ops) {
    long end = Long.MIN_VALUE;
    for (Op op : ops) {
      end = Math.max(end, op.timestamp());
    }
    return end;
  }

  /**
   * @param ops the operations, in order
   * @param base a timestamp at most the smallest of theirs, e.g. {@link #base}
   * @return their binary form
   */
  static ByteBuffer encode(List<Op> ops, long base) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(64 + ops.size() * 48);
    out.write(VERSION);
    varint(out, ops.size());
    for (Op op : ops) {
      out.write(op.kind().ordinal());
      varint(out, op.timestamp() - base);
      string(out, op.part());
      if (op.kind().strings > 1) {
        string(out, op.a());
      }
      if (op.kind().strings > 2) {
        string(out, op.b());
      }
    }
    return ByteBuffer.wrap(out.toByteArray());
  }

  /**
   * @param blob what {@link #encode} made; its position is not moved
   * @param base the base timestamp it was encoded with
   * @return the operations, in order
   * @throws KoraException {@code internal} when the blob is not a redo of this version
   */
  static List<Op> decode(ByteBuffer blob, long base) {
    ByteBuffer in = blob.duplicate();
    try {
      int version = in.get();
      if (version != VERSION) {
        throw new KoraException(ErrorCode.INTERNAL, "a fence row's redo has version " + version
            + "; this Kora reads version " + VERSION);
      }
      int count = (int) varint(in);
      List<Op> ops = new ArrayList<>(count);
      Kind[] kinds = Kind.values();
      for (int i = 0; i < count; i++) {
        Kind kind = kinds[in.get()];
        long timestamp = base + varint(in);
        String part = string(in);
        String a = kind.strings > 1 ? string(in) : null;
        String b = kind.strings > 2 ? string(in) : null;
        ops.add(new Op(kind, part, a, b, timestamp));
      }
      return ops;
    } catch (RuntimeException e) {
      if (e instanceof KoraException kora) {
        throw kora;
      }
      throw new KoraException(ErrorCode.INTERNAL, "a fence row's redo cannot be read: " + e, e);
    }
  }

  private static void varint(ByteArrayOutputStream out, long value) {
    while ((value & ~0x7FL) != 0) {
      out.write((int) ((value & 0x7F) | 0x80));
      value >>>= 7;
    }
    out.write((int) value);
  }

  private static long varint(ByteBuffer in) {
    long value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      byte b = in.get();
      value |= (long) (b & 0x7F) << shift;
      if (b >= 0) {
        return value;
      }
    }
    throw new IllegalArgumentException("a varint longer than 64 bits");
  }

  private static void string(ByteArrayOutputStream out, String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    varint(out, bytes.length);
    out.write(bytes, 0, bytes.length);
  }

  private static String string(ByteBuffer in) {
    int length = (int) varint(in);
    byte[] bytes = new byte[length];
    in.get(bytes);
    return new String(bytes, StandardCharsets.UTF_8);
  }
}
