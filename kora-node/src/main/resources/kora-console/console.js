// The Kora console: plain JavaScript, no build step. Every call carries the administrator's token in
// an Authorization header; the node checks it on each one (docs/operations.md, "Console").
"use strict";

const API = "/console/api";
const PAGE = 50;
const TOKEN_KEY = "kora-console-token";
const $ = (id) => document.getElementById(id);

let token = null;
let stream = null; // {id, controller}
const open = new Map(); // path (JSON text) -> {path, ul, next, shown}

// ---- calls --------------------------------------------------------------------------------------

class Refused extends Error {
  constructor(status, body) {
    super(body && body.message ? body.message : "HTTP " + status);
    this.status = status;
    this.code = body && body.code;
  }
}

async function call(method, url, body) {
  const headers = { Authorization: "Bearer " + token };
  const init = { method, headers };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = typeof body === "string" ? body : JSON.stringify(body);
  }
  const response = await fetch(url, init);
  const text = await response.text();
  const parsed = text ? JSON.parse(text) : null;
  if (!response.ok) {
    if (response.status === 401 || response.status === 403) {
      loggedOut(parsed && parsed.message ? parsed.message : "refused");
    }
    throw new Refused(response.status, parsed);
  }
  return parsed;
}

const encodePath = (path) => path.map(encodeURIComponent).join("/");
const parsePath = (text) => text.split("/").map((k) => k.trim()).filter((k) => k.length > 0);

function query(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== "") search.set(name, value);
  }
  const text = search.toString();
  return text ? "?" + text : "";
}

// ---- login --------------------------------------------------------------------------------------

async function login(candidate) {
  token = candidate;
  try {
    const who = await call("GET", API + "/whoami");
    sessionStorage.setItem(TOKEN_KEY, token);
    $("login").hidden = true;
    $("app").hidden = false;
    $("metrics").hidden = false;
    $("logout").hidden = false;
    $("who").textContent = "admin: " + who.user;
    $("login-error").textContent = "";
    startMetrics();
    if (stream) stream.controller.abort(); // logged in again: one stream per page
    open.clear();
    openStream();
    $("tree").replaceChildren(node([], null, true));
    expand([]);
  } catch (e) {
    loggedOut(e.message);
  }
}

function loggedOut(message) {
  token = null;
  sessionStorage.removeItem(TOKEN_KEY);
  if (stream) stream.controller.abort();
  stream = null;
  open.clear();
  $("app").hidden = true;
  $("metrics").hidden = true;
  $("logout").hidden = true;
  $("who").textContent = "";
  $("login").hidden = false;
  $("login-error").textContent = message || "";
}

// ---- tree ---------------------------------------------------------------------------------------

function node(path, child, isRoot) {
  const li = document.createElement("li");
  li.className = "node";
  li.dataset.path = JSON.stringify(path);
  const line = document.createElement("div");
  line.className = "line";
  const toggle = document.createElement("span");
  toggle.className = "toggle";
  const key = document.createElement("span");
  key.className = "key";
  key.textContent = isRoot ? "(root)" : path[path.length - 1];
  line.append(toggle, key);
  const branch = isRoot || child.branch === true;
  if (branch) {
    toggle.textContent = "▸";
    toggle.addEventListener("click", () => (open.has(li.dataset.path) ? collapse(path) : expand(path)));
    key.addEventListener("click", () => (open.has(li.dataset.path) ? collapse(path) : expand(path)));
  } else {
    const value = document.createElement("span");
    value.className = "value";
    value.textContent = JSON.stringify(child.value);
    line.append(value);
  }
  const actions = document.createElement("span");
  actions.className = "actions";
  if (!branch) actions.append(button("edit", () => edit(path, child.value)));
  actions.append(button("add", () => edit(path.concat(["new-key"]), "")));
  if (!isRoot) actions.append(button("delete", () => remove(path)));
  line.append(actions);
  li.append(line);
  return li;
}

function button(label, action) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = label;
  b.className = "act-" + label;
  b.addEventListener("click", action);
  return b;
}

