package dev.kora.cli.client;

import dev.kora.interceptors.Interceptor;
import dev.kora.interceptors.InterceptorResult;
import dev.kora.interceptors.KoraPlugin;
import dev.kora.interceptors.MutationLayer;
import dev.kora.interceptors.PathPattern;
import dev.kora.interceptors.Session;
import java.util.List;

/**
 * A test plugin for node processes: an interceptor that refuses every write under {@code guarded}
 * with the code {@code read_only}. Loaded with {@code kora serve --lib DIR} from a jar that
 * {@link RefusedWriteTest} builds.
 */
public final class ReadOnlyPlugin implements KoraPlugin {

  /** The code the interceptor refuses with. */
  public static final String CODE = "read_only";

  @Override
  public List<Interceptor> interceptors() {
    return List.of(new Interceptor() {
      @Override
      public PathPattern pattern() {
        return PathPattern.parse("guarded");
      }

      @Override
      public InterceptorResult validateMutation(MutationLayer layer, Session session) {
        return InterceptorResult.fail(CODE, "guarded is read-only");
      }
    });
  }
}
