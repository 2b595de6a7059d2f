package dev.kora.node.impl.rest;

import dev.kora.node.core.CommittedPart;
import io.vertx.core.json.JsonObject;

/**
 * The server-sent events of a node's streams: each pushed part encoded once as an event
 * {@code mutation} (its {@code id} the version), however many streams receive it. Confined to the
 * node's context.
 */
public final class SseEvents {

  private final long maxBacklogBytes;
  /** The event of the part pushed last, shared by the streams that receive the same part. */
  private CommittedPart lastPart;
  private String lastEvent;

  /**
   * @param maxBacklogBytes the most bytes waiting to be sent to one stream before it is closed (the
   *     HTTP front sets it as the connection's write high-water mark; named in the log here)
   */
  public SseEvents(long maxBacklogBytes) {
    this.maxBacklogBytes = maxBacklogBytes;
  }

  /** @return the most bytes waiting to be sent to one stream before it is closed */
  public long maxBacklogBytes() {
    return maxBacklogBytes;
  }

  /**
   * @param part a pushed part
   * @return its event: {@code event: mutation}, {@code id:} the version, the mutation with
   *     {@code version} as data
   */
  public String event(CommittedPart part) {
    if (part != lastPart) {
      lastPart = part;
      lastEvent = event(part.version(), part.mutation().wire().put("version", part.version()));
    }
    return lastEvent;
  }

  /**
   * @param version the version the data reflects, the event's id
   * @param mutation the data, in wire form
   * @return the event {@code mutation}
   */
  public static String event(long version, JsonObject mutation) {
    return event("mutation", String.valueOf(version), mutation);
  }

  /**
   * @param name the event's name
   * @param id its id, or null
   * @param data its data
   * @return the event's text, ending with the blank line
   */
  public static String event(String name, String id, JsonObject data) {
    return "event: " + name + "\n" + (id == null ? "" : "id: " + id + "\n") + "data: "
        + data.encode() + "\n\n";
  }
}
