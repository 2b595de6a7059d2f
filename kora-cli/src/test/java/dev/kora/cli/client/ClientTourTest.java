package dev.kora.cli.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.cli.durability.NodeProcess;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * docs/client.md's tour runs as written: the page's Java block is {@link ClientTour}'s code between
 * its markers, and that code runs against a node process.
 */
class ClientTourTest {

  @Test
  void theTourOnThePageIsTheCodeThatRuns() throws Exception {
    Path root = Path.of(System.getProperty("user.dir")).getParent();
    String page = Files.readString(root.resolve("docs/client.md"), StandardCharsets.UTF_8);
    String source = Files.readString(root.resolve(
        "kora-cli/src/test/java/dev/kora/cli/client/ClientTour.java"), StandardCharsets.UTF_8);
    String tour = source.substring(source.indexOf("// tour:start\n") + "// tour:start\n".length(),
        source.indexOf("// tour:end")).stripIndent();
    assertTrue(page.contains(tour), "docs/client.md shows ClientTour's code as it is:\n" + tour);

    Path folder = Files.createTempDirectory("kora-tour");
    Vertx vertx = Vertx.vertx();
    try (NodeProcess node = NodeProcess.start("sqlite:" + folder.resolve("node.db"),
        NodeProcess.freePort(), 90, List.of("-Xmx256m"), List.of())) {
      Object value = ClientTour.run(vertx, "ws://127.0.0.1:" + node.port + "/socket",
          folder.resolve("cache.db").toString());
      assertEquals(new JsonObject("{\"t1\":{\"title\":\"milk\",\"done\":true}}"), value);
    } finally {
      vertx.close().await();
    }
  }
}
