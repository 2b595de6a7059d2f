package dev.kora.bench;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/** HdrHistogram helpers: latencies are recorded in nanoseconds, reported in milliseconds. */
final class Latency {

  /** Highest latency tracked: 5 minutes, in ns. */
  static final long HIGHEST_NANOS = 300_000_000_000L;

  private Latency() {
  }

  /** @return a recorder for latencies in ns, 3 significant digits, safe for concurrent writers */
  static Recorder recorder() {
    return new Recorder(1, HIGHEST_NANOS, 3);
  }

  /** Records a latency, clamped into the histogram's range. */
  static void record(Recorder recorder, long nanos) {
    recorder.recordValue(clamp(nanos));
  }

  /** @return a latency in ns within the histograms' range: 1 ns to {@link #HIGHEST_NANOS} */
  static long clamp(long nanos) {
    return Math.max(1, Math.min(HIGHEST_NANOS, nanos));
  }

  /**
   * Puts {@code PREFIXp50_ms}, {@code PREFIXp99_ms}, {@code PREFIXmax_ms} (and p99.9) into a result.
   *
   * @param prefix e.g. {@code ""} or {@code "page_"}
   */
  static void put(Result result, String prefix, Histogram histogram) {
    if (histogram.getTotalCount() == 0) {
      result.put(prefix + "p50_ms", null).put(prefix + "p99_ms", null).put(prefix + "max_ms", null);
      return;
    }
    result.put(prefix + "p50_ms", ms(histogram.getValueAtPercentile(50)));
    result.put(prefix + "p99_ms", ms(histogram.getValueAtPercentile(99)));
    result.put(prefix + "p999_ms", ms(histogram.getValueAtPercentile(99.9)));
    result.put(prefix + "max_ms", ms(histogram.getMaxValue()));
  }

  static double ms(long nanos) {
    return Result.round(nanos / 1e6);
  }
}
