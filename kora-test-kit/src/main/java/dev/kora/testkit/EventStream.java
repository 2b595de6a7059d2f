package dev.kora.testkit;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.concurrent.TimeoutException;

/**
 * Reads a server-sent event stream (a {@code text/event-stream} response) event by event, for tests:
 * each event as {@code {"event": "mutation", "id": "7", "data": "{...}"}}. Use on the response's
 * context.
 */
public final class EventStream {

  private final Vertx vertx;
  private final HttpClientResponse response;
  private final long timeoutMs;
  private final StringBuilder pending = new StringBuilder();
  private final ArrayDeque<JsonObject> events = new ArrayDeque<>();
  private final ArrayDeque<Promise<JsonObject>> waiters = new ArrayDeque<>();

  /**
   * @param vertx for the timers
   * @param response the stream's response, its body not yet read
   * @param timeoutMs how long {@link #next} waits for an event, ms
   */
  public EventStream(Vertx vertx, HttpClientResponse response, long timeoutMs) {
    this.vertx = vertx;
    this.response = response;
    this.timeoutMs = timeoutMs;
    response.handler(this::onData);
  }

  private void onData(Buffer data) {
    pending.append(data.toString());
    int end;
    while ((end = pending.indexOf("\n\n")) >= 0) {
      String block = pending.substring(0, end);
      pending.delete(0, end + 2);
      JsonObject event = new JsonObject();
      for (String line : block.split("\n")) {
        int colon = line.indexOf(':');
        if (colon > 0) {
          event.put(line.substring(0, colon), line.substring(colon + 1).trim());
        }
      }
      Promise<JsonObject> waiter = waiters.poll();
      if (waiter != null) {
        waiter.complete(event);
      } else {
        events.add(event);
      }
    }
  }

  /**
   * @return the next event as {@code {"event": ..., "id": ..., "data": ...}}; fails with a
   *     {@link TimeoutException} when none comes within the timeout
   */
  public Future<JsonObject> next() {
    JsonObject ready = events.poll();
    if (ready != null) {
      return Future.succeededFuture(ready);
    }
    Promise<JsonObject> promise = Promise.promise();
    waiters.add(promise);
    long timer = vertx.setTimer(timeoutMs, id -> {
      waiters.remove(promise);
      promise.tryFail(new TimeoutException("no server-sent event within " + timeoutMs + " ms"));
    });
    return promise.future().onComplete(done -> vertx.cancelTimer(timer));
  }

  /** @return completes once the stream's connection is closed */
  public Future<Void> close() {
    return response.request().connection().close();
  }
}
