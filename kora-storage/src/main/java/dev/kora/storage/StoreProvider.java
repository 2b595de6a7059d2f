package dev.kora.storage;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * A driver: found with {@link java.util.ServiceLoader} (list the class in
 * {@code META-INF/services/dev.kora.storage.StoreProvider}). Exactly one provider must
 * {@link #accepts(StoreOptions) accept} a URL; none or several is an error.
 */
public interface StoreProvider {

  /** @return the driver's name, e.g. {@code sqlite} */
  String name();

  /**
   * @param options the options, chiefly the URL
   * @return whether this driver opens that URL (e.g. it starts with {@code sqlite:})
   */
  boolean accepts(StoreOptions options);

  /**
   * Opens the store, creating its tables on first use.
   *
   * @param vertx the Vert.x instance whose workers or clients the store uses
   * @param options the options
   * @return the open store, or a failure with code {@code store_unavailable} (cannot connect) or
   *     {@code invalid_message} (a bad URL)
   */
  Future<Store> open(Vertx vertx, StoreOptions options);
}
