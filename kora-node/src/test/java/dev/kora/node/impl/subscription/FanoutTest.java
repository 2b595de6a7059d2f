package dev.kora.node.impl.subscription;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.interceptors.InterceptorChain;
import dev.kora.node.core.CommittedPart;
import dev.kora.node.core.NodeMetrics;
import dev.kora.node.core.Subscriber;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The subscription index and the fan-out of one commit, without sockets: who is matched, which part
 * each subscriber gets, what is shared, and that delivering may unsubscribe.
 */
class FanoutTest {

  private final SubscriptionRegistry registry = new SubscriptionRegistry();
  private final Fanout fanout = new Fanout(registry, new InterceptorChain(List.of()),
        new NodeMetrics(new SimpleMeterRegistry(), false));

  /** Records what it is pushed; may run an action on each push. */
  private static final class Recorder implements Subscriber {
    final List<Mutation> parts = new ArrayList<>();
    final List<CommittedPart> committed = new ArrayList<>();
    Runnable onPush = () -> { };

    @Override
    public void push(CommittedPart part) {
      parts.add(part.mutation());
      committed.add(part);
      onPush.run();
    }
  }

  private static Mutation merge(String json) {
    return Mutation.fromJson(new JsonObject().put("merge", new JsonObject(json)));
  }

  @Test
  void aPathTouchedByManyLeavesIsOneHit() {
    Recorder watcher = new Recorder();
    registry.add(Path.of("todos"), watcher);
    List<SubscriptionRegistry.Hit> hits =
        registry.matchPaths(merge("{\"todos\":{\"a\":1,\"b\":2,\"c\":{\"d\":3}}}"));
    assertEquals(1, hits.size());
    assertEquals(Path.of("todos"), hits.get(0).path());
    assertEquals(1, hits.get(0).subscribers().length);
    assertEquals(List.of(Path.of("todos")), registry.match(
        merge("{\"todos\":{\"a\":1,\"b\":2}}")).get(watcher));
  }

  @Test
  void subscribersOfOnePathShareOnePartObject() {
    Recorder first = new Recorder();
    Recorder second = new Recorder();
    Recorder elsewhere = new Recorder();
    registry.add(Path.of("todos"), first);
    registry.add(Path.of("todos"), second);
    registry.add(Path.of("users"), elsewhere);
    fanout.committed(merge("{\"todos\":{\"a\":1},\"other\":{\"b\":2}}"), 7);
    assertEquals(List.of(merge("{\"todos\":{\"a\":1}}")), first.parts);
    assertEquals(first.parts, second.parts);
    assertTrue(first.committed.get(0) == second.committed.get(0),
        "one committed part object for both, so transports share its encoding");
    assertEquals(7, first.committed.get(0).version());
    assertTrue(elsewhere.parts.isEmpty(), "not touched, not pushed");
  }

  @Test
  void aSubscriberOfTwoTouchedPathsGetsBothInOnePush() {
    Recorder both = new Recorder();
    Recorder one = new Recorder();
    registry.add(Path.of("todos"), both);
    registry.add(Path.of("users"), both);
    registry.add(Path.of("todos"), one);
    fanout.committed(merge("{\"todos\":{\"a\":1},\"users\":{\"u\":2},\"other\":3}"), 1);
    assertEquals(List.of(merge("{\"todos\":{\"a\":1},\"users\":{\"u\":2}}")), both.parts);
    assertEquals(List.of(merge("{\"todos\":{\"a\":1}}")), one.parts);
  }

  @Test
  void subscribersOfTheSamePathsShareAPartWhenSeveralPathsAreTouched() {
    Recorder first = new Recorder();
    Recorder second = new Recorder();
    Recorder other = new Recorder();
    registry.add(Path.of("todos"), first);
    registry.add(Path.of("todos"), second);
    registry.add(Path.of("users"), other);
    fanout.committed(merge("{\"todos\":{\"a\":1},\"users\":{\"u\":2}}"), 3);
    assertTrue(first.committed.get(0) == second.committed.get(0), "shared by identity");
    assertTrue(first.committed.get(0) != other.committed.get(0), "another part, another object");
    assertEquals(List.of(merge("{\"users\":{\"u\":2}}")), other.parts);
  }

  @Test
  void aDeleteAboveASubscriptionReachesIt() {
    Recorder watcher = new Recorder();
    registry.add(Path.of("todos", "t1"), watcher);
    fanout.committed(Mutation.delete(Path.of("todos")), 1);
    assertEquals(1, watcher.parts.size());
    assertEquals(List.of(Path.of("todos", "t1")), watcher.parts.get(0).deletes());
  }

  @Test
  void subscribersMayUnsubscribeWhileACommitIsDelivered() {
    // A connection dropped for its backlog unsubscribes in the middle of the fan-out.
    List<Recorder> watchers = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      Recorder watcher = new Recorder();
      watcher.onPush = () -> registry.remove(Path.of("todos"), watcher);
      registry.add(Path.of("todos"), watcher);
      registry.add(Path.of("todos", "t1"), watcher);
      watchers.add(watcher);
    }
    Recorder single = new Recorder();
    single.onPush = () -> registry.remove(Path.of("solo"), single);
    registry.add(Path.of("solo"), single);
    for (int i = 0; i < 3; i++) {
      Recorder watcher = new Recorder();
      watcher.onPush = () -> registry.remove(Path.of("solo"), watcher);
      registry.add(Path.of("solo"), watcher);
    }
    fanout.committed(merge("{\"todos\":{\"t1\":{\"done\":true}}}"), 1);
    fanout.committed(merge("{\"solo\":{\"x\":1}}"), 2);
    for (Recorder watcher : watchers) {
      assertEquals(1, watcher.parts.size());
    }
    assertEquals(1, single.parts.size());
    assertEquals(5, registry.size(), "the todos/t1 subscriptions remain");
    fanout.committed(merge("{\"solo\":{\"x\":2}}"), 3);
    assertEquals(1, single.parts.size(), "unsubscribed, not pushed again");
  }
}