function itemOf(path) {
  for (const li of document.querySelectorAll("#tree li.node")) {
    if (li.dataset.path === JSON.stringify(path)) return li;
  }
  return null;
}

async function expand(path) {
  const li = itemOf(path);
  if (!li) return;
  const ul = document.createElement("ul");
  li.append(ul);
  li.querySelector(".toggle").textContent = "▾";
  const entry = { path, ul, next: null, shown: 0 };
  open.set(JSON.stringify(path), entry);
  await watch(path, true);
  await loadPage(entry, null, PAGE, false);
}

function collapse(path) {
  const key = JSON.stringify(path);
  for (const [other, entry] of [...open]) {
    const inner = JSON.parse(other);
    if (inner.length >= path.length && path.every((k, i) => inner[i] === k)) {
      open.delete(other);
      entry.ul.remove();
      watch(inner, false);
    }
  }
  const li = itemOf(path);
  if (li) li.querySelector(".toggle").textContent = "▸";
  open.delete(key);
}

/** Loads children from min (null: the first) and appends them, or replaces the list (refresh). */
async function loadPage(entry, min, limit, replace) {
  const page = await call("GET", API + "/children/" + encodePath(entry.path) + query({ min, limit }));
  const before = new Map();
  if (replace) {
    for (const li of entry.ul.children) {
      if (li.classList.contains("node")) before.set(li.dataset.path, li);
    }
    entry.ul.replaceChildren();
    entry.shown = 0;
  } else {
    const more = entry.ul.querySelector(":scope > li.more");
    if (more) more.remove();
  }
  for (const child of page.children) {
    const path = entry.path.concat([child.key]);
    const old = before.get(JSON.stringify(path));
    const fresh = node(path, child, false);
    if (old) {
      const oldValue = old.querySelector(":scope > .line > .value");
      const newValue = fresh.querySelector(":scope > .line > .value");
      const sameKind = !!oldValue === !!newValue;
      if (sameKind && (!oldValue || oldValue.textContent === newValue.textContent)) {
        entry.ul.append(old); // unchanged: keep it, with what is open under it
        entry.shown++;
        continue;
      }
      const sub = JSON.stringify(path);
      if (open.has(sub)) collapse(path);
    }
    if (replace) fresh.classList.add("changed");
    entry.ul.append(fresh);
    entry.shown++;
  }
  entry.next = page.next;
  if (page.next !== null) {
    const more = document.createElement("li");
    more.className = "more";
    more.append(button("load more", () => loadPage(entry, entry.next, PAGE, false)));
    entry.ul.append(more);
  }
  if (page.children.length === 0 && entry.path.length > 0 && !replace) {
    const empty = document.createElement("li");
    empty.className = "empty";
    empty.textContent = "(empty)";
    entry.ul.append(empty);
  }
}

// ---- live updates -------------------------------------------------------------------------------

async function watch(path, on) {
  if (!stream || !stream.id || path.length === 0) return; // the root cannot be subscribed
  try {
    await call("POST", API + "/watch", { stream: stream.id, path, watch: on });
  } catch (e) {
    console.warn("watch", path, e);
  }
}

async function openStream() {
  const controller = new AbortController();
  stream = { id: null, controller };
  try {
    const response = await fetch(API + "/events", {
      headers: { Authorization: "Bearer " + token, Accept: "text/event-stream" },
      signal: controller.signal,
    });
    if (!response.ok) throw new Refused(response.status, null);
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        event(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
      }
    }
  } catch (e) {
    if (controller.signal.aborted) return;
  }
  $("live").classList.remove("on");
  if (stream && stream.controller === controller && token) {
    setTimeout(() => { if (token) openStream(); }, 2000);
  }
}

