package dev.kora.interceptors;

import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import dev.kora.tree.Query;
import dev.kora.tree.QueryOptions;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Runs interceptors in registration order over mutations and queries (see {@link Interceptor} for the
 * order of hooks). Built once with its interceptor list; for each hook it keeps only the interceptors
 * that implement it, so unused hooks cost nothing. Called on the node's context; never blocks.
 */
public final class InterceptorChain {

  private static final System.Logger LOG = System.getLogger(InterceptorChain.class.getName());

  private final List<Interceptor> validators;
  private final List<Interceptor> befores;
  private final List<Interceptor> afters;
  private final List<Interceptor> effects;
  private final List<Interceptor> queryCheckers;
  private final List<Interceptor> resolvers;
  private final List<Interceptor> filters;
  private final List<Interceptor> answerFilters;
  private final boolean filtersByIdentity;

  /** @param interceptors in the order they run */
  public InterceptorChain(List<Interceptor> interceptors) {
    validators = implementing(interceptors, "validateMutation", MutationLayer.class, Session.class);
    befores = implementing(interceptors, "beforeMutation", MutationLayer.class, Session.class);
    afters = implementing(interceptors, "afterMutation", MutationLayer.class, Session.class);
    effects = implementing(interceptors, "effect", MutationLayer.class, Session.class);
    queryCheckers = implementing(interceptors, "beforeQuery", QueryLayer.class, Session.class);
    resolvers = implementing(interceptors, "resolveQuery", QueryLayer.class, Session.class);
    filters = implementing(interceptors, "filterDelivery", Path.class, Map.class, Mutation.class,
        Session.class);
    answerFilters = implementing(interceptors, "filterAnswer", List.class, JsonObject.class,
        Session.class);
    filtersByIdentity = filters.stream().allMatch(Interceptor::filtersByIdentity);
  }

  private static List<Interceptor> implementing(List<Interceptor> all, String hook,
      Class<?>... parameters) {
    List<Interceptor> result = new ArrayList<>();
    for (Interceptor interceptor : all) {
      try {
        Method method = interceptor.getClass().getMethod(hook, parameters);
        if (method.getDeclaringClass() != Interceptor.class) {
          result.add(interceptor);
        }
      } catch (NoSuchMethodException e) {
        throw new IllegalStateException(e);
      }
    }
    return Collections.unmodifiableList(result);
  }

  /**
   * @return whether {@link #prepare} can answer later: some interceptor validates, adds to or decides
   *     effects of mutations. Without any, {@code prepare} completes at once.
   */
  public boolean preparesMutations() {
    return !validators.isEmpty() || !befores.isEmpty() || !effects.isEmpty();
  }

  /** @return whether any interceptor implements {@code afterMutation} */
  public boolean reactsAfterMutation() {
    return !afters.isEmpty();
  }

  /** @return whether any interceptor filters deliveries (pushes then go per subscription) */
  public boolean filtersDeliveries() {
    return !filters.isEmpty();
  }

  /**
   * @return whether every delivery filter depends only on the subscriber's identity (user and
   *     claims), so one filtered part may serve all subscribers of the same paths and identity
   */
  public boolean filtersByIdentity() {
    return filtersByIdentity;
  }

  /**
   * Runs {@code filterAnswer} of the interceptors whose pattern matches a queried path or lies under
   * one.
   *
   * @param query the query or subscription
   * @param answer its answer, {@code {"merge": ..., "delete": ..., "version": V}}, changed in place
   * @param session who reads; the internal session sees everything
   * @throws KoraException {@code interceptor_failed} when a filter throws (nothing is answered rather
   *     than too much)
   */
  public void filterAnswer(Query query, JsonObject answer, Session session) {
    if (answerFilters.isEmpty() || session.isInternal()) {
      return;
    }
    for (Interceptor interceptor : answerFilters) {
      List<Path> queried = new ArrayList<>();
      for (Query.Entry entry : query.entries()) {
        if (queryCaptures(interceptor.pattern(), entry.path()) != null) {
          queried.add(entry.path());
        }
      }
      if (queried.isEmpty()) {
        continue;
      }
      try {
        interceptor.filterAnswer(queried, answer, session);
      } catch (KoraException e) {
        throw e;
      } catch (RuntimeException e) {
        throw failed(interceptor, e);
      }
    }
  }

