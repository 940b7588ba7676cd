/**
 * `RpcNode` over a running engine: reads go to the engine's public views (tip, committee, ledger,
 * mempool, finality, recent blocks) and to the store's committed blocks; `submit` checks the
 * spend against the UTXO set first (a conflict, a wrong key, short funds or fee are answered as
 * typed errors and the engine never sees the transaction), then hands it to the daemon's submit
 * function. The daemon forwards the runtime's notifications to `notify`, which wakes finality
 * waiters. Invariants: nothing here writes to the engine or the store (`checkSpend` only leaves
 * the ledger's memo of its last answer, which `admit` checks again before trusting); waiters are bounded
 * (`maxWaiters`, past it a wait answers at once) and each ends by finality, timeout or abort;
 * the hash → height index holds one entry per committed block (history, like the blocks).
 */
import { performance } from 'node:perf_hooks'
import { blockHash } from '../../core/consensus/block.ts'
import { bytesToHex, equalBytes } from '../../core/encoding/bytes.ts'
import { loadCommittedBlocks } from '../../core/engine/chain-store.ts'
import type { FinalityEngine } from '../../core/engine/finality-engine.ts'
import type { CertifiedBlock } from '../../core/engine/recent-blocks.ts'
import type { Notification } from '../../core/engine/runtime.ts'
import { LedgerError } from '../../core/errors.ts'
import type { UtxoSummary } from '../../core/ledger/utxo-set.ts'
import type { UtxoEntry } from '../../core/ledger/utxo-state.ts'
import type { NetworkName } from '../../core/primitives/network.ts'
import { type OutPoint, outPointToString } from '../../core/primitives/outpoint.ts'
import { computeTxid, type Transaction } from '../../core/primitives/transaction.ts'
import { type Txid, txidToHex } from '../../core/primitives/txid.ts'
import type { Store } from '../../core/storage/store.ts'
import type { FinalityStatus, MempoolView, RpcNode, TxLocation } from './rpc-node.ts'

/** Finality waits held at once; past it a wait answers with the current status at once. */
export const DEFAULT_MAX_WAITERS = 1_024
/** Blocks read per store scan when a hash is not yet in the index. */
const INDEX_CHUNK = 256

export interface EngineRpcNodeOptions {
  readonly network: NetworkName
  readonly engine: FinalityEngine
  readonly genesisTxid: Txid
  /** The engine's store: committed blocks are read from it. */
  readonly store: Store
  /** How a checked transaction reaches the engine (the runtime's or the network service's). */
  readonly submit: (tx: Transaction) => Promise<void>
  /** Begins the daemon's orderly shutdown. */
  readonly stop: () => void
  /** Monotonic milliseconds (default performance.now). */
  readonly clock?: () => number
  readonly maxWaiters?: number
}

interface Waiter {
  readonly txid: Txid
  /** Ends the wait with the status then. */
  readonly done: () => void
}

export class EngineRpcNode implements RpcNode {
  readonly network: NetworkName
  readonly genesisHash: Uint8Array
  readonly genesisTxid: Txid
  readonly #engine: FinalityEngine
  readonly #options: EngineRpcNodeOptions
  readonly #clock: () => number
  readonly #startedAt: number
  readonly #maxWaiters: number
  /** Waiters by txid (hex). */
  readonly #waiters = new Map<string, Set<Waiter>>()
  #waiting = 0
  /** Block hash (hex) → height, for heights 1 … #indexed. */
  readonly #heights = new Map<string, number>()
  #indexed = 0

  constructor(options: EngineRpcNodeOptions) {
    this.#options = options
    this.#engine = options.engine
    this.network = options.network
    this.genesisHash = options.engine.ledger.genesisHash
    this.genesisTxid = options.genesisTxid
    this.#clock = options.clock ?? (() => performance.now())
    this.#startedAt = this.#clock()
    this.#maxWaiters = options.maxWaiters ?? DEFAULT_MAX_WAITERS
  }

