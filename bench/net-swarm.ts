// The subscriber swarm of `npm run bench:network` (forked by bench/network.ts with
// process.execPath, so the masternode's RSS is measured without the subscribers'): `count` libp2p
// hosts, each with its own identity and WebSocket connection to one masternode, handshake as light
// clients, open the wallet stream and subscribe to one address. Frames are cut and read by offset,
// not decoded (a thousand wallets share this thread; the last one's stamp must not wait for the
// decoding of the others): each SpentFinalized notification is stamped in wall-clock milliseconds
// (performance.timeOrigin + now) under the spender's txid.
//
// Parent → child: { type: 'start', address, count, hot }, { type: 'report' }, { type: 'stop' }.
// Child → parent: { type: 'ready', subscribed, failed, ms }, { type: 'report', receipts }, or
// { type: 'error', error }. The child exits when told to stop or when its parent goes away.
import { multiaddr } from '@multiformats/multiaddr'
import { type AddressPayload, bytesToHex, fromHex, PROTOCOLS } from '../src/core/index.ts'
import { FrameReader, type HandshakeService, handshake } from '../src/core/net/index.ts'
import { PeerRole } from '../src/core/protocol/handshake.ts'
import { protocolIdOf } from '../src/core/protocol/protocols.ts'
import { createNodeHost, type NodeHost } from '../src/node/net/host.ts'
import { GENESIS_HASH } from '../test/support/ledger-fixture.ts'

interface Start {
  readonly type: 'start'
  readonly address: string
  readonly count: number
  readonly hot: string
}
type Command = Start | { readonly type: 'report' } | { readonly type: 'stop' }

/** docs/PROTOCOL.md §19.5: a notification is tag ‖ outpoint (36) ‖ value (8) ‖ address (20) ‖
 * state kind ‖ txid (32) …; state kind 3 is SpentFinalized. */
const SUBSCRIBE_ANSWER = 0x22
const NOTIFICATION = 0x23
const STATE_AT = 1 + 36 + 8 + 20
const SPENT_FINALIZED = 3

type SwarmHost = NodeHost<{ handshake: HandshakeService }>
const hosts: SwarmHost[] = []
const receipts: Record<string, number[]> = {}
const now = () => performance.timeOrigin + performance.now()
const send = (message: unknown) => process.send?.(message)

async function subscriber(host: SwarmHost, start: Start): Promise<void> {
  const signal = AbortSignal.timeout(60_000)
  const connection = await host.dial(multiaddr(start.address), { signal })
  const stream = await connection.newStream(protocolIdOf('devnet', 'wallet'), { signal })
  const codec = PROTOCOLS.wallet.listener!
  const reader = new FrameReader({ maxDataLength: codec.maxDataLength })
  const answered = new Promise<void>((resolve, reject) => {
    signal.addEventListener('abort', () => reject(new Error('no subscribe answer')))
    stream.addEventListener('message', (event) => {
      const at = now()
      reader.push(event.data, (frame) => {
        if (frame[0] === SUBSCRIBE_ANSWER) resolve()
        else if (frame[0] === NOTIFICATION && frame[STATE_AT] === SPENT_FINALIZED) {
          const id = bytesToHex(frame.subarray(STATE_AT + 1, STATE_AT + 33))
          const list = receipts[id] ?? []
          list.push(at)
          receipts[id] = list
        }
      })
    })
  })
  const request = PROTOCOLS.wallet.dialer.encode({
    type: 'UTXOSubscribe',
    requestId: 1,
    addresses: [fromHex(start.hot, 20) as AddressPayload],
  })
  // One subscribe of one address is 27 bytes: a one-byte varint length prefix.
  stream.send(Uint8Array.of(request.length, ...request))
  await answered
}

async function startSwarm(start: Start): Promise<void> {
  const started = now()
  let failed = 0
  const batch = 25
  for (let i = 0; i < start.count; i += batch) {
    const made: SwarmHost[] = await Promise.all(
      Array.from({ length: Math.min(batch, start.count - i) }, () =>
        createNodeHost({
          listenAddresses: [],
          gossipsub: false,
          services: {
            handshake: handshake({
              network: 'devnet',
              genesisHash: GENESIS_HASH,
              role: PeerRole.LightClient,
              tip: () => ({ height: 0, hash: GENESIS_HASH }),
              timeoutMs: 60_000,
            }),
          },
        }),
      ),
    )
    hosts.push(...made)
    const results = await Promise.allSettled(made.map((h) => subscriber(h, start)))
    failed += results.filter((r) => r.status === 'rejected').length
  }
  send({ type: 'ready', subscribed: start.count - failed, failed, ms: Math.round(now() - started) })
}

process.on('message', (command: Command) => {
  if (command.type === 'start')
    startSwarm(command).catch((error: unknown) => send({ type: 'error', error: String(error) }))
  else if (command.type === 'report') send({ type: 'report', receipts })
  else if (command.type === 'stop')
    void Promise.allSettled(hosts.map((h) => h.stop())).then(() => process.exit(0))
})
process.on('disconnect', () => process.exit(0))