  /**
   * Runs {@code validateMutation}, {@code beforeMutation} (validating additions again) and
   * {@code effect}. Additions are the server's own writes, derived from a mutation that already passed
   * validation: they are validated with {@link Session#internal()}, so schema rules apply to them and
   * client permission rules do not (a stamp of a server-only field, or a copy into a path clients may
   * not write, is not refused as if the client had written it).
   *
   * @param mutation the incoming mutation
   * @param session who writes
   * @return the final mutation and its effects; fails with the interceptor's code, or
   *     {@code interceptor_failed} when a hook threw or its future failed
   */
  public Future<PreparedMutation> prepare(Mutation mutation, Session session) {
    if (!preparesMutations()) {
      return Future.succeededFuture(new PreparedMutation(mutation, List.of()));
    }
    return validate(mutation, session)
        .compose(v -> before(mutation, session))
        .compose(additions -> additions.isEmpty() ? Future.succeededFuture(mutation)
            : validate(additions, Session.internal())
                .map(v -> mutation.combine(additions)))
        .compose(finalMutation -> decideEffects(finalMutation, session)
            .map(jobs -> new PreparedMutation(finalMutation, jobs)));
  }

  private Future<Void> validate(Mutation mutation, Session session) {
    if (validators.isEmpty()) {
      return Future.succeededFuture();
    }
    List<RawLayer> layers = layers(mutation);
    return run(validators, layers, mutation, (interceptor, layer) ->
        interceptor.validateMutation(layer, session), (layer, add) -> {
          throw new KoraException(ErrorCode.INTERCEPTOR_FAILED,
              "validateMutation may not add to a mutation (at " + layer.path() + ")");
        });
  }

  private Future<Mutation> before(Mutation mutation, Session session) {
    if (befores.isEmpty()) {
      return Future.succeededFuture(Mutation.empty());
    }
    List<RawLayer> layers = layers(mutation);
    Mutation[] additions = {Mutation.empty()};
    return run(befores, layers, mutation, (interceptor, layer) ->
        interceptor.beforeMutation(layer, session), (layer, add) -> {
          Mutation addition = add.relative() ? add.addition().inflate(layer.path())
              : add.addition();
          additions[0] = additions[0].combine(addition);
        }).map(v -> additions[0]);
  }

