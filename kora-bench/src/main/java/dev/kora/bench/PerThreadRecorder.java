package dev.kora.bench;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;

/**
 * Latencies in ns recorded by many threads at a high rate (the fan-out subscribers' 200,000 pushes a
 * second): one HdrHistogram {@link SingleWriterRecorder} per recording thread, so that no two threads
 * contend for the same counters, merged when read. A shared concurrent {@code Recorder} costs each
 * recording a few contended atomic operations, CPU the load tool would take from the node on a shared
 * machine.
 */
final class PerThreadRecorder {

  private final List<SingleWriterRecorder> recorders = new CopyOnWriteArrayList<>();
  private final ThreadLocal<SingleWriterRecorder> own = ThreadLocal.withInitial(() -> {
    SingleWriterRecorder recorder = new SingleWriterRecorder(1, Latency.HIGHEST_NANOS, 3);
    recorders.add(recorder);
    return recorder;
  });

  /** Records a latency in ns from the calling thread, clamped into the histogram's range. */
  void record(long nanos) {
    own.get().recordValue(Latency.clamp(nanos));
  }

  /** @return what every thread recorded since the last call, merged; from any thread */
  Histogram intervalHistogram() {
    Histogram merged = new Histogram(1, Latency.HIGHEST_NANOS, 3);
    for (SingleWriterRecorder recorder : recorders) {
      merged.add(recorder.getIntervalHistogram());
    }
    return merged;
  }
}
