package dev.kora.node.logging;

import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * A {@link java.util.logging} formatter that writes each record as one line of JSON (encoded by
 * Vert.x's {@link JsonObject}, that is Jackson), for log collectors:
 *
 * <pre>{@code
 * {"time":"2026-12-06T23:50:01.123Z","level":"WARNING","logger":"dev.kora.node.requests",
 *  "message":"request c7/12 kora.query: internal ...","requestId":"c7/12","connectionId":"c7",
 *  "request":"kora.query","code":"internal","durationMs":1.52,"error":"java.lang...\n\tat ..."}
 * }</pre>
 *
 * {@code time} is the record's instant in UTC (ISO-8601), {@code level} java.util.logging's name
 * ({@code SEVERE}, {@code WARNING}, {@code INFO}, {@code FINE}...), {@code message} the formatted
 * message; the fields of a {@link LogFields} parameter follow, and {@code error} holds the stack trace
 * of the record's throwable, if any. Stateless and thread-safe.
 */
public final class JsonLogFormatter extends Formatter {

  @Override
  public String format(LogRecord record) {
    JsonObject line = new JsonObject()
        .put("time", record.getInstant().toString())
        .put("level", record.getLevel().getName())
        .put("logger", record.getLoggerName())
        .put("message", formatMessage(record));
    Object[] parameters = record.getParameters();
    if (parameters != null) {
      for (Object parameter : parameters) {
        if (parameter instanceof LogFields fields) {
          fields.fields().forEach(field -> line.put(field.getKey(), field.getValue()));
        }
      }
    }
    if (record.getThrown() != null) {
      StringWriter trace = new StringWriter();
      record.getThrown().printStackTrace(new PrintWriter(trace));
      line.put("error", trace.toString());
    }
    return line.encode() + System.lineSeparator();
  }

  /**
   * Makes every handler of java.util.logging's root logger (where the node's lines go unless the
   * application routes {@link System.Logger} elsewhere) write JSON lines; adds a console handler
   * (stderr) when the root has none. This is JVM-wide: every library's java.util.logging lines
   * become JSON too.
   */
  public static void install() {
    Logger root = Logger.getLogger("");
    Handler[] handlers = root.getHandlers();
    if (handlers.length == 0) {
      ConsoleHandler console = new ConsoleHandler();
      root.addHandler(console);
      handlers = new Handler[] {console};
    }
    for (Handler handler : handlers) {
      handler.setFormatter(new JsonLogFormatter());
    }
  }
}
