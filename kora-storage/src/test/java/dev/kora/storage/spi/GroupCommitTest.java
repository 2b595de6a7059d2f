package dev.kora.storage.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The driver-independent group commit, with a committer that records what it is given. */
@ExtendWith(VertxExtension.class)
class GroupCommitTest {

  /** Records each group; each commit waits for the test to complete or fail its promise. */
  private static final class Recorder implements GroupCommit.Committer<String> {
    final List<List<String>> groups = Collections.synchronizedList(new ArrayList<>());
    final List<Promise<Void>> pending = Collections.synchronizedList(new ArrayList<>());

    @Override
    public Future<Void> commit(List<GroupCommit.Entry<String>> group) {
      List<String> works = new ArrayList<>();
      group.forEach(entry -> works.add(entry.work()));
      groups.add(works);
      Promise<Void> promise = Promise.promise();
      pending.add(promise);
      return promise.future();
    }

    Promise<Void> last() {
      return pending.get(pending.size() - 1);
    }
  }

  private static GroupCommit<String> queue(Vertx vertx, GroupCommit.Committer<String> committer,
      long timeoutMs, int maxGroup, long maxRows) {
    return new GroupCommit<>(vertx, committer, timeoutMs, () -> maxGroup, maxRows,
        () -> new KoraException(ErrorCode.STORE_UNAVAILABLE, "closed"));
  }

  private static Future<Void> tick(Vertx vertx) {
    return vertx.timer(20).mapEmpty();
  }

  @Test
  void callsQueuedDuringACommitFormTheNextGroup(Vertx vertx, VertxTestContext ctx) {
    Recorder recorder = new Recorder();
    GroupCommit<String> queue = queue(vertx, recorder, 10_000, 3, 100);
    List<Future<Void>> calls = new ArrayList<>();
    calls.add(queue.submit("a", 1));
    tick(vertx).compose(v -> {
      // queued while "a" is being committed
      for (String work : List.of("b", "c", "d", "e")) {
        calls.add(queue.submit(work, 1));
      }
      return commitAll(vertx, recorder, calls);
    }).onComplete(ctx.succeeding(v -> ctx.verify(() -> {
      assertEquals(List.of(List.of("a"), List.of("b", "c", "d"), List.of("e")), recorder.groups);
      ctx.completeNow();
    })));
  }

  @Test
  void groupsAreBoundedByRows(Vertx vertx, VertxTestContext ctx) {
    Recorder recorder = new Recorder();
    GroupCommit<String> queue = queue(vertx, recorder, 10_000, 100, 10);
    List<Future<Void>> calls = new ArrayList<>();
    calls.add(queue.submit("first", 1));
    tick(vertx).compose(v -> {
      for (String work : List.of("big:25", "six:6", "four:4", "one:1")) {
        calls.add(queue.submit(work, Integer.parseInt(work.substring(work.indexOf(':') + 1))));
      }
      return commitAll(vertx, recorder, calls);
    }).onComplete(ctx.succeeding(v -> ctx.verify(() -> {
      assertEquals(List.of(List.of("first"), List.of("big:25"), List.of("six:6", "four:4"),
          List.of("one:1")), recorder.groups);
      ctx.completeNow();
    })));
  }

  /** Lets every commit of the recorder succeed, every 20 ms, until the calls are done. */
  private static Future<Void> commitAll(Vertx vertx, Recorder recorder, List<Future<Void>> calls) {
    long timer = vertx.setPeriodic(20, id -> new ArrayList<>(recorder.pending)
        .forEach(Promise::tryComplete));
    return Future.all(calls).eventually(() -> {
      vertx.cancelTimer(timer);
      return Future.succeededFuture();
    }).mapEmpty();
  }