  /** The runtime's notifications: finality and commits wake the waiters they concern. */
  notify(n: Notification): void {
    if (n.type === 'finalized') this.#wake(txidToHex(n.txid))
    else if (n.type === 'committed') for (const id of [...this.#waiters.keys()]) this.#wake(id)
  }

  uptime(): number {
    return Math.floor((this.#clock() - this.#startedAt) / 1000)
  }

  tip() {
    return this.#engine.tip ?? { height: 0, hash: this.genesisHash }
  }

  committee() {
    return this.#engine.committee
  }

  async block(height: number): Promise<CertifiedBlock | undefined> {
    if (!Number.isSafeInteger(height) || height < 1 || height > this.tip().height) return undefined
    return (await loadCommittedBlocks(this.#options.store, height, 1))[0]
  }

  async blockHeight(hash: Uint8Array): Promise<number | undefined> {
    if (equalBytes(hash, this.genesisHash)) return 0
    const id = bytesToHex(hash)
    const tip = this.tip().height
    while (!this.#heights.has(id) && this.#indexed < tip) {
      const blocks = await loadCommittedBlocks(this.#options.store, this.#indexed + 1, INDEX_CHUNK)
      if (blocks.length === 0) break
      for (const b of blocks)
        this.#heights.set(bytesToHex(blockHash(b.block.header)), b.block.header.height)
      this.#indexed += blocks.length
    }
    return this.#heights.get(id)
  }

  utxo(outpoint: OutPoint): UtxoEntry | undefined {
    return this.#engine.ledger.utxos.get(outpoint)
  }

  utxoSummary(): UtxoSummary {
    return this.#engine.ledger.summary()
  }

  mempool(): MempoolView {
    return this.#engine.ledger.mempool
  }

  transaction(txid: Txid): TxLocation | undefined {
    const entry = this.#engine.ledger.mempool.get(txid)
    if (entry !== undefined) return { tx: entry.tx, mempool: entry, block: undefined }
    const included = this.#engine.inclusion(txid)
    if (included === undefined) return undefined
    const tx = included.block.transactions.find((t) => equalBytes(computeTxid(t), txid))
    if (tx === undefined) return undefined
    const { header } = included.block
    return { tx, mempool: undefined, block: { height: header.height, hash: blockHash(header) } }
  }

  finality(txid: Txid): FinalityStatus {
    const engine = this.#engine
    const committee = engine.committee
    const included = engine.inclusion(txid)
    const entry = engine.ledger.mempool.get(txid)
    const certificate = engine.ledger.certificate(txid)
    const decision = engine.decisionOf(txid)
    const acceptWeight = engine.acceptWeight(txid)
    const status =
      included !== undefined
        ? 'confirmed'
        : certificate !== undefined || entry?.status === 'finalized' || engine.isFinal(txid)
          ? 'final'
          : entry !== undefined || decision !== undefined || acceptWeight > 0
            ? 'pending'
            : 'unknown'
    return {
      txid,
      status,
      epoch: committee.epoch,
      acceptWeight,
      threshold: committee.threshold,
      totalWeight: committee.totalWeight,
      decision,
      certificate,
      block:
        included === undefined
          ? undefined
          : { height: included.block.header.height, hash: blockHash(included.block.header) },
    }
  }

  waitForFinality(txid: Txid, timeoutMs: number, signal: AbortSignal): Promise<FinalityStatus> {
    const now = this.finality(txid)
    if (now.status === 'final' || now.status === 'confirmed') return Promise.resolve(now)
    if (this.#waiting >= this.#maxWaiters || signal.aborted || timeoutMs <= 0)
      return Promise.resolve(now)
    return new Promise((resolve) => {
      const id = txidToHex(txid)
      const set = this.#waiters.get(id) ?? new Set()
      this.#waiters.set(id, set)
      const finish = () => {
        clearTimeout(timer)
        signal.removeEventListener('abort', finish)
        if (!set.delete(waiter)) return
        this.#waiting--
        if (set.size === 0) this.#waiters.delete(id)
        resolve(this.finality(txid))
      }
      const waiter: Waiter = { txid, done: finish }
      set.add(waiter)
      this.#waiting++
      const timer = setTimeout(finish, timeoutMs)
      signal.addEventListener('abort', finish)
    })
  }

  /** Ends the waits on transaction `id` that are now final. */
  #wake(id: string): void {
    const set = this.#waiters.get(id)
    if (set === undefined) return
    const first = set.values().next().value
    if (first === undefined) return
    const { status } = this.finality(first.txid)
    if (status !== 'final' && status !== 'confirmed') return
    for (const w of [...set]) w.done()
  }

  async submit(tx: Transaction): Promise<void> {
    const txid = computeTxid(tx)
    const check = this.#engine.ledger.checkSpend(tx, txid)
    if (check.status === 'conflict' && !equalBytes(check.txid, txid))
      throw new LedgerError(
        'LEDGER_CONFLICT',
        `input ${outPointToString(check.outpoint)} is ${check.state} by ${txidToHex(check.txid)}`,
      )
    await this.#options.submit(tx)
  }

  stop(): void {
    this.#options.stop()
  }
}
