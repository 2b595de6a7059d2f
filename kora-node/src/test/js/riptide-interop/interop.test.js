// Interop test: the published npm client @ironbay/riptide@0.2.5, used through its public API only,
// against a running Kora node. Run with: KORA_URL=ws://127.0.0.1:PORT/socket node --test interop.test.js
//
// Everything this file writes lives under one random top-level key (ROOT), so runs against the same
// node do not see each other's data.
import { test, before, after } from "node:test"
import assert from "node:assert/strict"
import Riptide from "@ironbay/riptide"

const URL = process.env.KORA_URL || "ws://127.0.0.1:12000/socket"
const ROOT = `interop_${Date.now()}_${Math.random().toString(36).slice(2, 8)}`
const TEST_TIMEOUT = 20_000
const CONNECT_TIMEOUT = 10_000
const CONVERGE_TIMEOUT = 5_000

const connections = []
let closing = false // set by the final `after` hook; stops polling loops of tests that already failed

// ---------------------------------------------------------------- helpers

function delay(ms) {
  return new Promise(resolve => setTimeout(resolve, ms))
}

function withTimeout(promise, ms, what) {
  let timer
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

// Opens a connection the way a user of the client does, and waits until the socket is open
// (calls made earlier would only be retried by the client after a 1 s sleep).
async function connect() {
  if (closing) throw new Error("connections are closed")
  const conn = Riptide.Connection.create()
  connections.push(conn)
  const ready = new Promise(resolve => {
    conn.transport.onStatus.add(status => {
      if (status === "ready") resolve()
    })
  })
  await conn.transport.connect(URL)
  await withTimeout(ready, CONNECT_TIMEOUT, `connecting to ${URL}`)
  return conn
}

// Collects the pushes ("riptide.mutation" casts, or another action) a connection receives.
function collectCasts(conn, action = "riptide.mutation") {
  const casts = []
  conn.on_cast.add(msg => {
    if (msg.type === "cast" && msg.action === action) casts.push(msg.body)
  })
  return casts
}

// The Memory store keeps empty objects behind after deletes; an empty object is no value.
function prune(value) {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value
  const out = {}
  for (const [key, child] of Object.entries(value)) {
    const pruned = prune(child)
    if (pruned !== undefined) out[key] = pruned
  }
  return Object.keys(out).length === 0 ? undefined : out
}

function clone(value) {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value))
}

// Polls until the Memory store `local` holds at `path` what the server returns for `path`
// (read through `server`, a Remote on another connection). Returns the server's value.
async function converge(local, server, path, what = "") {
  const deadline = Date.now() + CONVERGE_TIMEOUT
  for (;;) {
    if (closing) throw new Error("connections are closed")
    const expected = await server.query_path(path)
    const actual = prune(clone(local.query_path(path)))
    if (Date.now() > deadline) {
      assert.deepEqual(actual, expected, `local copy of ${path.join("/")} did not converge ${what}`)
      return expected
    }
    try {
      assert.deepEqual(actual, expected)
      return expected
    } catch {
      await delay(20)
    }
  }
}

