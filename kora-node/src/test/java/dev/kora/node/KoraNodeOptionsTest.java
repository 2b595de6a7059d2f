package dev.kora.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The node's options: defaults, the JSON form of config files, and refused values. */
class KoraNodeOptionsTest {

  @Test
  void theJsonFormKeepsEveryLimit() {
    KoraNodeOptions options = new KoraNodeOptions().setMaxFrameBytes(65_536)
        .setMaxBacklogBytes(1_048_576).setMaxBatchMutations(10)
        .setAllowedOrigins(List.of("http://localhost:3000")).setAllowedHosts(List.of("kora.test"));
    KoraNodeOptions back = new KoraNodeOptions(options.toJson());
    assertEquals(65_536, back.getMaxFrameBytes());
    assertEquals(1_048_576, back.getMaxBacklogBytes());
    assertEquals(10, back.getMaxBatchMutations());
    assertEquals(List.of("http://localhost:3000"), back.getAllowedOrigins());
    assertEquals(List.of("kora.test"), back.getAllowedHosts());
    assertEquals(back.toJson(), new KoraNodeOptions(back).toJson());
  }

  @Test
  void missingFieldsTakeTheDefaults() {
    KoraNodeOptions options = new KoraNodeOptions(new JsonObject());
    assertEquals(KoraNodeOptions.DEFAULT_MAX_BACKLOG_BYTES, options.getMaxBacklogBytes());
    assertEquals(64L * 1024 * 1024, options.getMaxBacklogBytes());
    assertEquals(List.of(), options.getAllowedOrigins());
    assertEquals(List.of(), options.getAllowedHosts());
  }

  @Test
  void aBacklogLimitBelow64KiBIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new KoraNodeOptions().setMaxBacklogBytes(1_000));
    assertEquals("maxBacklogBytes must be at least 65536", e.getMessage());
  }

  @Test
  void allowListsMustHoldStrings() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new KoraNodeOptions(new JsonObject().put("allowedOrigins", new JsonArray().add(1))));
    assertEquals("allowedOrigins must be a list of strings, got [1]", e.getMessage());
  }
}
