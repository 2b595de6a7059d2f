package dev.kora.rules;

import dev.kora.interceptors.Interceptor;
import dev.kora.interceptors.InterceptorResult;
import dev.kora.interceptors.MutationLayer;
import dev.kora.interceptors.QueryLayer;
import dev.kora.interceptors.Session;
import dev.kora.tree.KoraException;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Enforces a {@link RuleSet} as an interceptor, which a node runs before every other: writes are
 * checked in {@link #validateMutation} ({@code denied} or {@code invalid_mutation}), a read of a path
 * under which no rule could let the client see anything is refused in {@link #beforeQuery}
 * ({@code denied}), and answers ({@link #filterAnswer}) and pushes ({@link #filterDelivery}) carry only
 * the leaves the client may read. The internal session (server-side reads and writes) is never
 * checked. The rules are taken from a supplier at each decision, so a reloaded file applies to the
 * next decision.
 */
public final class RulesInterceptor implements Interceptor {

  private final Supplier<RuleSet> rules;
  private final Function<Path, Future<Object>> reader;
  private final LongSupplier clock;

  /**
   * @param rules the rules in force, asked at each decision
   * @param reader reads the whole value at a path as the store holds it now (a JsonObject subtree,
   *     a leaf, or null), for expressions that use {@code data} or {@code newData}; completes on the
   *     node's context
   * @param clock the time for {@code now}, ms since the epoch
   */
  public RulesInterceptor(Supplier<RuleSet> rules, Function<Path, Future<Object>> reader,
      LongSupplier clock) {
    this.rules = rules;
    this.reader = reader;
    this.clock = clock;
  }

  @Override
  public String name() {
    return "rules";
  }

  @Override
  public InterceptorResult validateMutation(MutationLayer layer, Session session) {
    if (session.isInternal() || !layer.path().isRoot()) {
      // the whole mutation is decided once, at its root layer
      return InterceptorResult.ok();
    }
    Future<Void> decided = new WriteCheck(rules.get(), layer.mutation(), session,
        clock.getAsLong(), reader).run();
    if (decided.succeeded()) {
      return InterceptorResult.ok();
    }
    if (decided.failed()) {
      return refusal(decided.cause());
    }
    return InterceptorResult.later(decided.transform(done -> Future.succeededFuture(
        done.succeeded() ? InterceptorResult.ok() : refusal(done.cause()))));
  }

  private static InterceptorResult refusal(Throwable cause) {
    if (cause instanceof KoraException kora) {
      return InterceptorResult.fail(kora.code(), "rules: " + kora.getMessage());
    }
    throw new IllegalStateException("the rules could not read the data they need", cause);
  }

  @Override
  public InterceptorResult beforeQuery(QueryLayer layer, Session session) {
    if (session.isInternal()) {
      return InterceptorResult.ok();
    }
    ReadCheck check = new ReadCheck(rules.get(), session, clock.getAsLong());
    if (!check.mayShowAnything(layer.path())) {
      return InterceptorResult.deny("rules: no read rule allows reading anything at or under "
          + (layer.path().isRoot() ? "the root" : layer.path()));
    }
    return InterceptorResult.ok();
  }

  @Override
  public Mutation filterDelivery(Path subscribed, Map<String, String> captures, Mutation part,
      Session session) {
    if (session.isInternal()) {
      return part;
    }
    return new ReadCheck(rules.get(), session, clock.getAsLong()).filter(part);
  }

  @Override
  public boolean filtersByIdentity() {
    return true;
  }

  @Override
  public void filterAnswer(List<Path> queried, JsonObject answer, Session session) {
    if (session.isInternal()) {
      return;
    }
    ReadCheck check = new ReadCheck(rules.get(), session, clock.getAsLong());
    for (String field : new String[] {"merge", "delete"}) {
      Object tree = answer.getValue(field);
      if (tree instanceof JsonObject) {
        answer.put(field, check.filterTree((JsonObject) tree, field.equals("delete")));
      }
    }
  }
}
