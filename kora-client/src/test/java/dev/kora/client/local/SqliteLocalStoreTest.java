package dev.kora.client.local;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The conformance suite on the SQLite store, reopened on the same file; and its own refusals. */
class SqliteLocalStoreTest extends LocalStoreTestBase {

  @TempDir
  Path folder;

  @Override
  protected LocalStore open() {
    return new SqliteLocalStore(folder.resolve("cache.db").toString());
  }

  @Override
  protected LocalStore reopen(LocalStore closed) {
    return open();
  }

  @Test
  void aSecondClientOnTheSameFileIsRefused() {
    LocalStore first = open();
    first.load();
    try {
      LocalStoreException refused = assertThrows(LocalStoreException.class, () -> {
        LocalStore second = open();
        second.load();
        second.enqueue(new LocalStore.PendingWrite(1, "x:1", dev.kora.tree.Mutation.empty(), null));
      });
      assertTrue(refused.getMessage().contains("cache.db"), refused.getMessage());
    } finally {
      first.close();
    }
  }

  @Test
  void aFileThatIsNotAStoreIsRefusedClearly() throws IOException {
    Path junk = folder.resolve("junk.db");
    Files.writeString(junk, "this is not a database, just text that is long enough to matter");
    LocalStoreException refused = assertThrows(LocalStoreException.class,
        () -> new SqliteLocalStore(junk.toString()).load());
    assertTrue(refused.getMessage().contains("junk.db"), refused.getMessage());
  }
}
