package dev.kora.storage.cassandra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kora.storage.cassandra.CassandraRedo.Kind;
import dev.kora.storage.cassandra.CassandraRedo.Op;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import dev.kora.tree.LeafWrite;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The redo's binary form and the fenced value a group leaves; no Cassandra needed. */
class CassandraRedoTest {

  @Test
  void operationsComeBackAsTheyWereWithTheirTimestamps() {
    long base = 1_765_000_000_000_000L;
    List<Op> ops = List.of(
        new Op(Kind.LIST, "todos\u0001", null, null, base + 9),
        new Op(Kind.DELETE_RANGE, "todos\u0001", "t1\u0001\u0002", "t1\u0002", base),
        new Op(Kind.DELETE_ROW, "todos\u0001", "", null, base + 1),
        new Op(Kind.INSERT, "todos\u0001", "t1\u0001", "\"caf\u00e9 \ud83d\ude00\"", base + 2),
        new Op(Kind.DELETE_PARTITION, "old\u0001", null, null, base + 3),
        new Op(Kind.UNLIST, "old\u0001", null, null, base + 3),
        new Op(Kind.UNLIST_RANGE, "u\u0001", "u\u0002", null, base + 300_000_000L),
        new Op(Kind.INSERT, "big\u0001", "k\u0001", "x".repeat(70_000), base + 4));
    ByteBuffer blob = CassandraRedo.encode(ops, CassandraRedo.base(ops));
    assertEquals(base, CassandraRedo.base(ops));
    assertEquals(base + 300_000_000L, CassandraRedo.end(ops));
    assertEquals(ops, CassandraRedo.decode(blob, base));
    assertEquals(ops, CassandraRedo.decode(blob, base), "decoding leaves the blob as it was");
  }

  @Test
  void anotherVersionIsRefused() {
    KoraException refused = assertThrows(KoraException.class,
        () -> CassandraRedo.decode(ByteBuffer.wrap(new byte[] {9, 0}), 0));
    assertEquals(ErrorCode.INTERNAL, refused.code());
  }

  @Test
  void theFencedValueFollowsTheGroupsMutations() {
    Path epoch = Path.of("kora:cluster", "epoch");
    String absent = CassandraSchema.ABSENT_VALUE;
    assertEquals("1", CassandraFences.valueAfter(epoch, "1", List.of(
        Mutation.merge(Path.of("kora:cluster", "leader"), "n1"))));
    assertEquals("2", CassandraFences.valueAfter(epoch, "1", List.of(Mutation.merge(epoch, 2))));
    assertEquals("\"x\"", CassandraFences.valueAfter(epoch, absent, List.of(
        Mutation.merge(epoch, "x"))));
    assertEquals(absent, CassandraFences.valueAfter(epoch, "1", List.of(
        Mutation.delete(Path.of("kora:cluster")))));
    assertEquals(absent, CassandraFences.valueAfter(epoch, "1", List.of(
        Mutation.merge(Path.of("kora:cluster"), 5))));
    assertEquals(absent, CassandraFences.valueAfter(epoch, "1", List.of(Mutation.fromFlat(
        List.of(), List.of(new LeafWrite(epoch.child("under"), 1))))));
    assertEquals("3", CassandraFences.valueAfter(epoch, "1", List.of(Mutation.delete(epoch),
        Mutation.merge(epoch, 3))));
  }
}
