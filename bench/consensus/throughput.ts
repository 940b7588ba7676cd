// The wall-clock half of `npm run bench:consensus`: 4 real engines in this process on the one
// runtime (openEngine + EngineRuntime), each with its own MemoryStore, joined by a zero-latency
// in-process network. Every delivered message is pre-verified the way the Node shell does it
// (messageBundle, then one `verifyMany` per turn through a batching front on the worker-pool
// verifier), each node verifying for itself; durable writes complete on a later
// turn of the event loop (as a real store's callback does), so group commit can gather votes.
// Wallet transactions are signed before timing; a window of them is kept in flight and the clock
// stops when every one is final at all 4 masternodes.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import {
  assertVerdicts,
  type BatchVerifier,
  COIN,
  Committee,
  computeTxid,
  createBatchVerifier,
  DEFAULT_VERDICT_CACHE_ENTRIES,
  type Ed25519Verifier,
  EngineRuntime,
  inputSigningMessage,
  MemoryStore,
  type Message,
  MIN_FEE,
  messageBundle,
  openEngine,
  type PeerId,
  type SignatureCheck,
  type Store,
  type TimeCoinError,
  type Transaction,
  type TxOutput,
  type VoteBatch,
} from '../../src/core/index.ts'
import { txidKey } from '../../src/core/ledger/map-keys.ts'
import { nativeSigner } from '../../src/node/crypto/native-signer.ts'
import { monotonicClock, nodeTimers } from '../../src/node/engine-ports.ts'
import { openLevelStore } from '../../src/node/storage/level-store.ts'
import {
  GENESIS_HASH,
  GENESIS_TXID,
  keyPair,
  payloadOf,
  spend,
} from '../../test/support/ledger-fixture.ts'
import { masternodeKeys, PaymentWindow } from './payment-window.ts'

const round = (x: number, digits = 0) => Number(x.toFixed(digits))

export interface ThroughputOptions {
  readonly masternodes: number
  readonly transactions: number
  /** Transactions submitted but not yet final everywhere, at most. */
  readonly window: number
  /** Distinct wallet keys (the native verifier caches 4,096 imported keys). */
  readonly walletKeys: number
  /** Each node remembers the signatures it has verified (by signature, key and message). */
  readonly verdictCache: boolean
  /** Verifies for every node (each behind its own batching, remembering front). */
  readonly verifier: Ed25519Verifier
  readonly timeoutMs: number
  /** Each masternode's store: in memory (default), or LevelDB in a temporary folder as a daemon runs. */
  readonly store?: 'leveldb' | 'memory'
}

interface Node {
  readonly runtime: EngineRuntime
  readonly verifier: BatchVerifier
}

/** Signed transactions spending distinct genesis coins, and the genesis outputs they spend. */
export function prepareTransactions(count: number, walletKeys: number) {
  const owners = Array.from({ length: walletKeys }, (_, i) => keyPair(i))
  const value = 10n * COIN
  const outputs = Array.from(
    { length: count },
    (_, i): TxOutput => ({
      value: value as TxOutput['value'],
      address: payloadOf(owners[i % walletKeys]!),
    }),
  )
  const started = performance.now()
  const txs = Array.from(
    { length: count },
    (_, i) =>
      spend(
        [{ outpoint: { txid: GENESIS_TXID, vout: i }, value, owner: owners[i % walletKeys]! }],
        [
          { to: owners[(i + 1) % walletKeys]!, value: 6n * COIN },
          { to: owners[i % walletKeys]!, value: 4n * COIN - MIN_FEE },
        ],
      ).tx,
  )
  // Fresh objects, as a decoder hands them over: signing computed each txid, and that must not be
  // remembered into the timed runs.
  return { outputs, txs: txs.map((tx) => structuredClone(tx)), signMs: performance.now() - started }
}

/**
 * Ed25519 verifications per second through `verifier.verifyMany`, batches of 256 with four in
 * flight (the verifier's full capacity), and the main thread's busy time per verification.
 */
export async function verifyBound(
  txs: readonly Transaction[],
  verifier: Ed25519Verifier,
  ms = 1500,
): Promise<{ perSec: number; mainThreadMicrosPerVerify: number }> {
  const checks: SignatureCheck[] = txs.slice(0, 4096).map((tx) => {
    return {
      signature: tx.inputs[0]!.signature,
      // A copy: the runs after this one must derive each txid themselves.
      message: inputSigningMessage(GENESIS_HASH, computeTxid({ ...tx }), 0),
      publicKey: tx.inputs[0]!.publicKey,
    }
  })
  const BATCH = 256
  const IN_FLIGHT = 4
  let next = 0
  const batch = () => {
    const from = (next++ * BATCH) % checks.length
    return checks.slice(from, from + BATCH)
  }
  for (let i = 0; i < 3; i++) await verifier.verifyMany(batch())
  let n = 0
  const elu = performance.eventLoopUtilization()
  const start = performance.now()
  // IN_FLIGHT batches at once, so the verifier never waits for the next one to be handed over.
  const lane = async () => {
    while (performance.now() - start < ms) {
      const verdicts = await verifier.verifyMany(batch())
      if (verdicts.includes(false)) throw new Error('verify bound: a valid signature failed')
      n += verdicts.length
    }
  }
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane))
  const busy = performance.eventLoopUtilization(elu).active
  return {
    perSec: Math.round((n * 1000) / (performance.now() - start)),
    mainThreadMicrosPerVerify: round((busy * 1000) / n, 1),
  }
}

