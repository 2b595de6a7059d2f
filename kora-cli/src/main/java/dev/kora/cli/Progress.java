package dev.kora.cli;

import java.io.PrintStream;

/**
 * A progress bar on stderr: redrawn in place on a terminal, a line every few seconds otherwise.
 * {@code [##########----------]  50%  85,537 items  512,000 leaves  101,233 leaves/s}
 */
final class Progress {

  private static final int WIDTH = 30;

  private final PrintStream out;
  private final String unit;
  private final boolean terminal;
  private final long startNanos = System.nanoTime();
  private long lastDrawNanos;

  Progress(PrintStream out, String unit) {
    this.out = out;
    this.unit = unit;
    this.terminal = System.console() != null;
  }

  /**
   * @param fraction 0 to 1
   * @param items items done
   * @param leaves leaves done
   * @param last whether this is the final update
   */
  void update(double fraction, long items, long leaves, boolean last) {
    long now = System.nanoTime();
    long interval = terminal ? 200_000_000L : 5_000_000_000L;
    if (!last && now - lastDrawNanos < interval) {
      return;
    }
    lastDrawNanos = now;
    double seconds = Math.max((now - startNanos) / 1e9, 1e-9);
    int filled = (int) Math.round(Math.min(1, fraction) * WIDTH);
    String line = String.format("[%s%s] %3d%%  %,d %s  %,d leaves  %,.0f leaves/s  %.1f s",
        "#".repeat(filled), "-".repeat(WIDTH - filled), (int) Math.round(fraction * 100), items,
        unit, leaves, leaves / seconds, seconds);
    if (terminal) {
      out.print("\r" + line + (last ? "\n" : ""));
    } else {
      out.println(line);
    }
    out.flush();
  }

  /** @return seconds since the start */
  double seconds() {
    return (System.nanoTime() - startNanos) / 1e9;
  }
}
