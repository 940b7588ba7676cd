// Raw libp2p figures on this machine, the yardsticks the network targets are read against
// (DESIGN §9): the echo round trip on one persistent stream, a new-stream ping, a cold dial, and
// the throughput of one stream — over loopback TCP and loopback WebSockets with Noise and Yamux,
// between two Node hosts in this process (no cross-process scheduling in the round trips).
// `node bench/net-raw.ts` prints JSON and writes bench/results/net-raw.json; `bench:network`
// can import the measurements (rawPair, echoRtt, streamThroughput).
import type { Connection, Stream } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { createNodeHost, type NodeHost } from '../src/node/net/host.ts'
import { report } from './measure.ts'

const ECHO = '/timecoin-bench/echo/1'
const SINK = '/timecoin-bench/sink/1'

export type RawTransport = 'tcp' | 'ws'

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN
}

function summary(samplesMs: number[]) {
  const sorted = [...samplesMs].sort((a, b) => a - b)
  const r = (x: number) => Math.round(x * 1000) / 1000
  return { n: sorted.length, p50Ms: r(quantile(sorted, 0.5)), p99Ms: r(quantile(sorted, 0.99)) }
}

/** Two hosts on loopback: `server` serves echo and sink; the caller stops both. */
export async function rawPair(): Promise<{ client: NodeHost; server: NodeHost }> {
  const options = {
    listen: { host: '127.0.0.1', tcpPort: 0, wsPort: 0 },
    gossipsub: false as const,
  }
  const [client, server] = await Promise.all([createNodeHost(options), createNodeHost(options)])
  await server.handle(ECHO, (stream) => {
    stream.addEventListener('message', (event) => {
      stream.send(event.data)
    })
  })
  await server.handle(SINK, (stream) => {
    let received = 0
    stream.addEventListener('message', (event) => {
      received += event.data.byteLength
    })
    stream.addEventListener('remoteCloseWrite', () => {
      stream.send(new TextEncoder().encode(String(received)))
      void stream.close()
    })
  })
  return { client, server }
}

export function addressFor(host: NodeHost, transport: RawTransport): Multiaddr {
  const found = host
    .getMultiaddrs()
    .find((a) => (transport === 'ws') === a.toString().includes('/ws'))
  if (found === undefined) throw new Error(`no ${transport} address`)
  return found
}

function nextMessage(stream: Stream): Promise<void> {
  return new Promise((resolve) =>
    stream.addEventListener('message', () => resolve(), { once: true }),
  )
}

/** Round trips of a `size`-byte message on one kept-open stream. */
export async function echoRtt(connection: Connection, rounds = 2_000, size = 64) {
  const stream = await connection.newStream(ECHO)
  const payload = new Uint8Array(size).fill(7)
  const samples: number[] = []
  for (let i = 0; i < rounds + 100; i++) {
    const reply = nextMessage(stream)
    const start = performance.now()
    stream.send(payload)
    await reply
    if (i >= 100) samples.push(performance.now() - start) // the first 100 warm up
  }
  await stream.close()
  return summary(samples)
}

/** Bytes per second through one stream, with back-pressure (`send` false → `onDrain`). */
export async function streamThroughput(connection: Connection, totalBytes = 64 * 1024 * 1024) {
  const chunk = new Uint8Array(64 * 1024).fill(1)
  const stream = await connection.newStream(SINK)
  const answer = nextMessage(stream)
  let answerText = ''
  stream.addEventListener('message', (event) => {
    answerText += new TextDecoder().decode(event.data.subarray())
  })
  const start = performance.now()
  for (let sent = 0; sent < totalBytes; sent += chunk.byteLength)
    if (!stream.send(chunk)) await stream.onDrain()
  await stream.close()
  await answer
  const seconds = (performance.now() - start) / 1000
  if (Number(answerText) !== totalBytes) throw new Error(`sink got ${answerText} of ${totalBytes}`)
  return { bytes: totalBytes, megabytesPerSecond: Math.round(totalBytes / 1e6 / seconds) }
}

async function measure(client: NodeHost, server: NodeHost, transport: RawTransport) {
  const dials: number[] = []
  for (let i = 0; i < 10; i++) {
    const start = performance.now()
    const c = await client.dial(addressFor(server, transport), { force: true })
    dials.push(performance.now() - start)
    if (i < 9) await c.close()
  }
  const [connection] = client.getConnections(server.peerId)
  if (connection === undefined) throw new Error('no connection')
  const pings: number[] = []
  for (let i = 0; i < 200; i++) {
    const start = performance.now() // ping() itself reports whole milliseconds
    await client.services.ping.ping(server.peerId)
    pings.push(performance.now() - start)
  }
  return {
    coldDial: summary(dials),
    newStreamPing: summary(pings),
    persistentStreamEcho: await echoRtt(connection),
    streamThroughput: await streamThroughput(connection),
  }
}

if (import.meta.main) {
  const { client, server } = await rawPair()
  try {
    const tcp = await measure(client, server, 'tcp')
    await client.hangUp(server.peerId)
    const ws = await measure(client, server, 'ws')
    report('net-raw', { tcp, ws })
  } finally {
    await Promise.all([client.stop(), server.stop()])
  }
}
