package dev.kora.examples.cities;

import dev.kora.interceptors.Interceptor;
import dev.kora.interceptors.KoraContext;
import dev.kora.interceptors.KoraPlugin;
import java.util.List;

/**
 * A city index over the GeoNames cities imported at {@code cities/<id>} (objects with {@code name},
 * {@code country}, {@code lat}, {@code lng}, ...):
 *
 * <ul>
 *   <li>{@code country:cities/<country code>/<city id>} = the city's name, kept in step by a
 *       {@code beforeMutation} interceptor in the same atomic write as the city (creating, renaming,
 *       moving to another country and deleting a city all update it);</li>
 *   <li>{@code country:stats/<country code>} = {@code {"cities": N}}, a virtual path resolved from the
 *       index at read time.</li>
 * </ul>
 */
public final class CityIndexPlugin implements KoraPlugin {

  private final CityIndex index = new CityIndex();

  @Override
  public void start(KoraContext context) {
    index.start(context);
  }

  @Override
  public List<Interceptor> interceptors() {
    return List.of(index, new CountryStats(index));
  }
}
