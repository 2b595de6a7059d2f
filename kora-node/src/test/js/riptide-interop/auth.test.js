// Interop test of authentication: the published npm client @ironbay/riptide@0.2.5, unchanged,
// against a node that requires tokens. The client cannot set headers, so it gives its token as the
// access_token parameter of the URL. Run with:
//   KORA_URL=ws://127.0.0.1:PORT/socket KORA_TOKEN=<valid JWT> node --test auth.test.js
import { test } from "node:test"
import assert from "node:assert/strict"
import Riptide from "@ironbay/riptide"
import { connect } from "./support.js"

const URL = process.env.KORA_URL
const TOKEN = process.env.KORA_TOKEN
const TEST_TIMEOUT = 20_000

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
