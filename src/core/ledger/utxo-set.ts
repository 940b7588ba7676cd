/**
 * The UTXO set in memory, with the incremental MuHash commitment over its live outputs. Every
 * change goes through `#set`, which checks the transition rule and keeps the count, the total
 * and the commitment in step with the entries (asserted against a rescan by the property tests).
 * Changed entries are recorded so the ledger can persist exactly them in one batch.
 */
import { LedgerError } from '../errors.ts'
import type { Amount } from '../primitives/amount.ts'
import { type OutPoint, outPointToString } from '../primitives/outpoint.ts'
import type { TxOutput } from '../primitives/transaction.ts'
import { MuHash } from './muhash.ts'
import { commitmentElement } from './utxo-codec.ts'
import { assertTransition, isLive, type UtxoEntry, type UtxoState } from './utxo-state.ts'

export interface UtxoSummary {
  /** Live outputs: not spent by a final transaction. */
  readonly count: number
  readonly total: Amount
  /** MuHash3072 of the live outputs (outpoint ‖ value ‖ address), 32 bytes. */
  readonly commitment: Uint8Array
}

export class UtxoSet {
  readonly #entries = new Map<string, UtxoEntry>()
  #commitment = new MuHash()
  #count = 0
  #total = 0n
  /** Entries changed since the last `takeChanges()`, by key. */
  #changed = new Map<string, UtxoEntry>()

  get(outpoint: OutPoint): UtxoEntry | undefined {
    return this.#entries.get(outPointToString(outpoint))
  }

  get size(): number {
    return this.#entries.size
  }

  entries(): IterableIterator<UtxoEntry> {
    return this.#entries.values()
  }

  summary(): UtxoSummary {
    return {
      count: this.#count,
      total: this.#total as Amount,
      commitment: this.#commitment.digest(),
    }
  }

  /**
   * Loads a stored entry without recording a change (used when opening a store). With
   * `commitment: false` the accumulator is left alone, for `restoreCommitment` to set at the end.
   */
  load(entry: UtxoEntry, commitment = true): void {
    this.#put(outPointToString(entry.outpoint), entry, commitment)
  }

  /** The commitment accumulator's state, persisted with every batch that changes the set. */
  commitmentState(): Uint8Array {
    return this.#commitment.serialize()
  }

  restoreCommitment(state: MuHash): void {
    this.#commitment = state
  }

  /** Adds a new output (from a final transaction, a block or genesis). */
  create(outpoint: OutPoint, output: TxOutput, height: number | null): void {
    const key = outPointToString(outpoint)
    const existing = this.#entries.get(key)
    if (existing !== undefined) {
      if (existing.height === null && height !== null) this.#record(key, { ...existing, height })
      return
    }
    this.#record(key, { outpoint, output, height, state: { kind: 'Unspent' } })
  }

  /** Moves one entry to `state`, enforcing the transition rule. */
  setState(outpoint: OutPoint, state: UtxoState): void {
    const key = outPointToString(outpoint)
    const entry = this.#entries.get(key)
    if (entry === undefined) {
      throw new LedgerError('LEDGER_MISSING_INPUT', `no UTXO ${key}`)
    }
    assertTransition(outpoint, entry.state, state)
    this.#record(key, { ...entry, state })
  }

  /** The entries changed since the last call, cleared. */
  takeChanges(): UtxoEntry[] {
    const out = [...this.#changed.values()]
    this.#changed = new Map()
    return out
  }

  /** Live outputs and their value, without the commitment (whose digest costs an inversion). */
  totals(): { readonly count: number; readonly total: Amount } {
    return { count: this.#count, total: this.#total as Amount }
  }

  /** Recomputes count, total and commitment from scratch (for checks, O(n)). */
  rescan(): UtxoSummary {
    const { count, total, accumulator } = this.#rescan()
    return { count, total, commitment: accumulator.digest() }
  }

  /** Whether the incremental count, total and commitment equal a rescan's (for checks, O(n)). */
  rescanMatches(): boolean {
    const { count, total, accumulator } = this.#rescan()
    return count === this.#count && total === this.#total && accumulator.equals(this.#commitment)
  }

  #rescan(): { count: number; total: Amount; accumulator: MuHash } {
    const accumulator = new MuHash()
    let count = 0
    let total = 0n
    for (const e of this.#entries.values()) {
      if (!isLive(e.state)) continue
      accumulator.add(commitmentElement(e))
      count++
      total += e.output.value
    }
    return { count, total: total as Amount, accumulator }
  }

  #record(key: string, entry: UtxoEntry): void {
    this.#put(key, entry)
    this.#changed.set(key, entry)
  }

  /** The commitment element depends only on outpoint and output, which never change: only a
   * change of liveness touches the accumulator. */
  #put(key: string, entry: UtxoEntry, commitment = true): void {
    const before = this.#entries.get(key)
    const wasLive = before !== undefined && isLive(before.state)
    const nowLive = isLive(entry.state)
    if (wasLive && !nowLive) {
      if (commitment) this.#commitment.remove(commitmentElement(before))
      this.#count--
      this.#total -= before.output.value
    } else if (!wasLive && nowLive) {
      if (commitment) this.#commitment.add(commitmentElement(entry))
      this.#count++
      this.#total += entry.output.value
    }
    this.#entries.set(key, entry)
  }
}
