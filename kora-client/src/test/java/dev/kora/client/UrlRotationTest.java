package dev.kora.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The order node URLs are tried in, and when a round has failed (the backoff then applies). */
class UrlRotationTest {

  private static final List<String> THREE = List.of("ws://a/socket", "ws://b/socket",
      "ws://c/socket");

  @Test
  void startsAtTheFirstAndTriesEachOnceBeforeTheRoundEnds() {
    UrlRotation rotation = new UrlRotation(THREE);
    assertEquals("ws://a/socket", rotation.current());
    assertFalse(rotation.failed(), "a failed, b is next without waiting");
    assertEquals("ws://b/socket", rotation.current());
    assertFalse(rotation.failed());
    assertEquals("ws://c/socket", rotation.current());
    assertTrue(rotation.failed(), "all three failed in a row: the backoff applies");
    assertEquals("ws://a/socket", rotation.current(), "the next round wraps around");
    assertFalse(rotation.failed(), "a new round has begun");
  }

  @Test
  void staysOnAWorkingUrlAndMovesOnWhenItsConnectionIsLost() {
    UrlRotation rotation = new UrlRotation(THREE);
    rotation.failed();
    rotation.succeeded();
    assertEquals("ws://b/socket", rotation.current(), "stays on the one that opened");
    rotation.lost();
    assertEquals("ws://c/socket", rotation.current(), "the lost node's next");
    assertFalse(rotation.failed(), "c failed: a is still untried in this round");
    assertEquals("ws://a/socket", rotation.current());
    assertTrue(rotation.failed(), "a failed too: with b's loss, every URL failed in a row");
    assertEquals("ws://b/socket", rotation.current());
  }

  @Test
  void aSuccessStartsANewRound() {
    UrlRotation rotation = new UrlRotation(THREE);
    rotation.failed();
    rotation.failed();
    rotation.succeeded();
    assertFalse(rotation.failed(), "the failures before the success do not count");
    assertFalse(rotation.failed());
    assertTrue(rotation.failed());
  }

  @Test
  void restartingARoundForgetsItsFailures() {
    UrlRotation rotation = new UrlRotation(THREE);
    rotation.failed();
    rotation.failed();
    rotation.restartRound();
    assertEquals("ws://c/socket", rotation.current(), "the place in the list is kept");
    assertFalse(rotation.failed());
    assertFalse(rotation.failed());
    assertTrue(rotation.failed());
  }

  @Test
  void withOneUrlEveryFailureEndsARound() {
    UrlRotation rotation = new UrlRotation(List.of("ws://a/socket"));
    assertTrue(rotation.failed());
    assertTrue(rotation.failed());
    rotation.succeeded();
    rotation.lost();
    assertEquals("ws://a/socket", rotation.current());
    assertTrue(rotation.failed(), "after a loss, each failed attempt is a round: the backoff"
        + " doubles per attempt as for a single node");
  }
}
