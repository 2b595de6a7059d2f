package dev.kora.node.logging;

import dev.kora.protocol.Errors;
import dev.kora.tree.KoraException;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * One log line per answered client request, under the logger {@value #LOGGER}, carrying the
 * request's id so that its lines can be found: a WebSocket call's id is its connection's id and the
 * call's number on it ({@code c7/12}), a REST request's is {@code r} and its number on the node
 * ({@code r42}, also sent back in the {@code X-Request-Id} header).
 *
 * <ul>
 *   <li>A request that failed on the node's side (an error code whose HTTP status is 500 or more:
 *       {@code internal}, {@code interceptor_failed}, {@code store_unavailable}, {@code closed}) is
 *       always logged, at {@code WARNING}, with the stack trace of the exception behind it (an
 *       {@code internal} failure, a plugin's handler or interceptor that threw).</li>
 *   <li>Every other request is logged at {@code INFO} when the node's {@code logRequests} option is
 *       on (off by default: a busy node answers tens of thousands of calls a second).</li>
 * </ul>
 * Fields ({@link LogFields}, written by {@link JsonLogFormatter}): {@code requestId},
 * {@code connectionId}, {@code request} (the action, or the HTTP method and path), {@code code}
 * (the error code, absent on success), {@code status} (REST: the HTTP status), {@code durationMs}
 * (from the request's arrival to its answer, in milliseconds). Lines go through java.util.logging
 * directly: its records carry the fields and the stack trace together. Thread-safe.
 */
public final class RequestLog {

  /** The logger's name. */
  public static final String LOGGER = "dev.kora.node.requests";

  private static final Logger LOG = Logger.getLogger(LOGGER);

  private final boolean everyRequest;
  private final AtomicLong restRequests = new AtomicLong();

  /** @param everyRequest whether to log every answered request, not only the node's failures */
  public RequestLog(boolean everyRequest) {
    this.everyRequest = everyRequest;
  }

  /** @return a new id for a REST request or event stream: {@code r} and a number */
  public String nextRestId() {
    return "r" + restRequests.incrementAndGet();
  }

  /**
   * @param connectionId the WebSocket connection's id
   * @param sequence the call's number on the connection, from 1
   * @return the call's request id
   */
  public static String callId(String connectionId, long sequence) {
    return connectionId + "/" + sequence;
  }

  /**
   * Logs a request's answer, as described above.
   *
   * @param requestId the request's id
   * @param connectionId the id of the connection (session) it came on
   * @param request what was asked: the action, or the HTTP method and path
   * @param startNanos {@link System#nanoTime()} when it arrived
   * @param status the HTTP status of a REST answer, or 0 for a WebSocket call
   * @param failure why it failed, or null when it succeeded
   */
  public void answered(String requestId, String connectionId, String request, long startNanos,
      int status, Throwable failure) {
    String code = failure == null ? null : Errors.asKora(failure).code();
    boolean nodeFailure = code != null ? Errors.httpStatus(code) >= 500 : status >= 500;
    if (!nodeFailure && !(everyRequest && LOG.isLoggable(Level.INFO))) {
      return;
    }
    double durationMs = Math.round((System.nanoTime() - startNanos) / 10_000.0) / 100.0;
    JsonObject fields = new JsonObject().put("requestId", requestId)
        .put("connectionId", connectionId).put("request", request);
    if (code != null) {
      fields.put("code", code);
    }
    if (status != 0) {
      fields.put("status", status);
    }
    fields.put("durationMs", durationMs);
    String outcome = code != null ? code + ": " + failure.getMessage()
        : status != 0 ? String.valueOf(status) : "ok";
    LogRecord record = new LogRecord(nodeFailure ? Level.WARNING : Level.INFO, "request "
        + requestId + " " + request + ": " + outcome + " (" + durationMs + " ms)");
    record.setLoggerName(LOGGER);
    record.setParameters(new Object[] {new LogFields(fields)});
    if (nodeFailure && failure != null
        && (!(failure instanceof KoraException) || failure.getCause() != null)) {
      record.setThrown(failure); // a bug somewhere: where it happened matters
    }
    LOG.log(record);
  }
}
