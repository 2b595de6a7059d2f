package dev.kora.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
        .setAllowedOrigins(List.of("http://localhost:3000")).setAllowedHosts(List.of("kora.test"))
        .setRequestHeaderTimeoutMs(500)
        .setWebSocketIdleTimeoutMs(0).setFragmentedMessageTimeoutMs(700)
        .setMaxConnectionsPerAddress(3);
    KoraNodeOptions back = new KoraNodeOptions(options.toJson());
    assertEquals(500, back.getRequestHeaderTimeoutMs());
    assertEquals(0, back.getWebSocketIdleTimeoutMs());
    assertEquals(700, back.getFragmentedMessageTimeoutMs());
    assertEquals(3, back.getMaxConnectionsPerAddress());
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
    assertEquals(10_000, options.getRequestHeaderTimeoutMs());
    assertEquals(300_000, options.getWebSocketIdleTimeoutMs());
    assertEquals(30_000, options.getFragmentedMessageTimeoutMs());
    assertEquals(20_000, options.getMaxConnectionsPerAddress());
  }

  @Test
  void timeoutsAndTheConnectionCapRefuseValuesThatWouldDisableThemByAccident() {
    assertThrows(IllegalArgumentException.class,
        () -> new KoraNodeOptions().setRequestHeaderTimeoutMs(0));
    assertThrows(IllegalArgumentException.class,
        () -> new KoraNodeOptions().setWebSocketIdleTimeoutMs(-1));
    assertThrows(IllegalArgumentException.class,
        () -> new KoraNodeOptions().setFragmentedMessageTimeoutMs(0));
    assertThrows(IllegalArgumentException.class,
        () -> new KoraNodeOptions().setMaxConnectionsPerAddress(0));
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

  @Test
  void theReadLimitsHaveDefaultsAndAJsonForm() {
    KoraNodeOptions defaults = new KoraNodeOptions(new JsonObject());
    assertEquals(KoraNodeOptions.DEFAULT_MAX_READS_PER_CONNECTION,
        defaults.getMaxReadsPerConnection());
    assertEquals(KoraNodeOptions.DEFAULT_MAX_QUERY_PATHS, defaults.getMaxQueryPaths());
    KoraNodeOptions back = new KoraNodeOptions(new KoraNodeOptions().setMaxReadsPerConnection(2)
        .setMaxQueryPaths(50).toJson());
    assertEquals(2, back.getMaxReadsPerConnection());
    assertEquals(50, back.getMaxQueryPaths());
    assertThrows(IllegalArgumentException.class,
        () -> new KoraNodeOptions().setMaxReadsPerConnection(0));
    assertThrows(IllegalArgumentException.class, () -> new KoraNodeOptions().setMaxQueryPaths(0));
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

  @Test
  void securityAndRateOptionsHaveSafeDefaultsAndAJsonForm() {
    KoraNodeOptions defaults = new KoraNodeOptions(new JsonObject());
    assertEquals(null, defaults.getAuth());
    assertEquals(false, defaults.isAllowAnonymous());
    assertEquals(false, defaults.isInsecure());
    assertEquals(null, defaults.getTlsCertPath());
    assertEquals(0.0, defaults.getMaxMutationsPerSecond());
    KoraNodeOptions options = new KoraNodeOptions()
        .setAuth(new dev.kora.auth.JwtOptions().setHmacSecret("s".repeat(32)).setIssuer("i"))
        .setAllowAnonymous(true).setInsecure(true).setTls("cert.pem", "key.pem")
        .setRateLimits(100, 1_000_000, 500, 5_000_000);
    KoraNodeOptions back = new KoraNodeOptions(options.toJson());
    assertEquals(options.toJson(), back.toJson());
    assertEquals(options.toJson(), new KoraNodeOptions(back).toJson());
    assertEquals("i", back.getAuth().getIssuer());
    assertEquals(500.0, back.getMaxMutationsPerSecondPerAddress());
    assertThrows(IllegalArgumentException.class, () -> options.setRateLimits(-1, 0, 0, 0));
    assertThrows(IllegalArgumentException.class,
        () -> new KoraNodeOptions(new JsonObject().put("maxBytesPerSecond", "fast")));
    assertThrows(IllegalArgumentException.class, () -> options.setTls(null, "key.pem"));
  }

  @Test
  void theLogOptionsHaveDefaultsAJsonFormAndRefuseAnUnknownFormat() {
    KoraNodeOptions defaults = new KoraNodeOptions(new JsonObject());
    assertEquals(KoraNodeOptions.LOG_FORMAT_TEXT, defaults.getLogFormat());
    assertEquals(false, defaults.isLogRequests());
    KoraNodeOptions json = new KoraNodeOptions(new JsonObject().put("logFormat", "json")
        .put("logRequests", true));
    assertEquals(KoraNodeOptions.LOG_FORMAT_JSON, json.getLogFormat());
    assertEquals(true, json.isLogRequests());
    KoraNodeOptions again = new KoraNodeOptions(json.toJson());
    assertEquals(KoraNodeOptions.LOG_FORMAT_JSON, again.getLogFormat());
    assertEquals(true, new KoraNodeOptions(again).isLogRequests());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new KoraNodeOptions(new JsonObject().put("logFormat", "yaml")));
    assertTrue(e.getMessage().contains("yaml"), e.getMessage());
  }
}
