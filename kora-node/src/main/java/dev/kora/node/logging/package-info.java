/**
 * The node's log lines: {@link dev.kora.node.logging.JsonLogFormatter} writes each as one JSON
 * object ({@code logFormat: "json"}), {@link dev.kora.node.logging.RequestLog} logs the answer to
 * each client request (a WebSocket call, a REST request) under its request id.
 */
package dev.kora.node.logging;
