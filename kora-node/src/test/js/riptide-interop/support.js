// What the interop tests share: connecting the unchanged @ironbay/riptide client (waiting until it
// is ready) with bounded waits, and closing every connection once a file's tests are done.
import { after } from "node:test"
import Riptide from "@ironbay/riptide"

const connections = []

export function withTimeout(promise, ms, what) {
  let timer
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

export async function connect(url) {
  const conn = Riptide.Connection.create()
  connections.push(conn)
  const ready = new Promise(resolve => {
    conn.transport.onStatus.add(status => {
      if (status === "ready") resolve()
    })
  })
  await conn.transport.connect(url)
  await withTimeout(ready, 10_000, `connecting to ${url.replace(/access_token=[^&]*/, "access_token=...")}`)
  return conn
}

after(() => {
  for (const conn of connections) conn.transport.disconnect()
  setTimeout(() => process.exit(), 5_000).unref()
})
