// Interop test of authentication: the published npm client @ironbay/riptide@0.2.5, unchanged,
// against a node that requires tokens. The client cannot set headers, so it gives its token as the
// access_token parameter of the URL. Run with:
//   KORA_URL=ws://127.0.0.1:PORT/socket KORA_TOKEN=<valid JWT> node --test auth.test.js
import { test, after } from "node:test"
import assert from "node:assert/strict"
import Riptide from "@ironbay/riptide"

const URL = process.env.KORA_URL
const TOKEN = process.env.KORA_TOKEN
const TEST_TIMEOUT = 20_000
const connections = []

function withTimeout(promise, ms, what) {
  let timer
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

async function connect(url) {
  const conn = Riptide.Connection.create()
  connections.push(conn)
  const ready = new Promise(resolve => {
    conn.transport.onStatus.add(status => {
      if (status === "ready") resolve()
    })
  })
  await conn.transport.connect(url)
  await withTimeout(ready, 10_000, `connecting to ${url}`)
  return conn
}

after(() => {
  for (const conn of connections) conn.transport.disconnect()
  setTimeout(() => process.exit(), 5_000).unref()
})

test("a token in the URL authenticates the connection", { timeout: TEST_TIMEOUT }, async () => {
  const remote = new Riptide.Store.Remote(await connect(`${URL}?access_token=${TOKEN}`))
  const key = `auth_${Date.now()}`
  await remote.merge([key, "greeting"], "hello")
  assert.deepEqual(await remote.query_path([key]), { greeting: "hello" })
})

test("without a token reads and writes are refused with unauthenticated", { timeout: TEST_TIMEOUT }, async () => {
  const conn = await connect(URL)
  const time = await conn.call("riptide.ping", {})
  assert.equal(typeof time, "number", "ping is allowed before authenticating")
  const unauthenticated = err => err.code === "unauthenticated"
  await assert.rejects(conn.call("riptide.query", { anything: {} }), unauthenticated)
  await assert.rejects(conn.call("riptide.mutation", { merge: { anything: 1 } }), unauthenticated)
  // kora.auth authenticates the open connection
  const answer = await conn.call("kora.auth", { token: TOKEN })
  assert.equal(answer.user, "riptide-user")
  await conn.call("riptide.query", { anything: {} })
})
