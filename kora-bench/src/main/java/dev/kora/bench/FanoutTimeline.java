package dev.kora.bench;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * {@code fanout --timeline FILE}: one CSV line per update, to see whether the tail of the latency
 * comes from a few stalls or from every update. Columns: {@code update} (its sequence number),
 * {@code due_ms} (when it was due, in ms from the start of the measured window; negative in the
 * warm-up), {@code worst_push_us} (the latest of its pushes, µs from due to received) and
 * {@code reply_us} (the writer's reply to it, µs from sent to received). Costs one
 * atomic maximum per push, so the scenario records it only when asked.
 */
final class FanoutTimeline {

  private final AtomicLongArray worstPushNanos;
  private final long[] replyNanos;

  /** @param updates how many updates the run may send */
  FanoutTimeline(int updates) {
    this.worstPushNanos = new AtomicLongArray(updates);
    this.replyNanos = new long[updates];
  }

  /** Records a push of update {@code seq} received {@code nanos} after it was due; any thread. */
  void push(int seq, long nanos) {
    if (seq >= 0 && seq < replyNanos.length) {
      worstPushNanos.accumulateAndGet(seq, nanos, Math::max);
    }
  }

  /** Records the writer's reply to update {@code seq}; from the writer's thread only. */
  void reply(int seq, long nanos) {
    replyNanos[seq] = nanos;
  }

  /**
   * Writes the CSV; call after the run's pushes have been received.
   *
   * @param start when update 0 was due ({@link System#nanoTime()})
   * @param period ns between updates
   * @param windowFrom when the measured window started
   * @param sent how many updates were sent
   * @throws IOException when the file cannot be written
   */
  void write(Path file, long start, long period, long windowFrom, int sent) throws IOException {
    try (PrintWriter out = new PrintWriter(Files.newBufferedWriter(file, StandardCharsets.UTF_8))) {
      out.println("update,due_ms,worst_push_us,reply_us");
      for (int seq = 0; seq < sent; seq++) {
        out.println(seq + "," + Math.floorDiv(start + seq * period - windowFrom, 1_000_000L) + ","
            + worstPushNanos.get(seq) / 1000 + "," + replyNanos[seq] / 1000);
      }
    }
  }
}
