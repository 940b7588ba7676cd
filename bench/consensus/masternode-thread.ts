import { type MessagePort, parentPort, workerData } from 'node:worker_threads'
import {
  assertVerdicts,
  bytesToHex,
  Committee,
  type CommitteeMember,
  createBatchVerifier,
  DEFAULT_VERDICT_CACHE_ENTRIES,
  decodeMessage,
  EngineRuntime,
  encodeMessage,
  type KeyPair,
  MemoryStore,
  type Message,
  messageBundle,
  openEngine,
  type PeerId,
  type TimeCoinError,
  type Txid,
  type TxOutput,
} from '../../src/core/index.ts'
import { nativeSigner } from '../../src/node/crypto/native-signer.ts'
import { createThreadVerifier } from '../../src/node/crypto/native-verify.ts'
import { monotonicClock, nodeTimers } from '../../src/node/engine-ports.ts'

export interface MasternodeInit {
  readonly key: KeyPair
  readonly members: readonly CommitteeMember[]
  readonly genesisHash: Uint8Array
  readonly genesis: { readonly txid: Txid; readonly outputs: readonly TxOutput[] }
  /** Peer masternode id (hex key) → the port to it. */
  readonly peers: Readonly<Record<PeerId, MessagePort>>
  readonly verdictCache: boolean
}

/** From the driver: a wallet's message to deliver, or the signal to report and stop. */
export type ToMasternode =
  | { readonly type: 'deliver'; readonly from: PeerId; readonly message: Uint8Array }
  | { readonly type: 'stop' }

/** To the driver. */
export type FromMasternode =
  | { readonly type: 'ready' }
  | { readonly type: 'finalized'; readonly txid: string }
  | {
      readonly type: 'stats'
      readonly verified: number
      readonly cacheHits: number
      readonly batches: number
      readonly leaves: number
      readonly delivered: Record<string, number>
      readonly toWallets: number
      readonly rejected: number
      readonly errors: number
    }

const init = workerData as MasternodeInit
const port = parentPort!
const post = (m: FromMasternode) => port.postMessage(m)

const verifier = createBatchVerifier(createThreadVerifier(), {
  cacheEntries: init.verdictCache ? DEFAULT_VERDICT_CACHE_ENTRIES : 0,
})
const store = new MemoryStore()
const engine = await openEngine(store, {
  genesisHash: init.genesisHash,
  genesis: init.genesis,
  committee: new Committee(0, init.members),
  key: init.key,
  signer: nativeSigner(init.key),
})
/** Wire bytes of the messages this node sends, by message (a broadcast is encoded once). */
const encoded = new WeakMap<Message, Uint8Array>()
/** This node's own vote batches (each sent to every peer, counted once). */
const ownBatches = new WeakSet<object>()
let batches = 0
let leaves = 0
let toWallets = 0
let rejected = 0
let errors = 0
const delivered: Record<string, number> = {}

async function preverify(message: Message): Promise<TimeCoinError | null> {
  try {
    const bundle = messageBundle(message, init.genesisHash)
    if (bundle.checks.length === 0) return null
    assertVerdicts(bundle, await verifier.verifyMany(bundle.checks))
    return null
  } catch (e) {
    rejected++
    return e as TimeCoinError
  }
}

const runtime = new EngineRuntime(engine, {
  clock: monotonicClock,
  timers: nodeTimers,
  transport: (to, message) => {
    const peer = init.peers[to]
    if (peer === undefined) {
      toWallets++
      return
    }
    if (message.type === 'InstantFinalityVote' && !ownBatches.has(message.batch)) {
      ownBatches.add(message.batch)
      batches++
      leaves += message.batch.leaves.length
    }
    // As on a committee link: the message's wire bytes, encoded once however many peers get it.
    let bytes = encoded.get(message)
    if (bytes === undefined) {
      bytes = encodeMessage(message)
      encoded.set(message, bytes)
    }
    peer.postMessage(bytes)
  },
  store: (ops, sync, done) => {
    store.write(ops, { sync }).then(
      () => setImmediate(done),
      () => errors++,
    )
  },
  verify: preverify,
  notify: (n) => {
    if (n.type === 'finalized') post({ type: 'finalized', txid: bytesToHex(n.txid) })
    else if (n.type === 'alarm') errors++
  },
})

for (const [peer, p] of Object.entries(init.peers)) {
  p.on('message', (bytes: Uint8Array) => {
    const message = decodeMessage(bytes)
    delivered[message.type] = (delivered[message.type] ?? 0) + 1
    runtime.deliver(peer, message)
  })
}
port.on('message', (m: ToMasternode) => {
  if (m.type === 'deliver') return runtime.deliver(m.from, decodeMessage(m.message))
  const stats = verifier.stats()
  runtime.stop()
  post({
    type: 'stats',
    verified: stats.verified,
    cacheHits: stats.cacheHits + stats.inFlightHits,
    batches,
    leaves,
    delivered,
    toWallets,
    rejected,
    errors,
  })
  for (const p of Object.values(init.peers)) p.close()
  port.close()
})
runtime.start()
post({ type: 'ready' })