// Polls until `predicate()` is truthy.
async function until(predicate, what) {
  const deadline = Date.now() + CONVERGE_TIMEOUT
  while (!predicate()) {
    if (closing) throw new Error("connections are closed")
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`)
    await delay(20)
  }
}

function get(tree, path) {
  let node = tree
  for (const key of path) {
    if (node === null || typeof node !== "object") return undefined
    node = node[key]
  }
  return node
}

const sorted = keys => [...keys].sort()

// ---------------------------------------------------------------- setup

let conn1
let remote1

before(async () => {
  conn1 = await connect()
  remote1 = new Riptide.Store.Remote(conn1)
})

after(async () => {
  try {
    if (remote1) await withTimeout(remote1.delete([ROOT]), 5_000, "deleting the test data")
  } catch {
    // best effort cleanup
  }
  closing = true
  for (const conn of connections) conn.transport.disconnect()
  // Safety net, for runs that failed: the client retries writes on a closed socket forever and
  // reconnects a socket the server closed, so a test body still running after its test failed can keep
  // the process alive. This timer does not itself keep the process alive.
  setTimeout(() => {
    console.error("interop: the event loop is still busy 5 s after closing all connections; exiting")
    process.exit()
  }, 5_000).unref()
})

// ---------------------------------------------------------------- tests

test("1. ping returns the server time", { timeout: TEST_TIMEOUT }, async () => {
  const before = Date.now()
  const time = await conn1.call("riptide.ping", {})
  const after = Date.now()
  assert.equal(typeof time, "number")
  assert.ok(time >= before - 5_000 && time <= after + 5_000, `ping ${time} not near ${before}..${after}`)
})

test("2. merge and query back", { timeout: TEST_TIMEOUT }, async () => {
  // As in the package's own riptide.test.ts, with a Memory store synced to the Remote
  // (of its own connection, so that remote1 stays unsynced for the other tests).
  const remote = new Riptide.Store.Remote(await connect())
  const local = new Riptide.Store.Memory()
  const sync = local.sync(remote)
  const hh = { key: "001", name: "Hammerhead" }
  const gw = { key: "002", name: "Great White" }

  await local.delete([ROOT, "sharks"])
  assert.equal(local.query_path([ROOT, "sharks"]), undefined)

  await sync.merge([ROOT, "sharks", hh.key], hh)
  assert.deepEqual(await remote.query_path([ROOT, "sharks", hh.key]), hh)
  assert.deepEqual(local.query_path([ROOT, "sharks", hh.key]), hh)

  await remote.query_path([ROOT, "sharks"], { subscribe: true })
  await remote.merge([ROOT, "sharks", gw.key], gw)
  await until(() => local.query_path([ROOT, "sharks", gw.key]) !== undefined, "the push of Great White")
  assert.deepEqual(local.query_path([ROOT, "sharks", gw.key]), gw)
  assert.deepEqual(await remote.query_path([ROOT, "sharks"]), { "001": hh, "002": gw })
  assert.deepEqual(sorted(await remote.query_keys([ROOT, "sharks"])), ["001", "002"])
  assert.deepEqual(
    (await remote.query_values([ROOT, "sharks"])).sort((a, b) => a.key.localeCompare(b.key)),
    [hh, gw]
  )

  // Nested data of every leaf type, odd keys included.
  const dax = {
    name: "Dax",
    age: 31,
    score: 1.5,
    negative: -74.25,
    active: true,
    retired: false,
    empty_string: "",
    tags: ["a", "b", { c: 1 }],
    address: { city: "New York", geo: { lat: 40.7, lng: -74 } },
    "key with spaces": "ok",
    "user:info": { "ключ": "значение", "emoji 🦈": "shark" },
  }
  await remote1.merge([ROOT, "nested", "dax"], dax)
  assert.deepEqual(await remote1.query_path([ROOT, "nested", "dax"]), dax)
  assert.deepEqual(await remote1.query_path([ROOT, "nested", "dax", "address", "geo"]), dax.address.geo)
  assert.deepEqual(await remote1.query_path([ROOT, "nested", "dax", "tags"]), dax.tags)
  assert.equal(await remote1.query_path([ROOT, "nested", "dax", "user:info", "ключ"]), "значение")

  // A deep merge leaves other data alone.
  await remote1.merge([ROOT, "nested", "dax", "address"], { zip: "10001" })
  assert.deepEqual(await remote1.query_path([ROOT, "nested", "dax", "address"]), { ...dax.address, zip: "10001" })

  // Arrays are atomic: written whole, not merged element-wise.
  await remote1.merge([ROOT, "nested", "dax", "tags"], ["z"])
  assert.deepEqual(await remote1.query_path([ROOT, "nested", "dax", "tags"]), ["z"])

  // Several paths in one query: the reply's merge is a tree from the root.
  const both = await remote1.query({ [ROOT]: { sharks: { "001": {} }, nested: { dax: { name: {} } } } })
  assert.deepEqual(both, { [ROOT]: { sharks: { "001": hh }, nested: { dax: { name: "Dax" } } } })

  // Nothing at a path: undefined.
  assert.equal(await remote1.query_path([ROOT, "nested", "nobody"]), undefined)
})

test("3. query options min / max / limit", { timeout: TEST_TIMEOUT }, async () => {
  const path = [ROOT, "opts"]
  const children = {
    a: { n: 1, deep: { x: "a" } },
    b: "leaf b",
    c: { n: 3 },
    d: { n: 4, deep: { x: "d", y: [1, 2] } },
    e: 5,
  }
  await remote1.merge(path, children)
  const keys = async opts => sorted(await remote1.query_keys(path, opts))

  assert.deepEqual(await keys({}), ["a", "b", "c", "d", "e"])
  assert.deepEqual(await keys({ min: "b" }), ["b", "c", "d", "e"])
  assert.deepEqual(await keys({ min: "bb" }), ["c", "d", "e"])
  assert.deepEqual(await keys({ max: "d" }), ["a", "b", "c"])
  assert.deepEqual(await keys({ limit: 2 }), ["a", "b"])
  assert.deepEqual(await keys({ limit: "2" }), ["a", "b"]) // the client's types declare limit as a string
  assert.deepEqual(await keys({ min: "b", max: "e", limit: 2 }), ["b", "c"])
  assert.deepEqual(await keys({ min: "b", max: "d", limit: "5" }), ["b", "c"])
  assert.deepEqual(await keys({ min: "c", limit: 10 }), ["c", "d", "e"])
  assert.deepEqual(await keys({ min: "x" }), [])

  // Each returned child comes whole.
  assert.deepEqual(await remote1.query_path(path, { min: "d" }), { d: children.d, e: children.e })
  assert.deepEqual(await remote1.query_path(path, { max: "b" }), { a: children.a })

  // The raw reply: a mutation whose delete marks only the paths queried without min/max/limit.
  const whole = await conn1.call("riptide.query", { [ROOT]: { opts: {} } })
  assert.deepEqual(whole.merge, { [ROOT]: { opts: children } })
  assert.deepEqual(whole.delete, { [ROOT]: { opts: 1 } })
  const bounded = await conn1.call("riptide.query", { [ROOT]: { opts: { limit: 1 } } })
  assert.deepEqual(bounded.merge, { [ROOT]: { opts: { a: children.a } } })
  assert.equal(typeof bounded.delete, "object")
  assert.notEqual(get(bounded.delete, [ROOT, "opts"]), 1)
})

test("4. delete and overwrite", { timeout: TEST_TIMEOUT }, async () => {
  const base = [ROOT, "del"]
  await remote1.merge(base, {
    keep: { x: 1 },
    gone: { deep: { er: 1 }, y: 2 },
    branch: { l1: 1, l2: 2 },
    over: { a: { b: 1 }, c: 2 },
  })

  // Delete a subtree.
  await remote1.delete([...base, "gone"])
  assert.equal(await remote1.query_path([...base, "gone"]), undefined)
  assert.equal(await remote1.query_path([...base, "gone", "deep", "er"]), undefined)
  assert.deepEqual(await remote1.query_path([...base, "keep"]), { x: 1 })

  // Delete a leaf under a branch; deleting the last leaf makes the branch disappear.
  await remote1.delete([...base, "branch", "l1"])
  assert.deepEqual(await remote1.query_path([...base, "branch"]), { l2: 2 })
  await remote1.delete([...base, "branch", "l2"])
  assert.equal(await remote1.query_path([...base, "branch"]), undefined)
  assert.deepEqual(sorted(await remote1.query_keys(base)), ["keep", "over"])

  // A leaf written over a branch replaces it.
  await remote1.merge([...base, "over", "a"], "now a leaf")
  assert.deepEqual(await remote1.query_path([...base, "over"]), { a: "now a leaf", c: 2 })
  assert.equal(await remote1.query_path([...base, "over", "a", "b"]), undefined)

  // And a branch written under a leaf replaces the leaf.
  await remote1.merge([...base, "over", "a", "z"], 3)
  assert.deepEqual(await remote1.query_path([...base, "over"]), { a: { z: 3 }, c: 2 })

  // A null leaf in merge deletes.
  await remote1.merge([...base, "over", "c"], null)
  assert.deepEqual(await remote1.query_path([...base, "over"]), { a: { z: 3 } })

  // Deletes apply before merges within one mutation.
  await remote1.mutation({
    delete: { [ROOT]: { del: { over: 1 } } },
    merge: { [ROOT]: { del: { over: { fresh: true } } } },
  })
  assert.deepEqual(await remote1.query_path([...base, "over"]), { fresh: true })

  // Deleting something that is not there is fine.
  await remote1.delete([...base, "never", "was"])
  assert.deepEqual(await remote1.query_path(base), { keep: { x: 1 }, over: { fresh: true } })

  await remote1.delete(base)
  assert.equal(await remote1.query_path(base), undefined)
})

test("5. a subscriber's Memory store follows the server", { timeout: TEST_TIMEOUT * 2 }, async () => {
  const room = [ROOT, "sub", "room"]
  await remote1.merge(room, {
    title: "Lobby",
    members: { alice: { name: "Alice", age: 30 }, bob: { name: "Bob" } },
    msgs: { m1: { text: "hi", from: "alice" } },
  })
  await remote1.merge([ROOT, "sub", "elsewhere"], { x: 1 })

  const conn2 = await connect()
  const remote2 = new Riptide.Store.Remote(conn2)
  const local2 = new Riptide.Store.Memory()
  local2.sync(remote2)
  const initial = await remote2.query_path(room, { subscribe: true })
  assert.equal(initial.title, "Lobby")
  await converge(local2, remote1, room, "after subscribing")

  const m = (merge, del = {}) => remote1.mutation({ merge, delete: del })
  const at = value => ({ [ROOT]: { sub: { room: value } } })

  await remote1.merge([...room, "members", "carol"], { name: "Carol", age: 25 })
  await converge(local2, remote1, room, "after adding carol")

  await remote1.merge([...room, "msgs", "m2"], { text: "yo", from: "carol", meta: { edited: false, n: 1 } })
  await converge(local2, remote1, room, "after a nested merge")

  await remote1.delete([...room, "members", "bob"])
  let now = await converge(local2, remote1, room, "after deleting bob")
  assert.deepEqual(sorted(Object.keys(now.members)), ["alice", "carol"])

  await remote1.delete([...room, "msgs", "m1", "from"])
  now = await converge(local2, remote1, room, "after deleting a leaf under a branch")
  assert.deepEqual(now.msgs.m1, { text: "hi" })

  await remote1.merge([...room, "members", "alice"], "gone")
  now = await converge(local2, remote1, room, "after a leaf write over a branch")
  assert.equal(now.members.alice, "gone")

  // One mutation with both parts: deletes first, then merges.
  await m(at({ msgs: { m3: { text: "fresh" } }, title: "Renamed" }), at({ msgs: 1 }))
  now = await converge(local2, remote1, room, "after a delete+merge mutation")
  assert.deepEqual(now.msgs, { m3: { text: "fresh" } })
  assert.equal(now.title, "Renamed")

  // Writes outside the subscribed path, then inside.
  await remote1.merge([ROOT, "sub", "elsewhere", "y"], 2)
  await remote1.merge([...room, "counter"], 0)
  await converge(local2, remote1, room, "after writes outside and inside")

  // A burst of pipelined writes.
  await Promise.all(
    Array.from({ length: 20 }, (_, i) => remote1.merge([...room, "burst", `k${String(i).padStart(2, "0")}`], i))
  )
  await Promise.all(
    Array.from({ length: 10 }, (_, i) => remote1.delete([...room, "burst", `k${String(i * 2).padStart(2, "0")}`]))
  )
  now = await converge(local2, remote1, room, "after a burst of writes")
  assert.equal(Object.keys(now.burst).length, 10)

  // The delete of an ancestor of the subscribed path.
  await remote1.delete([ROOT, "sub"])
  now = await converge(local2, remote1, room, "after deleting an ancestor")
  assert.equal(now, undefined)
  assert.equal(prune(clone(local2.query_path(room))), undefined)

  // The subscription outlives its data.
  await remote1.merge([...room, "title"], "Back")
  now = await converge(local2, remote1, room, "after writing into the deleted path")
  assert.deepEqual(now, { title: "Back" })

  // A separate subscription on a third connection: a leaf written at an ancestor.
  const deep = [ROOT, "lw", "a", "b"]
  await remote1.merge([ROOT, "lw"], { a: { b: { x: 1, y: { z: 2 } }, sib: 1 }, other: 1 })
  const conn3 = await connect()
  const remote3 = new Riptide.Store.Remote(conn3)
  const local3 = new Riptide.Store.Memory()
  local3.sync(remote3)
  assert.deepEqual(await remote3.query_path(deep, { subscribe: true }), { x: 1, y: { z: 2 } })
  await converge(local3, remote1, deep, "after subscribing")
  await remote1.merge([ROOT, "lw", "a"], "flat")
  now = await converge(local3, remote1, deep, "after a leaf write at an ancestor")
  assert.equal(now, undefined)
  assert.equal(await remote1.query_path([ROOT, "lw", "a"]), "flat")

  // The room subscriber (conn2) still follows, unaffected by the lw writes.
  await remote1.merge([...room, "members", "dave"], { name: "Dave" })
  now = await converge(local2, remote1, room, "after the last write")
  assert.deepEqual(now, { title: "Back", members: { dave: { name: "Dave" } } })
})

test("6. a connection's own mutations are pushed to it", { timeout: TEST_TIMEOUT }, async () => {
  const conn = await connect()
  const remote = new Riptide.Store.Remote(conn)
  const local = new Riptide.Store.Memory()
  local.sync(remote)
  const pushes = collectCasts(conn)
  const path = [ROOT, "own"]

  assert.equal(await remote.query_path(path, { subscribe: true }), undefined)
  // Written through the Remote directly, so the local store only learns of it from the push.
  await remote.merge([...path, "first"], { v: 1 })
  await until(() => local.query_path([...path, "first", "v"]) === 1, "the push of the connection's own write")
  await remote.merge([...path, "second"], { v: 2 })
  await until(() => local.query_path([...path, "second", "v"]) === 2, "the push of the second write")

  for (const push of pushes) {
    assert.equal(typeof push.merge, "object", "a push has a merge object")
    assert.equal(typeof push.delete, "object", "a push has a delete object")
  }
  // At most once per mutation: the first write's push came before the second's, and only once.
  assert.equal(pushes.filter(p => get(p.merge, [...path, "first", "v"]) === 1).length, 1)
  assert.deepEqual(prune(clone(local.query_path(path))), await remote.query_path(path))
})

test("7. an error reply rejects the call with code and message", { timeout: TEST_TIMEOUT }, async () => {
  const check = code => err => {
    assert.equal(typeof err, "object")
    assert.equal(err.code, code)
    assert.equal(typeof err.message, "string")
    assert.ok(err.message.length > 0)
    return true
  }
  await assert.rejects(conn1.call("riptide.mutation", { merge: { "bad/key": 1 } }), check("invalid_key"))

  // A rejected mutation leaves nothing behind, and the connection keeps working.
  await assert.rejects(
    conn1.call("riptide.mutation", { merge: { [ROOT]: { good: 1, "bad/key": 1 } }, delete: {} }),
    check("invalid_key")
  )
  assert.equal(await remote1.query_path([ROOT, "good"]), undefined)
  await assert.rejects(conn1.call("interop.no_such_action", {}), check("unknown_action"))
  assert.equal(typeof (await conn1.call("riptide.ping", {})), "number")
  assert.equal(await conn1.call("riptide.mutation", { merge: { [ROOT]: { good: 1 } }, delete: {} }), "ok")
  assert.equal(await remote1.query_path([ROOT, "good"]), 1)
})

test("8. kora.-prefixed actions", { timeout: TEST_TIMEOUT }, async () => {
  const time = await conn1.call("kora.ping", {})
  assert.equal(typeof time, "number")
  assert.ok(Math.abs(time - Date.now()) < 5_000)

  // kora.mutation answers the commit's version; kora.query answers carry the version they reflect
  const written = await conn1.call("kora.mutation", { merge: { [ROOT]: { kora: { x: 1, y: { z: "two" } } } }, delete: {} })
  assert.equal(typeof written.version, "number")
  const reply = await conn1.call("kora.query", { [ROOT]: { kora: {} } })
  assert.deepEqual(reply, {
    merge: { [ROOT]: { kora: { x: 1, y: { z: "two" } } } },
    delete: { [ROOT]: { kora: 1 } },
    version: reply.version,
  })
  assert.ok(reply.version >= written.version)
  // The same data through the riptide client.
  assert.deepEqual(await remote1.query_path([ROOT, "kora"]), { x: 1, y: { z: "two" } })

  await assert.rejects(conn1.call("kora.mutation", { merge: { "bad/key": 1 } }), err => err.code === "invalid_key")

  // A connection that only speaks kora.* gets its pushes as kora.mutation.
  const conn = await connect()
  const pushes = collectCasts(conn, "kora.mutation")
  const sub = await conn.call("kora.subscribe", { [ROOT]: { kora: { y: {} } } })
  assert.deepEqual(sub.merge, { [ROOT]: { kora: { y: { z: "two" } } } })
  assert.deepEqual(sub.delete, { [ROOT]: { kora: { y: 1 } } })
  await remote1.merge([ROOT, "kora", "y", "w"], 3)
  await until(() => pushes.some(p => get(p.merge, [ROOT, "kora", "y", "w"]) === 3), "a kora.mutation push")
  assert.ok(pushes.every(p => p.version > sub.version), "kora.mutation pushes carry later versions")
  assert.equal(await conn.call("kora.unsubscribe", { [ROOT]: { kora: { y: {} } } }), "ok")
})
