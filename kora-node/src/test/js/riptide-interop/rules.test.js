// Interop test of declarative rules: the published npm client @ironbay/riptide@0.2.5, unchanged,
// against a node with tokens and the rules of RulesTest.RULES (profiles/{user}/** for the owner,
// profiles/{user}/name for anyone signed in). Tokens go in the URL. Run with:
//   KORA_URL=ws://127.0.0.1:PORT/socket KORA_TOKEN_DAX=<JWT sub dax> KORA_TOKEN_BOB=<JWT sub bob> \
//     node --test rules.test.js
import { test } from "node:test"
import assert from "node:assert/strict"
import Riptide from "@ironbay/riptide"
import { connect as connectTo } from "./support.js"

const URL = process.env.KORA_URL
const DAX = process.env.KORA_TOKEN_DAX
const BOB = process.env.KORA_TOKEN_BOB
const TEST_TIMEOUT = 20_000

function connect(token) {
  return connectTo(`${URL}?access_token=${token}`)
}

async function until(predicate, what) {
  const deadline = Date.now() + 10_000
  while (!predicate()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

test("answers and pushes carry only the fields the rules let a client read", { timeout: TEST_TIMEOUT }, async () => {
  const dax = new Riptide.Store.Remote(await connect(DAX))
  const bobConn = await connect(BOB)
  const bob = new Riptide.Store.Remote(bobConn)
  const pushes = []
  bobConn.on_cast.add(msg => {
    if (msg.type === "cast" && msg.action === "riptide.mutation") pushes.push(msg.body)
  })
  const local = new Riptide.Store.Memory()
  local.sync(bob)
  await dax.merge(["profiles", "dax"], { name: "Dax", email: "dax@example.com" })
  assert.deepEqual(await bob.query_path(["profiles", "dax"], { subscribe: true }), { name: "Dax" },
    "bob reads dax's name, not her email")
  await dax.merge(["profiles", "dax"], { name: "Dax D.", email: "new@example.com" })
  await until(() => local.query_path(["profiles", "dax", "name"]) === "Dax D.", "the push of the name")
  assert.equal(local.query_path(["profiles", "dax", "email"]), undefined)
  assert.ok(pushes.length > 0)
  assert.ok(!JSON.stringify(pushes).includes("example.com"), "no email in any push: " + JSON.stringify(pushes))
  assert.deepEqual(await dax.query_path(["profiles", "dax"]), { name: "Dax D.", email: "new@example.com" })
})

test("a write no rule allows is refused with denied and lands nowhere", { timeout: TEST_TIMEOUT }, async () => {
  const bob = new Riptide.Store.Remote(await connect(BOB))
  await assert.rejects(bob.merge(["profiles", "dax", "name"], "hacked"), err => err.code === "denied")
  await bob.merge(["profiles", "bob", "name"], "Bob")
  const dax = new Riptide.Store.Remote(await connect(DAX))
  assert.notEqual(await dax.query_path(["profiles", "dax", "name"]), "hacked")
  assert.deepEqual(await dax.query_path(["profiles", "bob"]), { name: "Bob" })
})