  @Test
  void anEntryAtFaultFailsAloneAndTheOthersAreCommittedAgain(Vertx vertx, VertxTestContext ctx) {
    KoraException doomed = new KoraException(ErrorCode.INTERNAL, "constraint");
    GroupCommit.Committer<String> committer = group -> {
      for (int i = 0; i < group.size(); i++) {
        if (group.get(i).work().startsWith("bad")) {
          return Future.failedFuture(new GroupCommit.EntryFailure(i, doomed));
        }
      }
      return Future.succeededFuture();
    };
    Recorder holder = new Recorder();
    List<List<String>> seen = Collections.synchronizedList(new ArrayList<>());
    GroupCommit<String> queue = queue(vertx, group -> {
      List<String> works = new ArrayList<>();
      group.forEach(entry -> works.add(entry.work()));
      seen.add(works);
      return works.equals(List.of("hold")) ? holder.commit(group) : committer.commit(group);
    }, 10_000, 100, 100);
    Future<Void> hold = queue.submit("hold", 1);
    List<Future<Void>> calls = new ArrayList<>();
    tick(vertx).compose(v -> {
      for (String work : List.of("x", "bad1", "y", "bad2", "z")) {
        calls.add(queue.submit(work, 1));
      }
      holder.last().complete();
      return Future.join(calls);
    }).onComplete(done -> ctx.verify(() -> {
      assertTrue(hold.succeeded());
      assertTrue(calls.get(0).succeeded() && calls.get(2).succeeded() && calls.get(4).succeeded());
      assertSame(doomed, calls.get(1).cause());
      assertSame(doomed, calls.get(3).cause());
      assertEquals(List.of(List.of("hold"), List.of("x", "bad1", "y", "bad2", "z"),
          List.of("x", "y", "bad2", "z"), List.of("x", "y", "z")), seen);
      ctx.completeNow();
    }));
  }

  @Test
  void anyOtherFailureFailsTheWholeGroupAsStoreUnavailable(Vertx vertx, VertxTestContext ctx) {
    GroupCommit<String> queue = queue(vertx,
        group -> Future.failedFuture(new IllegalStateException("socket closed")), 10_000, 100, 100);
    Future<Void> first = queue.submit("a", 1);
    Future<Void> second = queue.submit("b", 1);
    Future.join(first, second).onComplete(done -> ctx.verify(() -> {
      for (Future<Void> call : List.of(first, second)) {
        KoraException error = assertInstanceOf(KoraException.class, call.cause());
        assertEquals(ErrorCode.STORE_UNAVAILABLE, error.code());
      }
      ctx.completeNow();
    }));
  }

  @Test
  void aCallQueuedPastItsTimeoutFailsAndIsNeverCommitted(Vertx vertx, VertxTestContext ctx) {
    Recorder recorder = new Recorder();
    GroupCommit<String> queue = queue(vertx, recorder, 200, 100, 100);
    Future<Void> running = queue.submit("running", 1);
    List<Future<Void>> queued = new ArrayList<>();
    tick(vertx).compose(v -> {
      // queued while "running" is being committed, which takes longer than the timeout
      queued.add(queue.submit("queued", 1));
      return queued.get(0).transform(done -> Future.succeededFuture());
    }).compose(v -> {
      recorder.last().complete();
      return running;
    }).compose(v -> tick(vertx)).onComplete(ctx.succeeding(v -> ctx.verify(() -> {
      KoraException error = assertInstanceOf(KoraException.class, queued.get(0).cause());
      assertEquals(ErrorCode.STORE_UNAVAILABLE, error.code());
      assertTrue(error.getMessage().contains("200 ms"), error.getMessage());
      assertEquals(List.of(List.of("running")), recorder.groups);
      ctx.completeNow();
    })));
  }

  @Test
  void closeCommitsWhatIsQueuedAndRefusesLaterCalls(Vertx vertx, VertxTestContext ctx) {
    List<String> committed = Collections.synchronizedList(new ArrayList<>());
    GroupCommit<String> queue = queue(vertx, group -> {
      group.forEach(entry -> committed.add(entry.work()));
      return vertx.timer(10).mapEmpty();
    }, 10_000, 2, 100);
    List<Future<Void>> calls = new ArrayList<>();
    for (String work : List.of("a", "b", "c", "d", "e")) {
      calls.add(queue.submit(work, 1));
    }
    queue.close()
        .compose(v -> Future.all(calls))
        .compose(v -> queue.submit("late", 1))
        .onComplete(late -> ctx.verify(() -> {
          assertEquals(List.of("a", "b", "c", "d", "e"), committed);
          assertEquals("closed", late.cause().getMessage());
          ctx.completeNow();
        }));
  }

