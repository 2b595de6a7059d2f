package dev.kora.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.List;

/** Facts about this machine and process for the report: cores, load, Java, memory. Linux only for RSS. */
final class Machine {

  private Machine() {
  }

  /** Adds the machine's description to a result: cores, Java, load average now. */
  static void describe(Result result) {
    result.put("cores", Runtime.getRuntime().availableProcessors());
    result.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
    result.put("load_average_1m", loadAverage());
  }

  /** @return the 1-minute load average, or NaN when /proc/loadavg is not readable */
  static double loadAverage() {
    try {
      String line = Files.readString(Paths.get("/proc/loadavg"));
      return Double.parseDouble(line.split(" ")[0]);
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
  }

  /**
   * @param pid a process id
   * @return its resident set size in bytes (VmRSS), or -1 when unknown
   */
  static long rssBytes(long pid) {
    try {
      List<String> lines = Files.readAllLines(Paths.get("/proc/" + pid + "/status"));
      for (String line : lines) {
        if (line.startsWith("VmRSS:")) {
          String[] parts = line.trim().split("\\s+");
          return Long.parseLong(parts[1]) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux, or the process is gone
    }
    return -1;
  }

  /**
   * Runs full collections until the used heap stops shrinking (at most 5), then reads it.
   *
   * @return heap bytes in use after GC in this JVM
   */
  static long heapAfterGc() {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    long last = Long.MAX_VALUE;
    for (int i = 0; i < 5; i++) {
      System.gc();
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      long used = memory.getHeapMemoryUsage().getUsed();
      if (used >= last - 64 * 1024) {
        return Math.min(used, last);
      }
      last = used;
    }
    return last;
  }

  /** @return CPU time (user + system) this JVM has used, in ns, or -1 */
  static long processCpuNanos() {
    java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
      return sun.getProcessCpuTime();
    }
    return -1;
  }

  /**
   * @param pid a process id
   * @return {user, system} CPU clock ticks of the process from /proc/PID/stat, or null
   */
  static long[] userSystemTicks(long pid) {
    try {
      String stat = Files.readString(Paths.get("/proc/" + pid + "/stat"));
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return new long[] {Long.parseLong(fields[11]), Long.parseLong(fields[12])};
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /**
   * @return the machine's CPU time so far from the {@code cpu} line of /proc/stat, in clock ticks:
   *     {all, idle (idle + iowait), steal}, or null when not readable. Steal is time the hypervisor
   *     gave another guest while this one had work: on a shared VM it is CPU the run did not get.
   */
  static long[] machineTicks() {
    try {
      String line = Files.readAllLines(Paths.get("/proc/stat")).get(0);
      String[] fields = line.trim().split("\\s+");
      long all = 0;
      // user nice system idle iowait irq softirq steal (guest time is already counted in user)
      for (int i = 1; i <= 8 && i < fields.length; i++) {
        all += Long.parseLong(fields[i]);
      }
      long idle = Long.parseLong(fields[4]) + Long.parseLong(fields[5]);
      long steal = fields.length > 8 ? Long.parseLong(fields[8]) : 0;
      return new long[] {all, idle, steal};
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** Samples the CPU time of the node and of this JVM at the start and end of a measured window. */
  static final class CpuWindow {
    private final BenchNode node;
    private long nodeStart;
    private long selfStart;
    private long nodeEnd;
    private long selfEnd;
    private long[] nodeTicksStart;
    private long[] nodeTicksEnd;
    private long[] machineStart;
    private long[] machineEnd;

    CpuWindow(BenchNode node) {
      this.node = node;
    }

    void start() {
      nodeTicksStart = node.pid() > 0 ? userSystemTicks(node.pid()) : null;
      nodeStart = node.cpuNanos();
      selfStart = processCpuNanos();
      machineStart = machineTicks();
    }

    void stop() {
      nodeTicksEnd = node.pid() > 0 ? userSystemTicks(node.pid()) : null;
      nodeEnd = node.cpuNanos();
      selfEnd = processCpuNanos();
      machineEnd = machineTicks();
    }

    /**
     * Puts {@code cpu_us_per_op_node} (a child node alone) and {@code cpu_us_per_op_this_jvm} (the
     * load tool, plus the node when it runs in this JVM), the cores they kept busy, and the
     * machine's {@code cpu_idle_share} and {@code cpu_steal_share} (fractions of all its CPU time
     * in the window: steal is what the hypervisor took for other guests, so figures from runs with
     * much of it are not comparable with others).
     */
    void put(Result result, double ops, double seconds) {
      put(result, "", ops, seconds);
    }

    /** As {@link #put(Result, double, double)}, every name after {@code prefix}, e.g. {@code client_}. */
    void put(Result result, String prefix, double ops, double seconds) {
      if (node.cpuIsNodeOnly() && nodeStart >= 0 && nodeEnd >= 0) {
        result.put(prefix + "cpu_us_per_op_node", Result.round((nodeEnd - nodeStart) / 1e3 / ops));
        result.put(prefix + "cpu_cores_node", Result.round((nodeEnd - nodeStart) / 1e9 / seconds));
        if (nodeTicksStart != null && nodeTicksEnd != null) {
          long user = nodeTicksEnd[0] - nodeTicksStart[0];
          long system = nodeTicksEnd[1] - nodeTicksStart[1];
          result.put(prefix + "cpu_kernel_share_node", Result.round(system / (double) Math.max(1, user + system)));
        }
      }
      if (machineStart != null && machineEnd != null && machineEnd[0] > machineStart[0]) {
        double all = machineEnd[0] - machineStart[0];
        result.put(prefix + "cpu_idle_share", Result.round((machineEnd[1] - machineStart[1]) / all));
        result.put(prefix + "cpu_steal_share", Result.round((machineEnd[2] - machineStart[2]) / all));
      }
      if (selfStart >= 0 && selfEnd >= 0) {
        result.put(prefix + "cpu_us_per_op_this_jvm", Result.round((selfEnd - selfStart) / 1e3 / ops));
        result.put(prefix + "cpu_cores_this_jvm", Result.round((selfEnd - selfStart) / 1e9 / seconds));
      }
    }
  }

  /** @return the command that starts a JVM like this one: the java binary */
  static String javaBinary() {
    return ProcessHandle.current().info().command()
        .orElse(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
  }
}
