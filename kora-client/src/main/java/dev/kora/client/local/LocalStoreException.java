package dev.kora.client.local;

/** A local store could not be read or written (a disk error, a file another program damaged). */
public final class LocalStoreException extends RuntimeException {

  /**
   * @param message what failed, naming the store's file where there is one
   * @param cause the underlying failure
   */
  public LocalStoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
