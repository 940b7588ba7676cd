/**
 * The UTXO set in memory, with the incremental LtHash commitment over its live outputs. Every
 * change goes through `#put`, which keeps the count, the total and the commitment in step with
 * the entries (asserted against a rescan by the property tests). Changed entries are recorded so
 * the ledger can persist exactly them in one batch, and the accumulator's state only when the set
 * of live outputs changed; entries whose state kind or height moved (or that are new) are
 * recorded apart, for the state-change effects (a lock merely marked voted is not a move).
 */
import { LedgerError } from '../errors.ts'
import type { Amount } from '../primitives/amount.ts'
import { type OutPoint, outPointToString } from '../primitives/outpoint.ts'
import type { TxOutput } from '../primitives/transaction.ts'
import { LtHash } from './lthash.ts'
import { outPointKey } from './map-keys.ts'
import { COMMITMENT_ELEMENT_BYTES, writeCommitmentElement } from './utxo-codec.ts'
import { assertTransition, isLive, type UtxoEntry, type UtxoState } from './utxo-state.ts'

export interface UtxoSummary {
  /** Live outputs: not spent by a final transaction. */
  readonly count: number
  readonly total: Amount
  /** LtHash16 digest of the live outputs (outpoint ‖ value ‖ address), 32 bytes. */
  readonly commitment: Uint8Array
}

export class UtxoSet {
  readonly #entries = new Map<string, UtxoEntry>()
  #commitment = new LtHash()
  #count = 0
  #total = 0n
  /** Entries changed since the last `takeChanges()`, by key. */
  #changed = new Map<string, UtxoEntry>()
  /** Keys created, or whose state kind or height changed, since the last `takeMoved()`. */
  readonly #moved = new Set<string>()
  /** Spent outputs by the height of the block that confirmed their spend (pruned after a depth). */
  readonly #confirmedAt = new Map<number, Set<string>>()
  /** Whether the commitment changed since the last `takeCommitmentChange()`. */
  #commitmentChanged = false
  #version = 0
  /** Scratch for one commitment element (the accumulator consumes it at once). */
  readonly #element = new Uint8Array(COMMITMENT_ELEMENT_BYTES)

  get(outpoint: OutPoint): UtxoEntry | undefined {
    return this.#entries.get(outPointKey(outpoint))
  }

  get size(): number {
    return this.#entries.size
  }

  /** Counts every change to an entry: equal versions mean nothing changed in between. */
  get version(): number {
    return this.#version
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
    this.#put(outPointKey(entry.outpoint), entry, commitment)
  }

  /** The commitment accumulator's state (2048 bytes), as persisted. */
  commitmentState(): Uint8Array {
    return this.#commitment.serialize()
  }

  /**
   * The accumulator's state if the set of live outputs changed since the last call (the ledger
   * persists it in that transition's batch), else null; clears the mark. Written into `out`
   * (2048 bytes) when given.
   */
  takeCommitmentChange(out?: Uint8Array): Uint8Array | null {
    if (!this.#commitmentChanged) return null
    this.#commitmentChanged = false
    return this.#commitment.serialize(out)
  }

  /** Whether `takeCommitmentChange()` would return the state now. */
  get commitmentChanged(): boolean {
    return this.#commitmentChanged
  }

  restoreCommitment(state: LtHash): void {
    this.#commitment = state
    this.#version++
  }

  /** Adds a new output (from a final transaction, a block or genesis). */
  create(outpoint: OutPoint, output: TxOutput, height: number | null): void {
    const key = outPointKey(outpoint)
    const existing = this.#entries.get(key)
    if (existing !== undefined) {
      if (existing.height === null && height !== null) this.#record(key, { ...existing, height })
      return
    }
    this.#record(key, { outpoint, output, height, state: { kind: 'Unspent' } })
  }

  /** Moves one entry to `state`, enforcing the transition rule. */
  setState(outpoint: OutPoint, state: UtxoState): void {
    const key = outPointKey(outpoint)
    const entry = this.#entries.get(key)
    if (entry === undefined) {
      throw new LedgerError('LEDGER_MISSING_INPUT', `no UTXO ${outPointToString(outpoint)}`)
    }
    assertTransition(outpoint, entry.state, state)
    this.#record(key, { ...entry, state })
  }

  /** The entries changed since the last call, cleared. */
  takeChanges(): UtxoEntry[] {
    const changed = this.#changed
    if (changed.size === 0) return []
    const out = [...changed.values()]
    changed.clear()
    return out
  }

  /** The entries (as they are now) created or moved to another state since the last call, cleared. */
  takeMoved(): UtxoEntry[] {
    const moved = this.#moved
    if (moved.size === 0) return []
    const out: UtxoEntry[] = []
    for (const key of moved) out.push(this.#entries.get(key)!)
    moved.clear()
    return out
  }

  /**
   * Removes the spent outputs whose spend a block at or below `height` confirmed (state
   * Confirmed: no longer live, so count, total and commitment stay as they are) and returns
   * them. Nothing is recorded as changed: the caller deletes their records.
   */
  pruneConfirmed(height: number): OutPoint[] {
    const out: OutPoint[] = []
    for (const [at, keys] of this.#confirmedAt) {
      if (at > height) continue
      for (const key of keys) {
        const entry = this.#entries.get(key)
        if (entry === undefined) continue
        this.#entries.delete(key)
        this.#changed.delete(key)
        this.#moved.delete(key)
        out.push(entry.outpoint)
      }
      this.#confirmedAt.delete(at)
    }
    if (out.length > 0) this.#version++
    return out
  }

  /** How many entries are spent for good (SpentFinalized or Confirmed), kept until pruned. */
  get spent(): number {
    return this.#entries.size - this.#count
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

  #rescan(): { count: number; total: Amount; accumulator: LtHash } {
    const accumulator = new LtHash()
    let count = 0
    let total = 0n
    for (const e of this.#entries.values()) {
      if (!isLive(e.state)) continue
      accumulator.add(writeCommitmentElement(e, this.#element))
      count++
      total += e.output.value
    }
    return { count, total: total as Amount, accumulator }
  }

  #record(key: string, entry: UtxoEntry): void {
    const before = this.#entries.get(key)
    if (
      before === undefined ||
      before.state.kind !== entry.state.kind ||
      before.height !== entry.height
    )
      this.#moved.add(key)
    if (this.#put(key, entry)) this.#commitmentChanged = true
    this.#changed.set(key, entry)
  }

  /** The commitment element depends only on outpoint and output, which never change: only a
   * change of liveness touches the accumulator. Returns whether it did. */
  #put(key: string, entry: UtxoEntry, commitment = true): boolean {
    const before = this.#entries.get(key)
    const wasLive = before !== undefined && isLive(before.state)
    const nowLive = isLive(entry.state)
    if (wasLive && !nowLive) {
      if (commitment) this.#commitment.remove(writeCommitmentElement(before, this.#element))
      this.#count--
      this.#total -= before.output.value
    } else if (!wasLive && nowLive) {
      if (commitment) this.#commitment.add(writeCommitmentElement(entry, this.#element))
      this.#count++
      this.#total += entry.output.value
    }
    if (entry.state.kind === 'Confirmed' && before?.state.kind !== 'Confirmed') {
      const at = this.#confirmedAt.get(entry.state.height) ?? new Set<string>()
      this.#confirmedAt.set(entry.state.height, at.add(key))
    }
    this.#entries.set(key, entry)
    this.#version++
    return wasLive !== nowLive
  }
}