  private Future<List<Effect>> decideEffects(Mutation mutation, Session session) {
    if (effects.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    List<Effect> jobs = new ArrayList<>();
    for (Interceptor interceptor : effects) {
      for (RawLayer raw : layers(mutation)) {
        MutationLayer layer = raw.forPattern(interceptor.pattern(), mutation);
        if (layer == null) {
          continue;
        }
        try {
          jobs.addAll(interceptor.effect(layer, session));
        } catch (KoraException e) {
          return Future.failedFuture(e);
        } catch (RuntimeException e) {
          return Future.failedFuture(failed(interceptor, e));
        }
      }
    }
    return Future.succeededFuture(jobs);
  }

  /**
   * Runs {@code afterMutation}; failures are logged.
   *
   * @param mutation the committed mutation
   * @param session who wrote
   */
  public void afterMutation(Mutation mutation, Session session) {
    if (afters.isEmpty()) {
      return;
    }
    List<RawLayer> layers = layers(mutation);
    for (Interceptor interceptor : afters) {
      for (RawLayer raw : layers) {
        MutationLayer layer = raw.forPattern(interceptor.pattern(), mutation);
        if (layer == null) {
          continue;
        }
        try {
          interceptor.afterMutation(layer, session);
        } catch (RuntimeException e) {
          LOG.log(System.Logger.Level.WARNING, "afterMutation of " + interceptor.name()
              + " failed at " + layer.path(), e);
        }
      }
    }
  }

  /**
   * Runs {@code beforeQuery} for every queried path, including patterns below a queried path (reading
   * a parent reads the children).
   *
   * @param query the query or subscription
   * @param session who reads
   * @return succeeds, or fails with the first refusal
   */
  public Future<Void> checkQuery(Query query, Session session) {
    if (queryCheckers.isEmpty()) {
      return Future.succeededFuture();
    }
    Future<Void> chain = Future.succeededFuture();
    for (Query.Entry entry : query.entries()) {
      for (Interceptor interceptor : queryCheckers) {
        Map<String, String> captures = queryCaptures(interceptor.pattern(), entry.path());
        if (captures == null) {
          continue;
        }
        QueryLayer layer = new QueryLayer(entry.path(), captures, entry.options());
        chain = chain.compose(v -> settle(interceptor, () -> interceptor.beforeQuery(layer,
            session)).compose(result -> {
              if (result instanceof InterceptorResult.Fail fail) {
                return Future.failedFuture(new KoraException(fail.code(), fail.message()));
              }
              if (result instanceof InterceptorResult.Add) {
                return Future.failedFuture(new KoraException(ErrorCode.INTERCEPTOR_FAILED,
                    "interceptor " + interceptor.name() + " answered a query with an addition"));
              }
              return Future.succeededFuture();
            }));
      }
    }
    return chain;
  }

  /**
   * @param path a queried path
   * @param options its options
   * @param session who reads
   * @return the first resolution of an interceptor whose pattern matches {@code path} exactly, or
   *     {@link Resolution#none()}
   */
  public Resolution resolve(Path path, QueryOptions options, Session session) {
    for (Interceptor interceptor : resolvers) {
      Map<String, String> captures = interceptor.pattern().match(path);
      if (captures == null) {
        continue;
      }
      Resolution resolution;
      try {
        resolution = interceptor.resolveQuery(new QueryLayer(path, captures, options), session);
      } catch (KoraException e) {
        return Resolution.later(Future.failedFuture(e));
      } catch (RuntimeException e) {
        return Resolution.later(Future.failedFuture(failed(interceptor, e)));
      }
      if (!(resolution instanceof Resolution.None)) {
        return resolution;
      }
    }
    return Resolution.none();
  }

  /**
   * @param subscribed a subscribed path
   * @param part the part of a committed change for it
   * @param session the subscriber's connection
   * @return what that subscriber may see; empty to skip. A failing filter delivers nothing.
   */
  public Mutation filter(Path subscribed, Mutation part, Session session) {
    Mutation result = part;
    for (Interceptor interceptor : filters) {
      Map<String, String> captures = queryCaptures(interceptor.pattern(), subscribed);
      if (captures == null) {
        continue;
      }
      try {
        result = interceptor.filterDelivery(subscribed, captures, result, session);
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "filterDelivery of " + interceptor.name()
            + " failed for " + subscribed + "; nothing delivered", e);
        return Mutation.empty();
      }
      if (result == null || result.isEmpty()) {
        return Mutation.empty();
      }
    }
    return result;
  }

  private static Map<String, String> queryCaptures(PathPattern pattern, Path path) {
    Map<String, String> captures = pattern.match(path);
    if (captures != null) {
      return captures;
    }
    return pattern.reachesBelow(path) ? pattern.partialCaptures(path) : null;
  }

  private interface Hook {
    InterceptorResult call(Interceptor interceptor, MutationLayer layer);
  }

  private interface AddHandler {
    void add(MutationLayer layer, InterceptorResult.Add add);
  }

  private Future<Void> run(List<Interceptor> interceptors, List<RawLayer> layers, Mutation mutation,
      Hook hook, AddHandler onAdd) {
    List<Step> steps = new ArrayList<>();
    for (Interceptor interceptor : interceptors) {
      for (RawLayer raw : layers) {
        MutationLayer layer = raw.forPattern(interceptor.pattern(), mutation);
        if (layer != null) {
          steps.add(new Step(interceptor, layer));
        }
      }
    }
    return runSteps(steps.iterator(), hook, onAdd);
  }

  private record Step(Interceptor interceptor, MutationLayer layer) {
  }

