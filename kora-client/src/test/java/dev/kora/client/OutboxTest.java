package dev.kora.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import org.junit.jupiter.api.Test;

/** Which queued write may be sent: order, the window, overlapping paths, retries, a lost connection. */
class OutboxTest {

  private final Outbox outbox = new Outbox();
  private long sequence;

  private Outbox.Entry add(Mutation mutation) {
    long next = ++sequence;
    return outbox.add(next, "c:" + next, mutation, null, true);
  }

  private Outbox.Entry sendNext(int window) {
    Outbox.Entry next = outbox.nextToSend(window, 0);
    if (next != null) {
      outbox.sent(next);
    }
    return next;
  }

  @Test
  void disjointWritesGoTogetherAndAnOverlappingOneWaits() {
    Outbox.Entry a = add(Mutation.merge(Path.of("todos", "t1", "title"), "milk"));
    Outbox.Entry b = add(Mutation.merge(Path.of("todos", "t2"), "bread"));
    Outbox.Entry c = add(Mutation.delete(Path.of("todos", "t1")));
    Outbox.Entry d = add(Mutation.merge(Path.of("other"), 1));
    assertSame(a, sendNext(64));
    assertSame(b, sendNext(64));
    assertNull(sendNext(64), "todos/t1 contains a's path: c waits, and d behind it keeps the order");
    outbox.confirm(a, 1);
    outbox.returned(a);
    assertSame(c, sendNext(64));
    assertSame(d, sendNext(64));
  }

  @Test
  void aWriteUnderOneInFlightWaitsToo() {
    Outbox.Entry wide = add(Mutation.delete(Path.of("a")));
    Outbox.Entry under = add(Mutation.merge(Path.of("a", "b", "c"), 1));
    assertSame(wide, sendNext(64));
    assertNull(sendNext(64));
    outbox.confirm(wide, 1);
    outbox.returned(wide);
    assertSame(under, sendNext(64));
  }

  @Test
  void theWindowBoundsWritesInFlight() {
    for (int i = 0; i < 5; i++) {
      add(Mutation.merge(Path.of("k" + i), i));
    }
    assertEquals("c:1", sendNext(2).id());
    assertEquals("c:2", sendNext(2).id());
    assertNull(sendNext(2));
  }

  @Test
  void aRetryNotYetDueHoldsTheWritesBehindIt() {
    Outbox.Entry first = add(Mutation.merge(Path.of("x"), 1));
    add(Mutation.merge(Path.of("y"), 2));
    sendNext(64);
    outbox.returned(first);
    first.notBeforeMs = 1_000;
    assertNull(outbox.nextToSend(64, 500));
    assertEquals(1_000, outbox.nextRetryMs());
    assertSame(first, outbox.nextToSend(64, 1_000));
  }

  @Test
  void aLostConnectionSendsEverythingUnansweredAgainInOrder() {
    Outbox.Entry a = add(Mutation.merge(Path.of("a"), 1));
    Outbox.Entry b = add(Mutation.merge(Path.of("b"), 1));
    sendNext(64);
    sendNext(64);
    outbox.confirm(a, 7);
    outbox.returned(a);
    outbox.disconnected();
    assertSame(b, sendNext(64), "a was confirmed: only b goes again");
    assertEquals(1, outbox.removeSettled(entry -> true).size());
    assertEquals(1, outbox.size());
  }
}