function event(text) {
  let name = "message";
  let data = "";
  for (const line of text.split("\n")) {
    if (line.startsWith("event: ")) name = line.slice(7);
    else if (line.startsWith("data: ")) data += line.slice(6);
  }
  const body = JSON.parse(data);
  if (name === "stream") {
    stream.id = body.stream;
    $("live").classList.add("on");
    for (const entry of open.values()) watch(entry.path, true);
  } else if (name === "mutation") {
    changed(body);
  }
}

/** Per open path (JSON text): {all: true} to list again, or the direct child keys a push touched. */
const dirty = new Map();
let refreshTimer = null;

/** Notes what a pushed mutation touches under every open path, and refreshes those soon. */
function changed(mutation) {
  for (const [key, entry] of open) {
    const touched = touchedKeys(mutation, entry.path);
    if (touched === null) continue;
    const known = dirty.get(key) || { all: false, keys: new Set() };
    if (touched === "all") known.all = true;
    else touched.forEach((k) => known.keys.add(k));
    dirty.set(key, known);
  }
  if (dirty.size > 0 && refreshTimer === null) {
    refreshTimer = setTimeout(refresh, 200);
  }
}

/**
 * @return null when the mutation does not touch the path's children, "all" when it replaces or
 *     deletes the path or an ancestor, else the keys of the direct children it writes or deletes
 */
function touchedKeys(mutation, path) {
  let all = false;
  const keys = new Set();
  for (const tree of [mutation.merge, mutation.delete]) {
    let at = tree;
    let depth = 0;
    for (; depth < path.length; depth++) {
      if (at === null || typeof at !== "object" || Array.isArray(at)) break;
      if (!(path[depth] in at)) { at = undefined; break; }
      at = at[path[depth]];
    }
    if (at === undefined) continue;
    if (at === null || typeof at !== "object" || Array.isArray(at)) all = true; // a leaf at or above
    else Object.keys(at).forEach((k) => keys.add(k));
  }
  if (all) return "all";
  return keys.size > 0 ? keys : null;
}

async function refresh() {
  refreshTimer = null;
  const work = [...dirty];
  dirty.clear();
  for (const [key, change] of work) {
    const entry = open.get(key);
    if (!entry) continue;
    if (change.all || change.keys.size > 50) {
      // the children shown so far, read again from the first
      await loadPage(entry, null, Math.min(1000, Math.max(PAGE, entry.shown)), true);
    } else {
      for (const k of change.keys) await refreshChild(entry, k);
    }
  }
}

/** Reads one child again (a one-key page) and updates, adds or removes its row. */
async function refreshChild(entry, key) {
  const page = await call("GET", API + "/children/" + encodePath(entry.path)
      + query({ min: key, max: key + " ", limit: 1 }));
  const path = entry.path.concat([key]);
  const old = itemOf(path);
  const child = page.children.length === 1 ? page.children[0] : null;
  if (old && !child) {
    if (open.has(JSON.stringify(path))) collapse(path);
    old.remove();
    entry.shown--;
    return;
  }
  if (!child) return;
  const fresh = node(path, child, false);
  fresh.classList.add("changed");
  if (old) {
    if (child.branch && !old.querySelector(":scope > .line > .value")) {
      old.classList.remove("changed");
      void old.offsetWidth; // restart the highlight
      old.classList.add("changed");
      return; // still a branch: what is open under it follows by itself
    }
    if (open.has(JSON.stringify(path))) collapse(path);
    old.replaceWith(fresh);
    return;
  }
  if (entry.next !== null && compareKeys(key, entry.next) >= 0) return; // beyond the loaded pages
  const empty = entry.ul.querySelector(":scope > li.empty");
  if (empty) empty.remove();
  for (const li of entry.ul.children) {
    if (!li.classList.contains("node")) { entry.ul.insertBefore(fresh, li); entry.shown++; return; }
    const other = JSON.parse(li.dataset.path);
    if (compareKeys(key, other[other.length - 1]) < 0) {
      entry.ul.insertBefore(fresh, li);
      entry.shown++;
      return;
    }
  }
  entry.ul.append(fresh);
  entry.shown++;
}

const utf8 = new TextEncoder();