  @Test
  void futuresCompleteOnTheCallersContext(Vertx vertx, VertxTestContext ctx) {
    GroupCommit<String> queue = queue(vertx,
        group -> vertx.executeBlocking(() -> null, false).mapEmpty(), 10_000, 100, 100);
    Context caller = vertx.getOrCreateContext();
    caller.runOnContext(v -> queue.submit("a", 1).onComplete(ctx.succeeding(done -> ctx.verify(() -> {
      assertSame(caller, Vertx.currentContext());
      ctx.completeNow();
    }))));
  }
  /** @return the calls of {@code works}, each of one row */
  private static List<GroupCommit.Call<String>> calls(String... works) {
    List<GroupCommit.Call<String>> calls = new ArrayList<>();
    for (String work : works) {
      calls.add(GroupCommit.Call.of(work, 1));
    }
    return calls;
  }

  /** Submits from a task of {@code caller} and records the completion order of the futures. */
  private static Future<List<Future<Void>>> submitAll(Context caller, GroupCommit<String> queue,
      List<GroupCommit.Call<String>> calls, List<Integer> order, List<Context> contexts) {
    Promise<List<Future<Void>>> submitted = Promise.promise();
    caller.runOnContext(v -> {
      List<Future<Void>> futures = queue.submitAll(calls);
      for (int i = 0; i < futures.size(); i++) {
        int index = i;
        futures.get(i).onComplete(done -> {
          order.add(index);
          contexts.add(Vertx.currentContext());
        });
      }
      submitted.complete(futures);
    });
    return submitted.future();
  }

  @Test
  void submitAllQueuesTheCallsInOrderAsSeparateEntries(Vertx vertx, VertxTestContext ctx) {
    Recorder recorder = new Recorder();
    GroupCommit<String> queue = queue(vertx, recorder, 10_000, 3, 100);
    Future<Void> hold = queue.submit("hold", 1);
    List<Integer> order = Collections.synchronizedList(new ArrayList<>());
    List<Context> contexts = Collections.synchronizedList(new ArrayList<>());
    Context caller = vertx.getOrCreateContext();
    tick(vertx)
        .compose(v -> submitAll(caller, queue, calls("a", "b", "c", "d", "e"), order, contexts))
        .compose(futures -> {
          List<Future<Void>> all = new ArrayList<>(futures);
          all.add(hold);
          return commitAll(vertx, recorder, all).map(futures);
        })
        .onComplete(ctx.succeeding(futures -> ctx.verify(() -> {
          assertEquals(List.of(List.of("hold"), List.of("a", "b", "c"), List.of("d", "e")),
              recorder.groups);
          assertEquals(List.of(0, 1, 2, 3, 4), order);
          contexts.forEach(context -> assertSame(caller, context));
          ctx.completeNow();
        })));
  }

  @Test
  void aFailingCallOfAListFailsAloneAndCompletesInItsTurn(Vertx vertx, VertxTestContext ctx) {
    KoraException doomed = new KoraException(ErrorCode.INTERNAL, "constraint");
    List<List<String>> seen = Collections.synchronizedList(new ArrayList<>());
    GroupCommit<String> queue = queue(vertx, group -> {
      List<String> works = new ArrayList<>();
      group.forEach(entry -> works.add(entry.work()));
      seen.add(works);
      int bad = works.indexOf("bad");
      // slow, so that a failure handed out at once would overtake the calls before it
      return vertx.timer(20).compose(v -> bad >= 0
          ? Future.failedFuture(new GroupCommit.EntryFailure(bad, doomed))
          : Future.succeededFuture());
    }, 10_000, 100, 100);
    KoraException refused = new KoraException(ErrorCode.TOO_LARGE, "refused before queueing");
    List<GroupCommit.Call<String>> calls = calls("x", "bad", "y");
    calls.add(0, GroupCommit.Call.decided(null));
    calls.add(GroupCommit.Call.decided(refused));
    calls.add(GroupCommit.Call.of("z", 1));
    List<Integer> order = Collections.synchronizedList(new ArrayList<>());
    List<Context> contexts = Collections.synchronizedList(new ArrayList<>());
    Context caller = vertx.getOrCreateContext();
    submitAll(caller, queue, calls, order, contexts)
        .compose(futures -> Future.join(futures).transform(done -> Future.succeededFuture(futures)))
        .onComplete(ctx.succeeding(futures -> ctx.verify(() -> {
          assertEquals(List.of(List.of("x", "bad", "y", "z"), List.of("x", "y", "z")), seen);
          assertEquals(List.of(0, 1, 2, 3, 4, 5), order);
          assertTrue(futures.get(0).succeeded() && futures.get(1).succeeded()
              && futures.get(3).succeeded() && futures.get(5).succeeded());
          assertSame(doomed, futures.get(2).cause());
          assertSame(refused, futures.get(4).cause());
          contexts.forEach(context -> assertSame(caller, context));
          ctx.completeNow();
        })));
  }

