package dev.kora.client.connection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.client.KoraClientOptions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What a list of node URLs may hold, for {@link KoraClientOptions#setUrls} and the CLI's
 * {@code --url}: bad input is refused at once with a message that names the URL.
 */
class NodeUrlsTest {

  private static void refused(List<String> urls, String... expectedInMessage) {
    IllegalArgumentException refusal = assertThrows(IllegalArgumentException.class,
        () -> new KoraClientOptions().setUrls(urls), String.valueOf(urls));
    for (String expected : expectedInMessage) {
      assertTrue(refusal.getMessage().contains(expected), urls + ": '" + expected + "' in: "
          + refusal.getMessage());
    }
  }

  @Test
  void aListIsKeptInOrderAndOneUrlStillWorks() {
    List<String> given = new ArrayList<>(List.of("wss://a.example/socket",
        "wss://b.example:8443/kora"));
    KoraClientOptions options = new KoraClientOptions().setUrls(given);
    given.clear();
    assertEquals(List.of("wss://a.example/socket", "wss://b.example:8443/kora"),
        options.getUrls(), "a copy, in order");
    assertThrows(UnsupportedOperationException.class, () -> options.getUrls().add("ws://c"));
    assertEquals(List.of("ws://127.0.0.1:7001/socket"),
        options.setUrl("ws://127.0.0.1:7001/socket").getUrls());
    assertEquals(List.of("ws://127.0.0.1:12000/socket"), new KoraClientOptions().getUrls(),
        "the default");
  }

  @Test
  void badListsAreRefusedAtOnceAndLeaveTheOptionsUnchanged() {
    refused(List.of(), "at least one node URL");
    refused(null, "at least one node URL");
    refused(Arrays.asList("ws://a/socket", null), "node URL 2 of 2", "null");
    refused(List.of("ws://a/socket", "http://b/socket"), "node URL 2 of 2", "'http://b/socket'",
        "looks like ws://");
    refused(List.of("ws://exa mple/socket"), "'ws://exa mple/socket'", "Illegal character");
    refused(List.of("127.0.0.1:12000"), "'127.0.0.1:12000'");
    refused(List.of("ws:///socket"), "'ws:///socket'");
    refused(List.of("ws://a:70000/socket"), "port 70000");
    refused(List.of("ws://a/socket", "wss://b/socket"), "node URL 2 of 2", "mixes ws:// and wss://");
    refused(List.of("ws://a/socket", "ws://b/socket", "ws://a/socket"), "node URL 3 of 3",
        "listed twice");
    assertThrows(IllegalArgumentException.class, () -> new KoraClientOptions().setUrl(null));

    KoraClientOptions options = new KoraClientOptions().setUrl("ws://kept/socket");
    assertThrows(IllegalArgumentException.class, () -> options.setUrls(List.of("ftp://x")));
    assertEquals(List.of("ws://kept/socket"), options.getUrls(), "unchanged by a refused list");
  }

  @Test
  void aCommaSeparatedListIsParsedInOrder() {
    assertEquals(List.of("ws://127.0.0.1:7001/socket", "ws://127.0.0.1:7002/socket"),
        NodeUrls.parse("ws://127.0.0.1:7001/socket, ws://127.0.0.1:7002/socket"));
    assertEquals(List.of("ws://127.0.0.1:7001/socket"), NodeUrls.parse("ws://127.0.0.1:7001/socket"));
    for (String empty : List.of("ws://a/socket,,ws://b/socket", "ws://a/socket,", ",ws://a/socket")) {
      IllegalArgumentException refusal = assertThrows(IllegalArgumentException.class,
          () -> NodeUrls.parse(empty));
      assertTrue(refusal.getMessage().contains("empty entry"), refusal.getMessage());
    }
    assertThrows(IllegalArgumentException.class, () -> NodeUrls.parse(" "));
    assertThrows(IllegalArgumentException.class, () -> NodeUrls.parse(null));
    IllegalArgumentException mixed = assertThrows(IllegalArgumentException.class,
        () -> NodeUrls.parse("wss://a/socket,ws://b/socket"));
    assertTrue(mixed.getMessage().contains("mixes"), mixed.getMessage());
  }
}
