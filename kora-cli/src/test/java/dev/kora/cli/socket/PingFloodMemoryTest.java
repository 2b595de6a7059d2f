package dev.kora.cli.socket;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kora.cli.durability.NodeProcess;
import dev.kora.testkit.ChildJvm;
import dev.kora.testkit.PingFlood;
import dev.kora.testkit.RawWebSocket;
import dev.kora.testkit.TestSocket;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12, finding 1, against {@code kora serve} on SQLite in its own JVM with a 256 MB heap:
 * clients that send pings in a loop and never read the pongs. Before, the node read every ping and
 * kept a pong for each (RSS from 0.13 to 2 GB in 10 s; with a bounded heap an OutOfMemoryError, then
 * a node that answered no one and ignored SIGTERM). Now it stops reading a connection whose output
 * is not writable, so the flooders' writes block after a few MB, the node's resident memory stays
 * near where it was, a well-behaved client is still answered, and SIGTERM still stops the node.
 *
 * <p>Why a child JVM: the point is the node's memory under a bound, which only a process of its own
 * shows (its heap limit and its resident set, read from {@code /proc/PID/status}); in the test JVM
 * the flood would share the heap with the test.
 */
@ExtendWith(VertxExtension.class)
class PingFloodMemoryTest {

  private static final int FLOODERS = 4;
  /** Per flooder: together twice the node's heap, in pongs the old node would have kept. */
  private static final long FLOOD_BYTES = 128L * 1024 * 1024;

  @Test
  void pingsNeverReadDoNotGrowTheNodesMemory(Vertx vertx, @TempDir Path folder) throws Exception {
    assumeTrue(Files.isReadable(Path.of("/proc/self/status")), "reads VmRSS from /proc (Linux)");
    try (NodeProcess node = NodeProcess.start("sqlite:" + folder.resolve("kora.db"), 60,
        ChildJvm.SMALL_JVM)) {
      TestSocket client = TestSocket.connect(vertx, node.port).await();
      client.roundTrip().await();
      long before = residentKib(node);
      List<RawWebSocket> flooders = new ArrayList<>();
      List<PingFlood> floods = new ArrayList<>();
      try {
        for (int i = 0; i < FLOODERS; i++) {
          RawWebSocket flooder = RawWebSocket.connect(node.port);
          flooders.add(flooder);
          floods.add(PingFlood.start(flooder, FLOOD_BYTES));
        }
        List<Long> stalls = new ArrayList<>();
        for (PingFlood flood : floods) {
          long stalledAt = flood.awaitStall(vertx, 60_000);
          stalls.add(stalledAt);
          assertTrue(stalledAt < FLOOD_BYTES / 4, "the node kept reading pings from a client "
              + "that reads none of its pongs: " + stalledAt + " bytes\n" + node.output());
        }
        long during = residentKib(node);
        System.out.println("ping flood: writes blocked after " + stalls + " bytes; node RSS "
            + before + " KiB before, " + during + " KiB during");
        assertTrue(during - before < 128 * 1024, "the node's resident memory grew from " + before
            + " KiB to " + during + " KiB during the flood\n" + node.output());
      } finally {
        flooders.forEach(RawWebSocket::close);
        for (PingFlood flood : floods) {
          flood.join();
        }
      }
      client.roundTrip().await();
      TestSocket newcomer = TestSocket.connect(vertx, node.port).await();
      newcomer.roundTrip().await();
      newcomer.close().await();
      client.close().await();
      node.process().destroy();
      assertTrue(node.process().waitFor(30, TimeUnit.SECONDS), "SIGTERM stops the node\n"
          + node.output());
    }
  }

  /** @return the process's resident set size in KiB ({@code VmRSS} in {@code /proc/PID/status}) */
  private static long residentKib(NodeProcess node) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + node.process().pid() + "/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new IOException("no VmRSS in /proc/" + node.process().pid() + "/status");
  }
}
