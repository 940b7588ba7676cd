// A swarm of light wallets in a child process (forked by test/node/net/wallet-fanout.test.ts, so
// the masternode's memory is measured without theirs): `count` libp2p hosts, each with its own
// identity and connection, handshake as light clients, open the wallet stream to one masternode
// and subscribe to the shared address; a few drive the full light client (every proof checked),
// the rest only read frames. The arrival of each SpentFinalized notification is stamped in
// wall-clock milliseconds (performance.timeOrigin + now), by its spender's txid, and sent back.
//
// Parent → child: { type: 'start', address, transport, count, checked, hot (address hex) },
// { type: 'report' }, { type: 'stop' } (`connectionMonitor` too, for each host). Child → parent: { type: 'ready', subscribed, ms },
// { type: 'report', receipts: { [txid hex]: number[] }, refused, checkedFinal }, { type: 'error' }.
import { memory } from '@libp2p/memory'
import { multiaddr } from '@multiformats/multiaddr'
import {
  type AddressPayload,
  bytesToHex,
  fromHex,
  LightClient,
  PROTOCOLS,
  protocolIdOf,
} from '../../src/core/index.ts'
import { FrameReader, type HandshakeService, WalletClient } from '../../src/core/net/index.ts'
import { createNodeHost, type NodeHost, type NodeHostOptions } from '../../src/node/net/host.ts'
import { GENESIS_HASH } from './ledger-fixture.ts'
import { PeerRole, peerHandshake } from './peer-handshake.ts'
import { fanoutFx } from './wallet-fanout-fixture.ts'

interface Start {
  readonly type: 'start'
  readonly address: string
  readonly transport: 'tcp' | 'ws' | 'memory'
  readonly count: number
  readonly checked: number
  readonly hot: string
  readonly connectionMonitor: NodeHostOptions['connectionMonitor']
}

type Message = Start | { readonly type: 'report' } | { readonly type: 'stop' }

const now = () => performance.timeOrigin + performance.now()

/** Tags and offsets of docs/PROTOCOL.md §19.5: a notification is tag ‖ outpoint (36) ‖ value (8) ‖
 * address (20) ‖ state kind ‖ txid (32) …; state kind 3 is SpentFinalized. */
const SUBSCRIBE_ANSWER = 0x22
const NOTIFICATION = 0x23
const STATE_AT = 1 + 36 + 8 + 20
const SPENT_FINALIZED = 3
type SwarmHost = NodeHost<{ handshake: HandshakeService }>

const hosts: SwarmHost[] = []
const receipts: Record<string, number[]> = {}
const checkedClients: LightClient[] = []
let refused = 0

function send(message: unknown): void {
  process.send?.(message)
}

function record(txid: Uint8Array, at: number): void {
  const id = bytesToHex(txid)
  const list = receipts[id] ?? []
  list.push(at)
  receipts[id] = list
}

/** A wallet that reads frames only: stamps each notification, checks nothing. */
async function rawWallet(host: SwarmHost, start: Start): Promise<void> {
  const connection = await host.dial(multiaddr(start.address), {
    signal: AbortSignal.timeout(60_000),
  })
  const stream = await connection.newStream(protocolIdOf('devnet', 'wallet'), {
    signal: AbortSignal.timeout(60_000),
  })
  const codec = PROTOCOLS.wallet.listener!
  const reader = new FrameReader({
    maxDataLength: codec.maxDataLength,
    checkLength: codec.checkLength,
  })
  let subscribed!: () => void
  const answered = new Promise<void>((resolve) => (subscribed = resolve))
  stream.addEventListener('message', (event) => {
    const at = now()
    // Read by offset, not decoded: a thousand wallets share this process, and the stamp of the
    // last one must not wait for the decoding of the others.
    reader.push(event.data, (frame) => {
      if (frame[0] === SUBSCRIBE_ANSWER) subscribed()
      else if (frame[0] === NOTIFICATION && frame[STATE_AT] === SPENT_FINALIZED)
        record(frame.subarray(STATE_AT + 1, STATE_AT + 33), at)
    })
  })
  const request = PROTOCOLS.wallet.dialer.encode({
    type: 'UTXOSubscribe',
    requestId: 1,
    addresses: [fromHex(start.hot, 20) as AddressPayload],
  } as never)
  stream.send(Uint8Array.of(request.length, ...request))
  await answered
}

/** A wallet with the full light client: every proof is checked. */
async function checkedWallet(host: SwarmHost, start: Start): Promise<void> {
  const client = new LightClient({
    genesisHash: GENESIS_HASH,
    genesisCommittee: fanoutFx.committee,
  })
  const adapter = new WalletClient({ network: 'devnet', client })
  adapter.addEventListener('event', (e) => {
    if (e.detail.type === 'refused') refused++
  })
  const hot = fromHex(start.hot, 20) as AddressPayload
  adapter.subscribe([hot])
  const connection = await host.dial(multiaddr(start.address), {
    signal: AbortSignal.timeout(60_000),
  })
  await adapter.connect(connection, { handshake: host.services.handshake })
  const deadline = now() + 60_000
  while (!client.isSynced(hot)) {
    if (now() > deadline) throw new Error('a checked wallet never got in step')
    await new Promise((r) => setTimeout(r, 20))
  }
  checkedClients.push(client)
}

/**
 * Tries again (three times at most, after a short pause) when a dial or the subscribe fails, as a
 * wallet would: on a busy machine a Noise handshake among dozens at once can miss its deadline.
 */
async function retry(connect: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await connect()
    } catch (error) {
      retries++
      if (attempt >= 3) throw error
      await new Promise((r) => setTimeout(r, 200 * attempt))
    }
  }
}

let retries = 0

async function startSwarm(start: Start): Promise<void> {
  const started = now()
  const batch = 20
  for (let i = 0; i < start.count; i += batch) {
    const made = await Promise.all(
      Array.from({ length: Math.min(batch, start.count - i) }, () =>
        createNodeHost({
          ...(start.transport === 'memory' ? { transports: [memory()] } : {}),
          listenAddresses: [],
          gossipsub: false,
          ...(start.connectionMonitor === undefined
            ? {}
            : { connectionMonitor: start.connectionMonitor }),
          services: { handshake: peerHandshake(PeerRole.LightClient, 120_000) },
        }),
      ),
    )
    hosts.push(...made)
    await Promise.all(
      made.map((host, k) =>
        retry(() => (i + k < start.checked ? checkedWallet(host, start) : rawWallet(host, start))),
      ),
    )
  }
  send({ type: 'ready', subscribed: hosts.length, ms: now() - started, retries })
}

function checkedFinal(): number {
  let n = 0
  for (const c of checkedClients)
    for (const h of c.outputs(fromHex(lastStart!.hot, 20) as AddressPayload))
      if (h.utxo.state.kind === 'SpentFinalized' || h.utxo.state.kind === 'Confirmed')
        if (h.proven) n++
  return n
}

let lastStart: Start | undefined

process.on('message', (message: Message) => {
  if (message.type === 'start') {
    lastStart = message
    startSwarm(message).catch((error: unknown) => send({ type: 'error', error: String(error) }))
  } else if (message.type === 'report')
    send({ type: 'report', receipts, refused, checkedFinal: checkedFinal() })
  else if (message.type === 'stop')
    void Promise.allSettled(hosts.map((h) => h.stop())).then(() => process.exit(0))
})
process.on('disconnect', () => process.exit(0))
