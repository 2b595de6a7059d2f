package dev.kora.client;

import java.util.List;

/**
 * Which node URL a {@link KoraClient} tries next, and when a round of them has failed.
 *
 * <p>The policy: start with the first URL; stay on a URL while its connection works; move to the
 * next one (wrapping around) after a failed attempt or a lost connection. A <em>round</em> is every
 * URL failing once in a row (a lost connection counts as its URL's failure): a failed attempt that
 * ends a round returns {@code true} and the client waits its reconnect backoff before the next
 * round; one that does not returns {@code false} and the client tries the next URL at once. With one
 * URL every failure ends a round, which is the single-node backoff as it was.
 *
 * <p>Why the first URL and not a random one: the list's order is the application's preference (the
 * nearest node first) and keeps the client's behaviour predictable in tests and logs; an
 * application that wants its clients spread over a cluster gives each a shuffled list. Not
 * thread-safe: the client uses it on its context only.
 */
final class UrlRotation {

  private final List<String> urls;
  private int index;
  /** URLs that failed in a row since the current round began. */
  private int failedInRound;

  /** @param urls the checked, non-empty list ({@link KoraClientOptions#getUrls}) */
  UrlRotation(List<String> urls) {
    this.urls = urls;
  }

  /** @return the URL to try now, or the one of the open connection */
  String current() {
    return urls.get(index);
  }

  /** A connection to {@link #current()} opened: a new round begins with its next failure. */
  void succeeded() {
    failedInRound = 0;
  }

  /**
   * A connection attempt to {@link #current()} failed: moves to the next URL.
   *
   * @return whether that ended a round (every URL failed in a row): the caller waits its backoff
   *     before the next attempt, else it tries the next URL at once
   */
  boolean failed() {
    advance();
    failedInRound++;
    if (failedInRound < urls.size()) {
      return false;
    }
    failedInRound = 0;
    return true;
  }

  /**
   * The open connection to {@link #current()} was lost (the node stopped, the network dropped, a
   * ping went unanswered): moves to the next URL, the lost one counting as the first failure of a
   * new round. The caller waits its first (jittered) reconnect delay before the next attempt.
   */
  void lost() {
    advance();
    // With one URL the loss is a whole round already, and the next failure ends the next one.
    failedInRound = 1 % urls.size();
  }

  private void advance() {
    index = (index + 1) % urls.size();
  }

  /** Starts a new round at the current URL, e.g. after going online again on purpose. */
  void restartRound() {
    failedInRound = 0;
  }
}