  @Test
  void theListsTimeoutFailsEveryCallStillQueued(Vertx vertx, VertxTestContext ctx) {
    Recorder recorder = new Recorder();
    GroupCommit<String> queue = queue(vertx, recorder, 200, 100, 100);
    Future<Void> running = queue.submit("running", 1);
    List<Integer> order = Collections.synchronizedList(new ArrayList<>());
    List<Context> contexts = Collections.synchronizedList(new ArrayList<>());
    Context caller = vertx.getOrCreateContext();
    tick(vertx)
        // queued while "running" is being committed, which takes longer than the timeout
        .compose(v -> submitAll(caller, queue, calls("x", "y", "z"), order, contexts))
        .compose(futures -> Future.join(futures)
            .transform(done -> Future.succeededFuture(futures)))
        .compose(futures -> {
          recorder.last().complete();
          return running.compose(v -> tick(vertx)).map(futures);
        })
        .onComplete(ctx.succeeding(futures -> ctx.verify(() -> {
          for (Future<Void> future : futures) {
            KoraException error = assertInstanceOf(KoraException.class, future.cause());
            assertEquals(ErrorCode.STORE_UNAVAILABLE, error.code());
            assertTrue(error.getMessage().contains("200 ms"), error.getMessage());
          }
          assertEquals(List.of(0, 1, 2), order);
          assertEquals(List.of(List.of("running")), recorder.groups);
          ctx.completeNow();
        })));
  }

  @Test
  void aGroupCompletesEachCallerOnItsOwnContext(Vertx vertx, VertxTestContext ctx) {
    Recorder recorder = new Recorder();
    GroupCommit<String> queue = queue(vertx, recorder, 10_000, 100, 100);
    Future<Void> hold = queue.submit("hold", 1);
    Context first = vertx.getOrCreateContext();
    Context second = vertx.getOrCreateContext();
    List<Integer> firstOrder = Collections.synchronizedList(new ArrayList<>());
    List<Context> firstContexts = Collections.synchronizedList(new ArrayList<>());
    List<Integer> secondOrder = Collections.synchronizedList(new ArrayList<>());
    List<Context> secondContexts = Collections.synchronizedList(new ArrayList<>());
    tick(vertx)
        .compose(v -> Future.all(
            submitAll(first, queue, calls("a1", "a2"), firstOrder, firstContexts),
            submitAll(second, queue, calls("b1", "b2", "b3"), secondOrder, secondContexts)))
        .compose(both -> {
          List<Future<Void>> all = new ArrayList<>();
          all.add(hold);
          for (int i = 0; i < 2; i++) {
            all.addAll(both.<List<Future<Void>>>resultAt(i));
          }
          return commitAll(vertx, recorder, all);
        })
        .onComplete(ctx.succeeding(v -> ctx.verify(() -> {
          assertEquals(2, recorder.groups.size(), "one group after the held one: " + recorder.groups);
          assertEquals(List.of(0, 1), firstOrder);
          assertEquals(List.of(0, 1, 2), secondOrder);
          firstContexts.forEach(context -> assertSame(first, context));
          secondContexts.forEach(context -> assertSame(second, context));
          ctx.completeNow();
        })));
  }

  @Test
  void submitAllAfterCloseFailsEveryCall(Vertx vertx, VertxTestContext ctx) {
    GroupCommit<String> queue = queue(vertx, group -> Future.succeededFuture(), 10_000, 100, 100);
    queue.close().onComplete(ctx.succeeding(v -> ctx.verify(() -> {
      List<Future<Void>> futures = queue.submitAll(calls("a", "b"));
      assertEquals(2, futures.size());
      futures.forEach(future -> assertEquals("closed", future.cause().getMessage()));
      assertEquals(List.of(), queue.submitAll(List.of()));
      ctx.completeNow();
    })));
  }
}
