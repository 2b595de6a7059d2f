package dev.kora.client.local;

/** The conformance suite on the memory store: reopening is loading the same instance again. */
class MemoryLocalStoreTest extends LocalStoreTestBase {

  @Override
  protected LocalStore open() {
    return new MemoryLocalStore();
  }

  @Override
  protected LocalStore reopen(LocalStore closed) {
    return closed;
  }
}
