package dev.kora.examples.cities;

import dev.kora.interceptors.Interceptor;
import dev.kora.interceptors.InterceptorResult;
import dev.kora.interceptors.MutationLayer;
import dev.kora.interceptors.PathPattern;
import dev.kora.interceptors.QueryLayer;
import dev.kora.interceptors.Resolution;
import dev.kora.interceptors.Session;
import io.vertx.core.json.JsonObject;

/**
 * The virtual path {@code country:stats/<code>}: reading it answers {@code {"cities": N}}, counted from
 * the index when asked; nothing is stored there, and writes to it are refused.
 */
final class CountryStats implements Interceptor {

  private static final PathPattern PATTERN = PathPattern.parse("country:stats/{code}");

  private final CityIndex index;

  CountryStats(CityIndex index) {
    this.index = index;
  }

  @Override
  public PathPattern pattern() {
    return PATTERN;
  }

  @Override
  public String name() {
    return "country-stats";
  }

  @Override
  public InterceptorResult validateMutation(MutationLayer layer, Session session) {
    return InterceptorResult.deny("country:stats is computed; it cannot be written");
  }

  @Override
  public Resolution resolveQuery(QueryLayer layer, Session session) {
    return Resolution.later(index.context().read(CityIndex.INDEX.child(layer.capture("code")))
        .map(found -> {
          int count = found instanceof JsonObject json ? json.size() : 0;
          return count == 0 ? null : new JsonObject().put("cities", count);
        }));
  }
}