/** Orders keys as the node does: by their UTF-8 bytes. */
function compareKeys(a, b) {
  const x = utf8.encode(a);
  const y = utf8.encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return x[i] - y[i];
  }
  return x.length - y.length;
}

// ---- writes and queries -------------------------------------------------------------------------

function edit(path, value) {
  $("edit-path").value = path.join("/");
  $("edit-value").value = value === "" ? "" : JSON.stringify(value);
  $("edit-value").focus();
}

async function write(method) {
  const path = parsePath($("edit-path").value);
  const status = $("edit-status");
  try {
    const text = $("edit-value").value;
    JSON.parse(text); // a clear message before the node's
    await call(method, API + "/tree/" + encodePath(path), text);
    status.textContent = "saved " + path.join("/");
    status.className = "";
  } catch (e) {
    status.textContent = e instanceof SyntaxError ? "not JSON: " + e.message : e.message;
    status.className = "error";
  }
}

async function remove(path) {
  if (!confirm("Delete " + path.join("/") + " and everything under it?")) return;
  const status = $("edit-status");
  try {
    await call("DELETE", API + "/tree/" + encodePath(path));
    status.textContent = "deleted " + path.join("/");
    status.className = "";
  } catch (e) {
    status.textContent = e.message;
    status.className = "error";
  }
}

async function runQuery() {
  const path = parsePath($("q-path").value);
  const out = $("q-result");
  try {
    const params = { min: $("q-min").value, max: $("q-max").value, limit: $("q-limit").value };
    const value = await call("GET", API + "/tree/" + encodePath(path) + query(params));
    out.textContent = JSON.stringify(value, null, 2);
    out.className = "";
  } catch (e) {
    out.textContent = (e.code ? e.code + ": " : "") + e.message;
    out.className = "error";
  }
}

// ---- metrics ------------------------------------------------------------------------------------

let metricsTimer = null;
let lastGlance = null;

function startMetrics() {
  if (metricsTimer !== null) clearInterval(metricsTimer);
  lastGlance = null;
  glance();
  metricsTimer = setInterval(glance, 2000);
}

async function glance() {
  if (!token) {
    clearInterval(metricsTimer);
    metricsTimer = null;
    return;
  }
  try {
    const now = await call("GET", API + "/metrics");
    const at = performance.now();
    if (lastGlance) {
      const seconds = (at - lastGlance.at) / 1000;
      $("m-writes").textContent = rate(now.mutationsCommitted - lastGlance.now.mutationsCommitted, seconds);
      $("m-pushes").textContent = rate(now.pushes - lastGlance.now.pushes, seconds);
    }
    $("m-connections").textContent = now.connections;
    $("m-subscriptions").textContent = now.subscriptions;
    $("m-pending").textContent = now.mutationsPending;
    lastGlance = { now, at };
  } catch (e) {
    console.warn("metrics", e);
  }
}

const rate = (delta, seconds) => (seconds > 0 ? (delta / seconds).toFixed(1) : "–");

// ---- start --------------------------------------------------------------------------------------

document.addEventListener("DOMContentLoaded", () => {
  $("login-form").addEventListener("submit", (e) => {
    e.preventDefault();
    login($("token").value.trim());
  });
  $("logout").addEventListener("click", () => loggedOut(""));
  $("edit-save").addEventListener("click", () => write("PUT"));
  $("edit-merge").addEventListener("click", () => write("PATCH"));
  $("edit-delete").addEventListener("click", () => remove(parsePath($("edit-path").value)));
  $("q-run").addEventListener("click", runQuery);
  const given = fragmentToken() || sessionStorage.getItem(TOKEN_KEY);
  if (given) login(given);
  // the start line's link opened in a tab that shows the console already
  window.addEventListener("hashchange", () => {
    const token = fragmentToken();
    if (token) login(token);
  });
});

/** A token in the fragment (the start line's link), taken and removed from the address bar. */
function fragmentToken() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const token = fragment.get("token");
  if (token) history.replaceState(null, "", location.pathname);
  return token;
}