  private Future<Void> runSteps(Iterator<Step> steps, Hook hook, AddHandler onAdd) {
    while (steps.hasNext()) {
      Step step = steps.next();
      InterceptorResult result;
      try {
        result = hook.call(step.interceptor(), step.layer());
      } catch (KoraException e) {
        return Future.failedFuture(e);
      } catch (RuntimeException e) {
        return Future.failedFuture(failed(step.interceptor(), e));
      }
      if (result instanceof InterceptorResult.Later later) {
        return settle(step.interceptor(), () -> later).compose(settled -> {
          Future<Void> handled = handle(step, settled, onAdd);
          return handled.compose(v -> runSteps(steps, hook, onAdd));
        });
      }
      Future<Void> handled = handle(step, result, onAdd);
      if (handled.failed()) {
        return handled;
      }
    }
    return Future.succeededFuture();
  }

  private static Future<Void> handle(Step step, InterceptorResult result, AddHandler onAdd) {
    if (result == null) {
      return Future.failedFuture(new KoraException(ErrorCode.INTERCEPTOR_FAILED, "interceptor "
          + step.interceptor().name() + " answered null at " + step.layer().path()));
    }
    if (result instanceof InterceptorResult.Fail fail) {
      return Future.failedFuture(new KoraException(fail.code(), fail.message()));
    }
    if (result instanceof InterceptorResult.Add add) {
      try {
        onAdd.add(step.layer(), add);
      } catch (KoraException e) {
        return Future.failedFuture(e);
      }
    }
    return Future.succeededFuture();
  }

  /** Resolves a possibly asynchronous result; failures become {@code interceptor_failed}. */
  private static Future<InterceptorResult> settle(Interceptor interceptor,
      java.util.function.Supplier<InterceptorResult> call) {
    InterceptorResult result;
    try {
      result = call.get();
    } catch (KoraException e) {
      return Future.failedFuture(e);
    } catch (RuntimeException e) {
      return Future.failedFuture(failed(interceptor, e));
    }
    if (result instanceof InterceptorResult.Later later) {
      return later.future().recover(e -> Future.failedFuture(e instanceof KoraException ? e
          : failed(interceptor, e))).compose(inner -> settle(interceptor, () -> inner));
    }
    return Future.succeededFuture(result);
  }

  private static KoraException failed(Interceptor interceptor, Throwable e) {
    return new KoraException(ErrorCode.INTERCEPTOR_FAILED, "interceptor " + interceptor.name()
        + " failed: " + e, e);
  }

  /**
   * @param mutation a mutation
   * @return every path in its merge or delete tree, branches and leaves, parents first in key order
   */
  static List<RawLayer> layers(Mutation mutation) {
    List<RawLayer> result = new ArrayList<>();
    collect(Path.ROOT, mutation.merge(), mutation.delete(), result);
    return result;
  }

  private static void collect(Path path, Object merge, Object delete, List<RawLayer> result) {
    result.add(new RawLayer(path, merge, delete));
    TreeSet<String> children = new TreeSet<>(Path.KEY_ORDER);
    if (merge instanceof JsonObject) {
      children.addAll(((JsonObject) merge).fieldNames());
    }
    if (delete instanceof JsonObject) {
      children.addAll(((JsonObject) delete).fieldNames());
    }
    for (String key : children) {
      Object childMerge = merge instanceof JsonObject ? ((JsonObject) merge).getValue(key) : null;
      Object childDelete = delete instanceof JsonObject ? ((JsonObject) delete).getValue(key) : null;
      collect(path.child(key), childMerge, childDelete, result);
    }
  }

  /** A layer before pattern matching. */
  record RawLayer(Path path, Object merge, Object delete) {

    boolean coversSubtree() {
      return delete instanceof Number || (merge != null && !(merge instanceof JsonObject));
    }

    MutationLayer forPattern(PathPattern pattern, Mutation mutation) {
      Map<String, String> captures = pattern.match(path);
      if (captures == null) {
        if (!coversSubtree() || !pattern.reachesBelow(path)) {
          return null;
        }
        captures = pattern.partialCaptures(path);
      }
      return new MutationLayer(path, captures, merge, delete, mutation);
    }
  }
}
