/**
 * Transactions between arrival and confirmation: pending (awaiting finality) and finalized but
 * not yet in a block. Keeps an outpoint → txid index so no outpoint has two spenders here, and
 * byte and count limits. Only pending, unvoted transactions are ever evicted — never a finalized
 * one, never one this node voted Accept on.
 */
import { LedgerError } from '../errors.ts'
import type { Amount } from '../primitives/amount.ts'
import { outPointToString } from '../primitives/outpoint.ts'
import type { Transaction } from '../primitives/transaction.ts'
import { type Txid, txidToHex } from '../primitives/txid.ts'
import { outPointKey, txidKey } from './map-keys.ts'

export type MempoolStatus = 'pending' | 'finalized'

export interface MempoolEntry {
  readonly txid: Txid
  readonly tx: Transaction
  /** Size of the signed encoding, bytes. */
  readonly size: number
  readonly fee: Amount
  readonly status: MempoolStatus
  /** This node persisted an Accept vote for it: never evicted. */
  readonly voted: boolean
  readonly arrivedAt: number
}

/** A write to persist: the entry as it now is, or null when it was removed. */
export interface MempoolChange {
  readonly txid: Txid
  readonly entry: MempoolEntry | null
}

export interface MempoolLimits {
  readonly maxCount: number
  readonly maxBytes: number
}

export const DEFAULT_MEMPOOL_LIMITS: MempoolLimits = {
  maxCount: 50_000,
  maxBytes: 64 * 1024 * 1024,
}

/** a's fee rate < b's, compared exactly as fee/size fractions. */
function cheaper(a: { fee: bigint; size: number }, b: { fee: bigint; size: number }): boolean {
  return a.fee * BigInt(b.size) < b.fee * BigInt(a.size)
}

export class Mempool {
  readonly limits: MempoolLimits
  readonly #entries = new Map<string, MempoolEntry>()
  readonly #spends = new Map<string, Txid>()
  #bytes = 0
  #changed = new Map<string, MempoolChange>()

  constructor(limits: MempoolLimits = DEFAULT_MEMPOOL_LIMITS) {
    this.limits = limits
  }

  get count(): number {
    return this.#entries.size
  }

  get bytes(): number {
    return this.#bytes
  }

  get(txid: Txid): MempoolEntry | undefined {
    return this.#entries.get(txidKey(txid))
  }

  entries(): IterableIterator<MempoolEntry> {
    return this.#entries.values()
  }

  /** The mempool transaction spending `outpoint`, if any. */
  spenderOf(outpoint: { txid: Txid; vout: number }): Txid | undefined {
    return this.#spends.get(outPointKey(outpoint))
  }

  /** Loads a stored entry without recording a change. */
  load(entry: MempoolEntry): void {
    this.#insert(entry)
  }

  add(entry: MempoolEntry): void {
    const id = txidKey(entry.txid)
    if (this.#entries.has(id)) {
      throw new LedgerError(
        'MEMPOOL_DUPLICATE',
        `${txidToHex(entry.txid)} is already in the mempool`,
      )
    }
    for (const input of entry.tx.inputs) {
      const other = this.#spends.get(outPointKey(input.outpoint))
      if (other !== undefined) {
        throw new LedgerError(
          'LEDGER_CONFLICT',
          `${outPointToString(input.outpoint)} is spent by ${txidToHex(other)} in the mempool`,
        )
      }
    }
    this.#insert(entry)
    this.#changed.set(id, { txid: entry.txid, entry })
  }

  update(txid: Txid, patch: Partial<Pick<MempoolEntry, 'status' | 'voted'>>): MempoolEntry {
    const id = txidKey(txid)
    const entry = this.#entries.get(id)
    if (entry === undefined)
      throw new LedgerError('LEDGER_UNKNOWN_TX', `${txidToHex(txid)} is not in the mempool`)
    const next = { ...entry, ...patch }
    this.#entries.set(id, next)
    this.#changed.set(id, { txid, entry: next })
    return next
  }

  remove(txid: Txid): MempoolEntry | undefined {
    const id = txidKey(txid)
    const entry = this.#entries.get(id)
    if (entry === undefined) return undefined
    this.#entries.delete(id)
    this.#bytes -= entry.size
    for (const input of entry.tx.inputs) this.#spends.delete(outPointKey(input.outpoint))
    this.#changed.set(id, { txid, entry: null })
    return entry
  }

  /**
   * Which pending, unvoted transactions to evict, lowest fee rate first, so that a transaction of
   * `size` bytes paying `fee` fits. Only transactions paying a strictly lower rate than it are
   * candidates. Returns null when no such set makes room (the newcomer is refused).
   */
  evictionPlan(size: number, fee: bigint): Txid[] | null {
    const fits = (count: number, bytes: number) =>
      count + 1 <= this.limits.maxCount && bytes + size <= this.limits.maxBytes
    if (size > this.limits.maxBytes) return null
    let count = this.#entries.size
    let bytes = this.#bytes
    if (fits(count, bytes)) return []
    const candidates = [...this.#entries.values()]
      .filter((e) => e.status === 'pending' && !e.voted && cheaper(e, { fee, size }))
      .sort((a, b) => (cheaper(a, b) ? -1 : cheaper(b, a) ? 1 : a.arrivedAt - b.arrivedAt))
    const plan: Txid[] = []
    for (const c of candidates) {
      plan.push(c.txid)
      count--
      bytes -= c.size
      if (fits(count, bytes)) return plan
    }
    return null
  }

  /** Changes since the last call, cleared. */
  takeChanges(): MempoolChange[] {
    const changed = this.#changed
    if (changed.size === 0) return []
    const out = [...changed.values()]
    changed.clear()
    return out
  }

  #insert(entry: MempoolEntry): void {
    this.#entries.set(txidKey(entry.txid), entry)
    this.#bytes += entry.size
    for (const input of entry.tx.inputs) this.#spends.set(outPointKey(input.outpoint), entry.txid)
  }
}
