// A libp2p client in its own process, as a wallet's would be: it dials the wss:// multiaddr given
// as its argument over the WebSocket transport (Node's own WebSocket, whose TLS trusts what
// NODE_EXTRA_CA_CERTS adds to the system's roots — how a test trusts a self-signed certificate
// without turning verification off), pings the peer, and prints one JSON line: the connection's
// remote address and the ping's round trip, or the error. Exit code 0 when it connected, 1 if not.
// Every wait is bounded (10 s).
import { multiaddr } from '@multiformats/multiaddr'
import { createNodeHost } from '../../src/node/net/host.ts'

const target = process.argv[2]
if (target === undefined) {
  process.stdout.write(`${JSON.stringify({ error: 'usage: wss-dial.ts <multiaddr>' })}\n`)
  process.exit(2)
}
const host = await createNodeHost({ listenAddresses: [], gossipsub: false })
let code = 1
try {
  const connection = await host.dial(multiaddr(target), { signal: AbortSignal.timeout(10_000) })
  const rttMs = await host.services.ping.ping(connection.remotePeer, {
    signal: AbortSignal.timeout(10_000),
  })
  process.stdout.write(
    `${JSON.stringify({ remoteAddr: connection.remoteAddr.toString(), peer: connection.remotePeer.toString(), rttMs })}\n`,
  )
  code = 0
} catch (e) {
  // A WebSocket that failed to open rejects with its 'error' Event, not an Error.
  const error = e instanceof Error ? `${e.name}: ${e.message}` : `${(e as Event).type ?? e} event`
  process.stdout.write(`${JSON.stringify({ error })}\n`)
} finally {
  await host.stop()
}
process.exit(code)
