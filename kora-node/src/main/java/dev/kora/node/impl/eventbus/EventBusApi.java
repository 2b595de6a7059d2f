package dev.kora.node.impl.eventbus;

import dev.kora.interceptors.Session;
import dev.kora.node.core.MutationRequest;
import dev.kora.node.core.NodeCore;
import dev.kora.node.eventbus.CommittedChange;
import dev.kora.node.eventbus.KoraAddresses;
import dev.kora.node.spi.CommitFeed;
import dev.kora.protocol.KoraReplyException;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import dev.kora.tree.Mutation;
import dev.kora.tree.Query;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The event bus transport ({@link KoraAddresses}): translates {@code kora.tree.mutate} and
 * {@code kora.tree.query} requests into the node's writes and reads as the internal session, answers
 * failures with a {@link KoraReplyException} (the code as a field, the HTTP status as the failure
 * code), and publishes every commit of the feed on {@code kora.tree.committed}. Consumers run on the
 * node's context. Commits are published to the node's own Vert.x instance only: in a cluster of
 * Kora nodes each member publishes every commit, and a consumer hears its own member's
 * (docs/cluster.md).
 */
public final class EventBusApi {

  private final Vertx vertx;
  private final NodeCore node;
  private final List<MessageConsumer<?>> consumers = new ArrayList<>();

  /**
   * @param vertx the Vert.x instance
   * @param node the node
   */
  public EventBusApi(Vertx vertx, NodeCore node) {
    this.vertx = vertx;
    this.node = node;
  }

  /**
   * Registers the codecs and consumers, and publishes the feed's commits. Call on the node's context.
   *
   * @param feed the node's commit feed
   */
  public void start(CommitFeed feed) {
    EventBus eventBus = vertx.eventBus();
    KoraReplyException.registerCodec(eventBus);
    try {
      eventBus.registerDefaultCodec(CommittedChange.class, new CommittedChangeCodec());
    } catch (IllegalStateException alreadyRegistered) {
      // another node in this Vert.x instance registered it
    }
    consumers.add(eventBus.consumer(KoraAddresses.MUTATE, message -> answer(message,
        body -> {
          MutationRequest request = MutationRequest.fromBody(body);
          return node.mutate(request, Session.internal())
              .map(version -> new JsonObject().put("version", version));
        },
        ErrorCode.INVALID_MUTATION)));
    consumers.add(eventBus.consumer(KoraAddresses.QUERY, message -> answer(message,
        body -> node.read(Query.fromJson(body), Session.internal()), ErrorCode.INVALID_QUERY)));
    // Local: in a cluster of Kora nodes every member publishes every commit, so a consumer must
    // hear its own member's only to see each commit once.
    DeliveryOptions local = new DeliveryOptions().setLocalOnly(true);
    feed.listen((mutation, version) ->
        eventBus.publish(KoraAddresses.COMMITTED, new CommittedChange(version, mutation), local));
  }

  /** @return completes once the consumers are unregistered */
  public Future<Void> stop() {
    List<Future<Void>> unregistered = new ArrayList<>();
    consumers.forEach(consumer -> unregistered.add(consumer.unregister()));
    return Future.join(unregistered).mapEmpty();
  }

  private static void answer(Message<Object> message,
      Function<JsonObject, Future<JsonObject>> operation, String badBody) {
    Future<JsonObject> result;
    try {
      if (!(message.body() instanceof JsonObject body)) {
        throw new KoraException(badBody, "the body must be a JsonObject, got "
            + (message.body() == null ? "null" : message.body().getClass().getSimpleName()));
      }
      result = operation.apply(body);
    } catch (KoraException e) {
      result = Future.failedFuture(e);
    }
    result.onSuccess(message::reply)
        .onFailure(e -> message.reply(KoraReplyException.of(e)));
  }
}
