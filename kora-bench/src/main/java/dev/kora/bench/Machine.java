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
   * @return the kernel's range of ephemeral ports {first, last}
   *     ({@code /proc/sys/net/ipv4/ip_local_port_range}), {32768, 60999} when it cannot be read
   */
  static int[] ephemeralPorts() {
    // read as a stream: procfs reports a size of 0, and Files.readString of JDK 17 then returns a
    // truncated text ("3" for "32768\t60999")
    try (java.io.InputStream in = Files.newInputStream(
        Paths.get("/proc/sys/net/ipv4/ip_local_port_range"))) {
      String[] range = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII)
          .trim().split("\\s+");
      return new int[] {Integer.parseInt(range[0]), Integer.parseInt(range[1])};
    } catch (IOException | RuntimeException e) {
      return new int[] {32_768, 60_999};
    }
  }

  /**
   * @return this process's limit of open files {soft, hard} from /proc/self/limits
   *     ({@link Long#MAX_VALUE} for unlimited), or null when unknown (not Linux)
   */
  static long[] openFilesLimit() {
    try {
      for (String line : Files.readAllLines(Paths.get("/proc/self/limits"))) {
        if (line.startsWith("Max open files")) {
          String[] parts = line.substring("Max open files".length()).trim().split("\\s+");
          return new long[] {limit(parts[0]), limit(parts[1])};
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux
    }
    return null;
  }

  private static long limit(String text) {
    return text.equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(text);
  }

  /**
   * Raises this process's limit of open files (soft and hard) to at least {@code needed} with
   * util-linux's {@code prlimit --pid}, when it is lower: processes this one starts afterwards (a
   * node in a child JVM) inherit it. Raising the hard limit needs root (CAP_SYS_RESOURCE), and no
   * limit goes above the kernel's {@code fs.nr_open}.
   *
   * @param needed file descriptors this process and its children each need
   * @return the soft limit afterwards, or -1 when unknown
   */
  static long raiseOpenFilesLimit(long needed) {
    long[] limit = openFilesLimit();
    if (limit == null || limit[0] >= needed) {
      return limit == null ? -1 : limit[0];
    }
    long hard = Math.max(limit[1], needed);
    try {
      Process prlimit = new ProcessBuilder("prlimit", "--pid",
          Long.toString(ProcessHandle.current().pid()), "--nofile=" + needed + ":" + hard)
          .redirectErrorStream(true).start();
      String output = new String(prlimit.getInputStream().readAllBytes(),
          java.nio.charset.StandardCharsets.UTF_8).trim();
      if (prlimit.waitFor() != 0) {
        System.err.println("kora-bench: prlimit could not raise the open-file limit to " + needed
            + ": " + output);
      }
    } catch (IOException e) {
      System.err.println("kora-bench: prlimit not found (" + e.getMessage() + ")");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    limit = openFilesLimit();
    return limit == null ? -1 : limit[0];
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

  /** Heap in use and committed, as {@code jcmd GC.heap_info} reports them, in bytes. */
  record HeapInfo(long usedBytes, long committedBytes) {
  }

  /**
   * Reads another JVM's heap with {@code jcmd PID GC.heap_info}, which forces no collection.
   *
   * @param pid the JVM's process id
   * @return its heap's used and committed bytes, or null when jcmd fails or prints no total
   */
  static HeapInfo heapInfo(long pid) {
    java.util.regex.Matcher m = java.util.regex.Pattern
        .compile("total (\\d+)K, used (\\d+)K").matcher(jcmd(pid, "GC.heap_info"));
    return m.find() ? new HeapInfo(Long.parseLong(m.group(2)) * 1024,
        Long.parseLong(m.group(1)) * 1024) : null;
  }

  /**
   * Prints another JVM's {@code jcmd VM.native_memory summary} (it must run with
   * {@code -XX:NativeMemoryTracking=summary}) and the 15 largest resident mappings of
   * {@code pmap -x} on stderr: what its RSS is made of.
   *
   * @param pid the JVM's process id
   */
  static void printNativeMemory(long pid) {
    System.err.println(jcmd(pid, "VM.native_memory", "summary"));
    try {
      Process pmap = new ProcessBuilder("pmap", "-x", Long.toString(pid)).redirectErrorStream(true)
          .start();
      List<String> lines = new String(pmap.getInputStream().readAllBytes(),
          java.nio.charset.StandardCharsets.UTF_8).lines().toList();
      pmap.waitFor();
      System.err.println("pmap -x " + pid + ": the 15 largest resident mappings (KB: size, RSS)");
      lines.stream().filter(line -> line.matches("^[0-9a-f]{8,} .*"))
          .sorted(java.util.Comparator.comparingLong(line -> -Long.parseLong(
              line.trim().split("\\s+")[2])))
          .limit(15).forEach(System.err::println);
      lines.stream().filter(line -> line.startsWith("total")).forEach(System.err::println);
    } catch (IOException | RuntimeException e) {
      System.err.println("pmap failed: " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Runs {@code jcmd PID COMMAND...} with this JVM's jcmd.
   *
   * @return what it printed, or the failure's description
   */
  static String jcmd(long pid, String... command) {
    List<String> line = new java.util.ArrayList<>();
    line.add(Paths.get(System.getProperty("java.home"), "bin", "jcmd").toString());
    line.add(Long.toString(pid));
    line.addAll(List.of(command));
    try {
      Process process = new ProcessBuilder(line).redirectErrorStream(true).start();
      String text = new String(process.getInputStream().readAllBytes(),
          java.nio.charset.StandardCharsets.UTF_8);
      process.waitFor();
      return text;
    } catch (IOException e) {
      return "jcmd failed: " + e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "jcmd interrupted";
    }
  }

  /**
   * @param pid a process id
   * @return its number of threads (from /proc), or -1 when unknown
   */
  static long threads(long pid) {
    try {
      for (String line : Files.readAllLines(Paths.get("/proc/" + pid + "/status"))) {
        if (line.startsWith("Threads:")) {
          return Long.parseLong(line.substring("Threads:".length()).trim());
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

  /**
   * Measures the file system's rate of durable small writes: 4 KiB written at the start of a file
   * and {@code fdatasync}ed ({@link java.nio.channels.FileChannel#force(boolean) force(false)}), over
   * and over, for a while. One durable commit at a time cannot go faster than this.
   *
   * @param folder where to write (the store's folder), a file is made and deleted there
   * @param durationMs how long, ms
   * @return durable writes per second
   * @throws IOException when the file cannot be written
   */
  static double fsyncsPerSecond(java.nio.file.Path folder, long durationMs) throws IOException {
    java.nio.file.Path file = java.nio.file.Files.createTempFile(folder, "fsync-", ".bin");
    try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(file,
        java.nio.file.StandardOpenOption.WRITE)) {
      java.nio.ByteBuffer block = java.nio.ByteBuffer.allocateDirect(4_096);
      long started = System.nanoTime();
      long deadline = started + durationMs * 1_000_000L;
      long count = 0;
      long now;
      do {
        block.clear();
        channel.write(block, 0);
        channel.force(false);
        count++;
        now = System.nanoTime();
      } while (now < deadline);
      return count / ((now - started) / 1e9);
    } finally {
      java.nio.file.Files.deleteIfExists(file);
    }
  }

  /**
   * Samples the CPU time of the node (or of several node processes, summed) and of this JVM at the
   * start and end of a measured window.
   */
  static final class CpuWindow {
    private final List<BenchNode> nodes;
    private long nodeStart;
    private long selfStart;
    private long nodeEnd;
    private long selfEnd;
    private long[] nodeTicksStart;
    private long[] nodeTicksEnd;
    private long[] machineStart;
    private long[] machineEnd;
    private long[] eachStart;
    private long[] eachEnd;

    CpuWindow(BenchNode node) {
      this(List.of(node));
    }

    /** @param nodes the nodes whose CPU time is summed, e.g. the members of a cluster */
    CpuWindow(List<? extends BenchNode> nodes) {
      this.nodes = List.copyOf(nodes);
    }

    void start() {
      nodeTicksStart = nodeTicks();
      eachStart = eachCpuNanos();
      nodeStart = nodeCpuNanos();
      selfStart = processCpuNanos();
      machineStart = machineTicks();
    }

    void stop() {
      nodeTicksEnd = nodeTicks();
      eachEnd = eachCpuNanos();
      nodeEnd = nodeCpuNanos();
      selfEnd = processCpuNanos();
      machineEnd = machineTicks();
    }

    /** @return {user, system} clock ticks of the nodes' processes together; null if one is unknown */
    private long[] nodeTicks() {
      long[] sum = new long[2];
      for (BenchNode node : nodes) {
        long[] ticks = node.pid() > 0 ? userSystemTicks(node.pid()) : null;
        if (ticks == null) {
          return null;
        }
        sum[0] += ticks[0];
        sum[1] += ticks[1];
      }
      return sum;
    }

    /** @return the CPU time of each node, in ns (-1 where unknown) */
    private long[] eachCpuNanos() {
      long[] each = new long[nodes.size()];
      for (int i = 0; i < each.length; i++) {
        each[i] = nodes.get(i).cpuNanos();
      }
      return each;
    }

    /** @return the CPU time of the nodes together, in ns, or -1 if one is unknown */
    private long nodeCpuNanos() {
      long sum = 0;
      for (BenchNode node : nodes) {
        long nanos = node.cpuNanos();
        if (nanos < 0) {
          return -1;
        }
        sum += nanos;
      }
      return sum;
    }

    /** @return whether the nodes' CPU time is theirs alone (each a child process) */
    private boolean nodesOnly() {
      return nodes.stream().allMatch(BenchNode::cpuIsNodeOnly);
    }

    /**
     * Puts {@code cpu_us_per_op_node} (a child node alone, or several summed, then also each
     * one's as {@code cpu_us_per_op_node0}, {@code cpu_us_per_op_node1}, ...) and
     * {@code cpu_us_per_op_this_jvm} (the load tool, plus the node when it runs in this JVM), the
     * cores they kept busy, and the machine's {@code cpu_idle_share} and {@code cpu_steal_share}
     * (fractions of all its CPU time in the window: steal is what the hypervisor took for other
     * guests, so figures from runs with much of it are not comparable with others).
     */
    void put(Result result, double ops, double seconds) {
      put(result, "", ops, seconds);
    }

    /** As {@link #put(Result, double, double)}, every name after {@code prefix}, e.g. {@code client_}. */
    void put(Result result, String prefix, double ops, double seconds) {
      if (nodesOnly() && nodeStart >= 0 && nodeEnd >= 0) {
        result.put(prefix + "cpu_us_per_op_node", Result.round((nodeEnd - nodeStart) / 1e3 / ops));
        result.put(prefix + "cpu_cores_node", Result.round((nodeEnd - nodeStart) / 1e9 / seconds));
        if (nodes.size() > 1) {
          // each node's share, e.g. a cluster's leader against its other members
          for (int i = 0; i < nodes.size(); i++) {
            if (eachStart[i] >= 0 && eachEnd[i] >= 0) {
              result.put(prefix + "cpu_us_per_op_node" + i,
                  Result.round((eachEnd[i] - eachStart[i]) / 1e3 / ops));
            }
          }
        }
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

  /**
   * @param javaOpts JVM options separated by white space, blank for none
   * @return the start of a command line that runs a JVM like this one: the java binary and the
   *     options; the caller adds the class path, the main class and its arguments
   */
  static List<String> javaCommand(String javaOpts) {
    List<String> command = new java.util.ArrayList<>();
    command.add(javaBinary());
    if (!javaOpts.isBlank()) {
      command.addAll(java.util.Arrays.asList(javaOpts.trim().split("\\s+")));
    }
    return command;
  }

  /**
   * @param javaOpts JVM options given for the node, blank for none
   * @return the start of a command line that runs a node's JVM as users run it: the java binary,
   *     Kora's default JVM options ({@link dev.kora.cli.JvmOptions}, as the {@code kora} launcher
   *     gives them), then {@code javaOpts}, which override them
   */
  static List<String> nodeJavaCommand(String javaOpts) {
    List<String> command = new java.util.ArrayList<>();
    command.add(javaBinary());
    command.addAll(dev.kora.cli.JvmOptions.defaults());
    if (!javaOpts.isBlank()) {
      command.addAll(java.util.Arrays.asList(javaOpts.trim().split("\\s+")));
    }
    return command;
  }

  /** @return the command that starts a JVM like this one: the java binary */
  static String javaBinary() {
    return ProcessHandle.current().info().command()
        .orElse(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
  }
}