export async function finalizedThroughput(
  prepared: ReturnType<typeof prepareTransactions>,
  opts: ThroughputOptions,
) {
  const { outputs } = prepared
  const txs = prepared.txs.slice(0, opts.transactions)
  const mnKeys = masternodeKeys(opts.masternodes)
  const committee = new Committee(
    0,
    mnKeys.map((k) => ({ key: k.publicKey, weight: 10 })),
  )

  const nodes = new Map<PeerId, Node>()
  const stores: { store: Store; dir: string | null }[] = []

  // ── counters ──
  let rejected = 0
  let engineErrors = 0
  let toWallets = 0
  const delivered: Record<string, number> = {}
  const batches = new Set<VoteBatch>()
  // One wallet peer per payment, as a light wallet talks to one masternode.
  const payments = new PaymentWindow(
    txs,
    opts.masternodes,
    (i, tx) =>
      send(`wallet-${i % 64}`, peers[i % peers.length]!, { type: 'TransactionBroadcast', tx }),
    txidKey,
  )

  /**
   * What a shell does before the engine sees a message: build the bundle (structure checks,
   * Merkle root), then verify its signatures through the node's batching front, which gathers the
   * checks of one turn into one `verifyMany` and (with `verdictCache`) remembers every verdict, so
   * a copy of a message that arrives while the first is still being verified waits for it.
   */
  async function preverify(node: Node, message: Message): Promise<TimeCoinError | null> {
    try {
      const bundle = messageBundle(message, GENESIS_HASH)
      if (bundle.checks.length === 0) return null
      assertVerdicts(bundle, await node.verifier.verifyMany(bundle.checks))
      return null
    } catch (e) {
      rejected++
      return e as TimeCoinError
    }
  }

  for (const [index, key] of mnKeys.entries()) {
    const dir = opts.store !== 'leveldb' ? null : await mkdtemp(join(tmpdir(), 'timecoin-bench-'))
    const store: Store = dir === null ? new MemoryStore() : await openLevelStore(dir)
    stores.push({ store, dir })
    const engine = await openEngine(store, {
      genesisHash: GENESIS_HASH,
      genesis: { txid: GENESIS_TXID, outputs },
      committee,
      key,
      // As a Node masternode signs: node:crypto (the same bytes as noble, far cheaper).
      signer: nativeSigner(key),
    })
    const self = engine.id
    const node: Node = {
      verifier: createBatchVerifier(opts.verifier, {
        cacheEntries: opts.verdictCache ? DEFAULT_VERDICT_CACHE_ENTRIES : 0,
      }),
      runtime: new EngineRuntime(engine, {
        clock: monotonicClock,
        timers: nodeTimers,
        transport: (to, message) => {
          if (message.type === 'InstantFinalityVote') batches.add(message.batch)
          send(self, to, message)
        },
        // Applied in emission order; the answer comes on a later turn (at once, the memory
        // store's promise would resolve before group commit could gather anything).
        store: (ops, sync, done) => {
          store.write(ops, { sync }).then(
            () => (dir === null ? setImmediate(done) : done()),
            (err: unknown) => {
              engineErrors++
              process.stderr.write(`store error: ${String(err)}\n`)
            },
          )
        },
        verify: (message) => preverify(node, message),
        notify: (n) => {
          if (n.type === 'finalized') payments.finalized(txidKey(n.txid))
          else if (n.type === 'alarm') {
            engineErrors++
            process.stderr.write(`alarm at mn${index}: ${n.code} ${n.message}\n`)
          }
        },
      }),
    }
    nodes.set(self, node)
  }
  const peers = [...nodes.keys()]

  function send(from: PeerId, to: PeerId, message: Message): void {
    const node = nodes.get(to)
    if (node === undefined) {
      toWallets++
      return
    }
    delivered[message.type] = (delivered[message.type] ?? 0) + 1
    node.runtime.deliver(from, message)
  }

  for (const node of nodes.values()) node.runtime.start()
  const timing = await payments.run(opts.window, opts.timeoutMs)
  for (const node of nodes.values()) node.runtime.stop()
  // Let in-flight work drain so it does not leak into the next measurement.
  await new Promise((r) => setTimeout(r, 200))
  for (const { store, dir } of stores) {
    await store.close()
    if (dir !== null) await rm(dir, { recursive: true, force: true })
  }

  let verifications = 0
  let cacheHits = 0
  for (const node of nodes.values()) {
    const stats = node.verifier.stats()
    verifications += stats.verified
    cacheHits += stats.cacheHits + stats.inFlightHits
  }
  let leaves = 0
  for (const b of batches) leaves += b.leaves.length
  const per = (x: number) => payments.per(x)
  return {
    store: opts.store ?? 'memory',
    ...payments.summary(timing, opts),
    mainThreadBusy: timing.mainThreadBusy,
    voteBatches: batches.size,
    leavesPerBatch: round(leaves / Math.max(1, batches.size), 1),
    perFinalizedTx: {
      signatureVerifications: per(verifications),
      verdictCacheHits: per(cacheHits),
      voteSignatures: per(batches.size),
      deliveredMessages: Object.fromEntries(Object.entries(delivered).map(([k, v]) => [k, per(v)])),
      messagesToWallets: per(toWallets),
    },
    rejectedMessages: rejected,
    engineErrors,
  }
}
