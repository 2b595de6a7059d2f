package dev.kora.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/** The node's options: defaults, the JSON form of config files, and refused values. */
class KoraNodeOptionsTest {

  @Test
  void theJsonFormKeepsEveryLimit() {
    KoraNodeOptions options = new KoraNodeOptions().setMaxFrameBytes(65_536)
        .setMaxBacklogBytes(1_048_576).setMaxBatchMutations(10);
    KoraNodeOptions back = new KoraNodeOptions(options.toJson());
    assertEquals(65_536, back.getMaxFrameBytes());
    assertEquals(1_048_576, back.getMaxBacklogBytes());
    assertEquals(10, back.getMaxBatchMutations());
    assertEquals(back.toJson(), new KoraNodeOptions(back).toJson());
  }

  @Test
  void missingFieldsTakeTheDefaults() {
    KoraNodeOptions options = new KoraNodeOptions(new JsonObject());
    assertEquals(KoraNodeOptions.DEFAULT_MAX_BACKLOG_BYTES, options.getMaxBacklogBytes());
    assertEquals(64L * 1024 * 1024, options.getMaxBacklogBytes());
  }

  @Test
  void aBacklogLimitBelow64KiBIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new KoraNodeOptions().setMaxBacklogBytes(1_000));
    assertEquals("maxBacklogBytes must be at least 65536", e.getMessage());
  }

  @Test
  void theWriteLimitsHaveDefaultsAndAJsonForm() {
    KoraNodeOptions defaults = new KoraNodeOptions(new JsonObject());
    assertEquals(100_000, defaults.getMaxLeavesPerMutation());
    assertEquals(1_000, defaults.getMaxPendingWritesPerConnection());
    assertEquals(64 * 1024, defaults.getWorkerParseBytes());
    KoraNodeOptions back = new KoraNodeOptions(new KoraNodeOptions().setMaxLeavesPerMutation(5)
        .setMaxPendingWritesPerConnection(7).setWorkerParseBytes(2048).toJson());
    assertEquals(5, back.getMaxLeavesPerMutation());
    assertEquals(7, back.getMaxPendingWritesPerConnection());
    assertEquals(2048, back.getWorkerParseBytes());
    assertEquals(back.toJson(), new KoraNodeOptions(back).toJson());
    assertThrows(IllegalArgumentException.class, () -> back.setMaxLeavesPerMutation(0));
    assertThrows(IllegalArgumentException.class, () -> back.setMaxPendingWritesPerConnection(0));
    assertThrows(IllegalArgumentException.class, () -> back.setWorkerParseBytes(100));
  }
}
