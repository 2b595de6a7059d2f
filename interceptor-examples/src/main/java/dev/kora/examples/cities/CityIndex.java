package dev.kora.examples.cities;

import dev.kora.interceptors.Interceptor;
import dev.kora.interceptors.InterceptorResult;
import dev.kora.interceptors.KoraContext;
import dev.kora.interceptors.MutationLayer;
import dev.kora.interceptors.PathPattern;
import dev.kora.interceptors.Session;
import dev.kora.tree.LeafWrite;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import dev.kora.tree.QueryOptions;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Keeps {@code country:cities/<country>/<id>} = name in step with {@code cities/<id>}. It runs once per
 * mutation, on the {@code cities} layer, so an import batch of hundreds of cities costs one store read:
 * the stored versions of the touched cities are read as one key range (or one by one when there are
 * few), the mutation is applied to them in memory, and the index entries that changed are added to the
 * same write. Deleting {@code cities} whole deletes the whole index.
 */
final class CityIndex implements Interceptor {

  static final Path CITIES = Path.of("cities");
  static final Path INDEX = Path.of("country:cities");
  private static final PathPattern PATTERN = PathPattern.parse("cities");
  /** Up to this many touched cities are read one by one; more as one key range. */
  private static final int POINT_READS = 16;

  private KoraContext context;

  void start(KoraContext context) {
    this.context = context;
  }

  KoraContext context() {
    return context;
  }

  @Override
  public PathPattern pattern() {
    return PATTERN;
  }

  @Override
  public String name() {
    return "city-index";
  }

  @Override
  public InterceptorResult beforeMutation(MutationLayer layer, Session session) {
    if (layer.deletesPath() || layer.writesLeaf()) {
      // Every city goes: so does every index entry (a merge under cities comes back below).
      Mutation wipe = Mutation.delete(INDEX);
      return layer.mergeObject() == null ? InterceptorResult.combine(wipe)
          : InterceptorResult.later(index(layer, new JsonObject()).map(added ->
              InterceptorResult.combine(wipe.combine(added))));
    }
    return InterceptorResult.later(read(touched(layer)).compose(stored -> index(layer, stored))
        .map(InterceptorResult::combine));
  }

  private static TreeSet<String> touched(MutationLayer layer) {
    TreeSet<String> ids = new TreeSet<>(Path.KEY_ORDER);
    if (layer.mergeObject() != null) {
      ids.addAll(layer.mergeObject().fieldNames());
    }
    if (layer.delete() instanceof JsonObject deletes) {
      ids.addAll(deletes.fieldNames());
    }
    return ids;
  }

  /** @return the stored cities among {@code ids}, by id */
  private Future<JsonObject> read(TreeSet<String> ids) {
    if (ids.isEmpty()) {
      return Future.succeededFuture(new JsonObject());
    }
    if (ids.size() > POINT_READS) {
      // The smallest key above ids.last() is ids.last() + " ": keys hold no control characters.
      return context.read(CITIES, new QueryOptions(ids.first(), ids.last() + " ", null, false))
          .map(found -> found instanceof JsonObject json ? json : new JsonObject());
    }
    List<Future<Object>> reads = new ArrayList<>();
    for (String id : ids) {
      reads.add(context.read(CITIES.child(id)));
    }
    return Future.all(reads).map(all -> {
      JsonObject found = new JsonObject();
      int i = 0;
      for (String id : ids) {
        Object city = reads.get(i++).result();
        if (city != null) {
          found.put(id, city);
        }
      }
      return found;
    });
  }

  /** @return the index changes for the cities this layer touches, given their stored versions */
  private Future<Mutation> index(MutationLayer layer, JsonObject stored) {
    Mutation relative = Mutation.of(layer.mergeObject(),
        layer.delete() instanceof JsonObject deletes ? deletes : null);
    List<Path> deletes = new ArrayList<>();
    List<LeafWrite> writes = new ArrayList<>();
    for (String id : touched(layer)) {
      Entry before = Entry.of(stored.getValue(id));
      Entry after = Entry.of(cityAfter(relative, id, stored.getValue(id)));
      if (before.equals(after)) {
        continue;
      }
      if (before.country() != null && !before.country().equals(after.country())) {
        deletes.add(INDEX.child(before.country()).child(id));
      }
      if (after.country() != null) {
        writes.add(new LeafWrite(INDEX.child(after.country()).child(id),
            after.name() == null ? "" : after.name()));
      }
    }
    return Future.succeededFuture(Mutation.fromFlat(deletes, writes));
  }

  private static Object cityAfter(Mutation relative, String id, Object stored) {
    JsonObject tree = new JsonObject();
    if (stored != null) {
      tree.put(id, stored instanceof JsonObject json ? json.copy() : stored);
    }
    return relative.restrictTo(Path.of(id)).applyTo(tree).getValue(id);
  }

  /** A city's index entry: its country code (a valid key) and name, or nothing. */
  private record Entry(String country, String name) {
    static Entry of(Object city) {
      if (!(city instanceof JsonObject json) || !(json.getValue("country") instanceof String code)
          || !validKey(code)) {
        return new Entry(null, null);
      }
      Object name = json.getValue("name");
      return new Entry(code, name instanceof String text ? text : null);
    }
  }

  private static boolean validKey(String key) {
    try {
      Path.checkKey(key);
      return true;
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** For tests and docs: the whole index of one country. */
  Future<Map<String, Object>> country(String code) {
    return context.read(INDEX.child(code))
        .map(found -> found instanceof JsonObject json ? json.getMap() : Map.of());
  }
}
