package dev.kora.cli.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MultiMapConfig;
import com.hazelcast.config.NetworkConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link ClusterMember} and {@link ClusterSettings}: what {@code HOST:PORT} accepts, the defaults,
 * the size counted from the members named, the refusals and their messages; and the Hazelcast
 * configuration {@link HazelcastClusters#config} builds from them.
 */
class ClusterSettingsTest {

  @Test
  void membersAreHostColonPort() {
    assertEquals(new ClusterMember("10.0.0.7", 5701), ClusterMember.parse("10.0.0.7:5701"));
    assertEquals(new ClusterMember("db-1.example", 1), ClusterMember.parse(" db-1.example:1 "));
    ClusterMember v6 = ClusterMember.parse("[fd00::7]:5701");
    assertEquals(new ClusterMember("fd00::7", 5701), v6);
    assertEquals("[fd00::7]:5701", v6.toString(), "IPv6 is written back in brackets");
    for (String bad : List.of("", "a", "a:", ":5701", "a:x", "a:-1", "fd00::7:5701",
        "a:5701:5702", "a:123456")) {
      IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
          () -> ClusterMember.parse(bad), bad);
      assertTrue(refused.getMessage().contains("is not HOST:PORT"), refused.getMessage());
    }
    for (String outOfRange : List.of("a:0", "a:65536")) {
      IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
          () -> ClusterMember.parse(outOfRange), outOfRange);
      assertTrue(refused.getMessage().contains("must be 1 to 65535"), refused.getMessage());
    }
  }

  @Test
  void defaultsAreLoopbackPort5701AndTheBusAThousandAbove() {
    ClusterSettings settings = ClusterSettings.of(null, null, null, null, List.of(), null);
    assertEquals("kora", settings.name());
    assertEquals("127.0.0.1", settings.address().getHostAddress());
    assertTrue(settings.loopback());
    assertEquals(5701, settings.port());
    assertEquals(6701, settings.busPort());
    assertEquals(1, settings.size(), "alone, the node is the cluster");
    assertEquals(7702, ClusterSettings.of(null, null, 6702, null, List.of(), null).busPort());
    assertEquals(9000, ClusterSettings.of(null, null, 6702, 9000, List.of(), null).busPort());
  }

  @Test
  void theSizeCountsTheDistinctMembersWithThisNode() {
    List<ClusterMember> others = List.of(ClusterMember.parse("127.0.0.1:5702"),
        ClusterMember.parse("127.0.0.1:5703"));
    assertEquals(3, size(5701, others), "this node is not named: it is added");
    List<ClusterMember> all = List.of(ClusterMember.parse("127.0.0.1:5701"),
        ClusterMember.parse("127.0.0.1:5702"), ClusterMember.parse("127.0.0.1:5703"));
    assertEquals(3, size(5701, all), "this node is named");
    List<ClusterMember> twice = List.of(ClusterMember.parse("localhost:5702"),
        ClusterMember.parse("127.0.0.1:5702"), ClusterMember.parse("LOCALHOST:5701"));
    assertEquals(2, size(5701, twice), "one member named twice, and this node by name");
    ClusterSettings settings = ClusterSettings.of(null, "localhost", 5701, null, twice, null);
    assertEquals(List.of(new ClusterMember("127.0.0.1", 5702),
        new ClusterMember("127.0.0.1", 5701)), settings.join(), "resolved, without repeats");
    assertEquals(5, ClusterSettings.of(null, null, 5701, null, others, 5).size(),
        "a size above the members named: some join later");
  }

  @Test
  void refusalsSayWhatIsWrong() {
    List<ClusterMember> others = List.of(ClusterMember.parse("127.0.0.1:5702"),
        ClusterMember.parse("127.0.0.1:5703"));
    refused("is smaller than the 3 distinct members", () -> ClusterSettings.of(null, null, 5701,
        null, others, 2));
    refused("the cluster size must be 1 to 64, got 65", () -> ClusterSettings.of(null, null, null,
        null, List.of(), 65));
    refused("the cluster size must be 1 to 64, got 0", () -> ClusterSettings.of(null, null, null,
        null, List.of(), 0));
    refused("the cluster port must be 1 to 65535, got 0", () -> ClusterSettings.of(null, null, 0,
        null, List.of(), null));
    refused("the bus port must be 1 to 65535, got 70000", () -> ClusterSettings.of(null, null,
        null, 70_000, List.of(), null));
    refused("give the bus port", () -> ClusterSettings.of(null, null, 65_000, null, List.of(),
        null));
    refused("they must differ", () -> ClusterSettings.of(null, null, 5701, 5701, List.of(), null));
    refused("is a wildcard", () -> ClusterSettings.of(null, "0.0.0.0", null, null, List.of(),
        null));
    refused("is not an address of this machine", () -> ClusterSettings.of(null, "192.0.2.1", null,
        null, List.of(), null));
    refused("the cluster name is blank", () -> ClusterSettings.of(" ", null, null, null, List.of(),
        null));
  }

  @Test
  void hazelcastJoinsOverTcpIpOnlyAndDropsASilentMemberWithinSeconds() {
    ClusterSettings settings = ClusterSettings.of("orders", "127.0.0.1", 15701, null,
        List.of(ClusterMember.parse("127.0.0.1:15701"), ClusterMember.parse("localhost:15702")),
        null);
    Config config = HazelcastClusters.config(settings);
    assertEquals("orders", config.getClusterName());
    NetworkConfig network = config.getNetworkConfig();
    assertEquals(15701, network.getPort());
    assertFalse(network.isPortAutoIncrement(), "no port after the one given is tried");
    assertTrue(network.getInterfaces().isEnabled());
    assertEquals(List.of("127.0.0.1"), List.copyOf(network.getInterfaces().getInterfaces()));
    JoinConfig join = network.getJoin();
    assertFalse(join.getMulticastConfig().isEnabled());
    assertFalse(join.getAutoDetectionConfig().isEnabled());
    assertTrue(join.getTcpIpConfig().isEnabled());
    assertEquals(List.of("127.0.0.1:15701", "127.0.0.1:15702"), join.getTcpIpConfig().getMembers());
    assertEquals("1", config.getProperty("hazelcast.heartbeat.interval.seconds"));
    assertEquals("5", config.getProperty("hazelcast.max.no.heartbeat.seconds"));
    assertEquals("false", config.getProperty("hazelcast.phone.home.enabled"));
    assertEquals("false", config.getProperty("hazelcast.shutdownhook.enabled"));
    assertEquals("false", config.getProperty("hazelcast.socket.bind.any"));
    assertEquals("jdk", config.getProperty("hazelcast.logging.type"));
    assertEquals(MultiMapConfig.ValueCollectionType.SET,
        config.getMultiMapConfig("__vertx.subs").getValueCollectionType());
  }

  private static int size(int port, List<ClusterMember> join) {
    return ClusterSettings.of(null, null, port, null, join, null).size();
  }

  private static void refused(String message, Runnable settings) {
    IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
        settings::run, message);
    assertTrue(refused.getMessage().contains(message), refused.getMessage());
  }
}
