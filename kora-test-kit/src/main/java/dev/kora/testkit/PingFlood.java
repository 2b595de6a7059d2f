package dev.kora.testkit;

import io.vertx.core.Vertx;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A client that sends WebSocket pings as fast as it can and never reads the pongs, from its own
 * thread, counting what it managed to write: a node that keeps reading it (and buffering a pong for
 * each ping) lets it write everything; a node that stops reading it makes its writes block once the
 * socket buffers are full. Part of kora-test-kit.
 */
public final class PingFlood {

  private final Thread writer;
  private final AtomicLong written = new AtomicLong();

  private PingFlood(RawWebSocket client, long bytes) {
    byte[] ping = RawWebSocket.frame(true, RawWebSocket.PING, new byte[125], true);
    byte[] chunk = new byte[ping.length * 512];
    for (int i = 0; i < 512; i++) {
      System.arraycopy(ping, 0, chunk, i * ping.length, ping.length);
    }
    writer = new Thread(() -> {
      try {
        while (written.get() < bytes) {
          client.output().write(chunk);
          written.addAndGet(chunk.length);
        }
      } catch (IOException closed) {
        // The test closed the socket to end the flood, or the node closed it.
      }
    }, "ping-flood");
    writer.setDaemon(true);
  }

  /**
   * Starts flooding; close the client to end the flood before it has written everything.
   *
   * @param client an upgraded connection
   * @param bytes how many bytes of pings (of 125 bytes of data each) to write at most
   * @return the running flood
   */
  public static PingFlood start(RawWebSocket client, long bytes) {
    PingFlood flood = new PingFlood(client, bytes);
    flood.writer.start();
    return flood;
  }

  /**
   * @param vertx for timers (call off its event loops)
   * @param timeoutMs at most this long
   * @return the bytes written once the writer has made no progress for a second (its writes block),
   *     or once it has ended; fails after {@code timeoutMs}
   */
  public long awaitStall(Vertx vertx, long timeoutMs) {
    long[] last = {-1};
    return Eventually.poll(vertx, timeoutMs, "the ping flood to stall or end",
        () -> vertx.timer(1_000).map(v -> {
          long now = written.get();
          boolean stalled = now == last[0] || !writer.isAlive();
          last[0] = now;
          return stalled ? now : -1L;
        }), at -> at >= 0).await();
  }

  /** Waits (bounded) for the writer to end, once its connection is closed. */
  public void join() throws InterruptedException {
    writer.join(10_000);
  }
}
