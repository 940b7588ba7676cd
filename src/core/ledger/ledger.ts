/**
 * The masternode's books: the UTXO set, the mempool and the certificates of final, unconfirmed
 * transactions, composed so that every transition is checked in full before anything changes,
 * then applied in memory and returned as ONE atomic store batch (sans-I/O: the caller persists
 * it). `Ledger.open` rebuilds exactly this state from a store.
 */
import type { Ed25519Verifier } from '../crypto/ed25519.ts'
import { ed25519 } from '../crypto/ed25519.ts'
import { equalBytes } from '../encoding/bytes.ts'
import { LedgerError, PeerAction } from '../errors.ts'
import { type Amount, MIN_FEE } from '../primitives/amount.ts'
import { type OutPoint, outPointToString } from '../primitives/outpoint.ts'
import type { Transaction, TxOutput } from '../primitives/transaction.ts'
import { type Txid, txidToHex } from '../primitives/txid.ts'
import { Bucket } from '../storage/keys.ts'
import type { BatchOp, Store } from '../storage/store.ts'
import { KeyAddresses } from './key-addresses.ts'
import { LTHASH_BYTES, LtHash } from './lthash.ts'
import { txidKey } from './map-keys.ts'
import { DEFAULT_MEMPOOL_LIMITS, Mempool, type MempoolLimits } from './mempool.ts'
import {
  certificateKey,
  decodeMempoolRecord,
  encodeMempoolRecord,
  mempoolKey,
  mempoolRecordSize,
} from './mempool-codec.ts'
import { verifyTransaction } from './tx-verify.ts'
import {
  decodeUtxoRecord,
  encodeUtxoRecord,
  UTXO_COMMITMENT_KEY,
  utxoKey,
  utxoRecordSize,
} from './utxo-codec.ts'
import { UtxoSet, type UtxoSummary } from './utxo-set.ts'
import {
  assertTransition,
  isSpentFinal,
  spenderOf,
  type UtxoEntry,
  type UtxoState,
} from './utxo-state.ts'

/** Locks that back no persisted vote expire after this long (docs/ARCHITECTURE.md §3.6). */
export const LOCK_EXPIRY_MS = 600_000

export interface LedgerOptions {
  /** The network's identity; input signatures are bound to it. */
  readonly genesisHash: Uint8Array
  readonly verifier?: Ed25519Verifier
  readonly mempool?: MempoolLimits
  readonly lockExpiryMs?: number
}

/** What the UTXO set says about spending a transaction's inputs. */
export type SpendCheck =
  | { readonly status: 'spendable'; readonly fee: Amount }
  /** Inputs not in the set (a parent not seen yet): defer and fetch, never reject. */
  | { readonly status: 'missing'; readonly outpoints: readonly OutPoint[] }
  /** An input is locked or spent by another, named transaction. */
  | {
      readonly status: 'conflict'
      readonly outpoint: OutPoint
      readonly txid: Txid
      readonly state: UtxoState['kind']
    }

/** One atomic batch; empty when the transition changed nothing. */
export interface Transition {
  readonly ops: readonly BatchOp[]
  /** Mempool transactions removed by this transition (evicted, expired or dead). */
  readonly removed: readonly Txid[]
  /** Outputs created or moved to another state, as they are after the transition, in order. */
  readonly moved: readonly UtxoEntry[]
}

/** One transaction of `Ledger.finalizeAll`, with its encoded certificate. */
export interface Finalization {
  readonly tx: Transaction
  readonly txid: Txid
  readonly certificate: Uint8Array
  readonly size: number
}

/** `finalizeAll`'s transition, with each transaction's outcome: the outputs it moved, or why not. */
export interface FinalizeAllTransition extends Transition {
  readonly outcomes: readonly (readonly UtxoEntry[] | LedgerError)[]
}

/** A block's reward outputs, spendable as (txid, index) once the block is applied. */
export interface BlockReward {
  readonly txid: Txid
  readonly outputs: readonly TxOutput[]
}

export interface BlockTransaction {
  readonly tx: Transaction
  readonly txid: Txid
}

/** Times are whole milliseconds; checked before any state changes. */
function assertTime(now: number): void {
  if (!Number.isSafeInteger(now) || now < 0)
    throw new RangeError(`time must be whole milliseconds, got ${now}`)
}

function invalid(code: LedgerError['code'], message: string): never {
  throw new LedgerError(code, message, PeerAction.LowToleranceError)
}

export class Ledger {
  readonly utxos = new UtxoSet()
  readonly mempool: Mempool
  readonly genesisHash: Uint8Array
  readonly #verifier: Ed25519Verifier
  readonly #lockExpiryMs: number
  readonly #certificates = new Map<string, Uint8Array>()
  /** Input keys' address payloads, remembered (bounded): wallets spend from the same keys. */
  readonly #keyAddresses = new KeyAddresses()
  readonly #certificateChanges = new Map<string, { txid: Txid; certificate: Uint8Array | null }>()
  /** The last `checkSpend` answer, its txid and the UTXO set's version then (see `admit`). */
  #lastCheck: SpendCheck | null = null
  #lastCheckTxid: Txid | null = null
  #lastCheckVersion = -1

  constructor(opts: LedgerOptions) {
    this.genesisHash = opts.genesisHash
    this.#verifier = opts.verifier ?? ed25519
    this.#lockExpiryMs = opts.lockExpiryMs ?? LOCK_EXPIRY_MS
    this.mempool = new Mempool(opts.mempool ?? DEFAULT_MEMPOOL_LIMITS)
  }

  /** Rebuilds a ledger from everything persisted in `store`. */
  static async open(store: Store, opts: LedgerOptions): Promise<Ledger> {
    const ledger = new Ledger(opts)
    // The persisted accumulator spares an LtHash step per output; without one, recompute.
    const saved = await store.get(UTXO_COMMITMENT_KEY)
    const commitment = saved === undefined ? null : LtHash.deserialize(saved)
    for await (const [key, value] of store.iterate({ prefix: Uint8Array.of(Bucket.utxo) })) {
      ledger.utxos.load(decodeUtxoRecord(key, value), commitment === null)
    }
    if (commitment !== null) ledger.utxos.restoreCommitment(commitment)
    for await (const [, value] of store.iterate({ prefix: Uint8Array.of(Bucket.mempool) })) {
      ledger.mempool.load(decodeMempoolRecord(value))
    }
    for await (const [key, value] of store.iterate({ prefix: Uint8Array.of(Bucket.certificate) })) {
      ledger.#certificates.set(txidKey(key.subarray(1)), value)
    }
    return ledger
  }

  summary(): UtxoSummary {
    return this.utxos.summary()
  }

  certificate(txid: Txid): Uint8Array | undefined {
    return this.#certificates.get(txidKey(txid))
  }

  // ── validation ────────────────────────────────────────────────────────────

  /**
   * Context-free validity: structure, limits, dust, and every input signature (batched, native
   * fast path). Throws a typed error with a peer action; changes nothing.
   */
  verify(tx: Transaction, txid: Txid): Promise<void> {
    return verifyTransaction(tx, txid, this.genesisHash, this.#verifier)
  }

  /**
   * Checks `tx` against the UTXO set: keys match the spent outputs, amounts balance with at least
   * the minimum fee, and every input is unspent or already locked for this txid. Invalidity
   * throws; a conflict or a missing parent is an answer, not an error.
   */
  checkSpend(tx: Transaction, txid: Txid): SpendCheck {
    const check = this.#checkSpend(tx, txid)
    this.#lastCheck = check
    this.#lastCheckTxid = txid
    this.#lastCheckVersion = this.utxos.version
    return check
  }

  #checkSpend(tx: Transaction, txid: Txid): SpendCheck {
    let missing: OutPoint[] | undefined
    let conflict: SpendCheck | undefined
    let inputTotal = 0n
    const inputs = tx.inputs
    for (let i = 0; i < inputs.length; i++) {
      const input = inputs[i]!
      const entry = this.utxos.get(input.outpoint)
      if (entry === undefined) {
        if (missing === undefined) missing = [input.outpoint]
        else missing.push(input.outpoint)
        continue
      }
      if (!equalBytes(this.#keyAddresses.of(input.publicKey), entry.output.address)) {
        invalid(
          'LEDGER_INPUT_KEY',
          `input ${i}: public key does not match the spent output's address`,
        )
      }
      const spender = spenderOf(entry.state)
      // Held for this txid is admissible (a rebroadcast); spent finally, even by it, is not.
      if (spender !== undefined && (!equalBytes(spender, txid) || isSpentFinal(entry.state))) {
        conflict ??= {
          status: 'conflict',
          outpoint: input.outpoint,
          txid: spender,
          state: entry.state.kind,
        }
      }
      inputTotal += entry.output.value
    }
    if (conflict !== undefined) return conflict
    if (missing !== undefined) return { status: 'missing', outpoints: missing }
    let outputTotal = 0n
    for (const o of tx.outputs) outputTotal += o.value
    if (inputTotal < outputTotal) {
      invalid('LEDGER_INSUFFICIENT_FUNDS', `inputs ${inputTotal} < outputs ${outputTotal}`)
    }
    const fee = inputTotal - outputTotal
    if (fee < MIN_FEE) invalid('LEDGER_FEE_TOO_LOW', `fee ${fee} below the minimum ${MIN_FEE}`)
    return { status: 'spendable', fee: fee as Amount }
  }

  // ── transitions: check everything, then apply, then return one batch ─────

  /**
   * Admits a verified transaction: evicts cheaper pending ones if the mempool is full (or
   * refuses with MEMPOOL_FULL), locks every input for `txid` at once, and adds it as pending.
   * `voted` records that this node's Accept is being persisted in the same batch.
   *
   * `checked` is the answer of this ledger's `checkSpend(tx, txid)` the caller already has (the
   * engine decides with it): admit uses it instead of checking again when it is this ledger's
   * latest answer, for this txid, with no change to the UTXO set since — otherwise (another
   * object, a stale answer, or none) it checks again, so passing it never changes the outcome.
   */
  admit(
    tx: Transaction,
    txid: Txid,
    size: number,
    now: number,
    voted = false,
    checked?: SpendCheck,
  ): Transition {
    assertTime(now)
    if (this.mempool.get(txid) !== undefined) {
      throw new LedgerError('MEMPOOL_DUPLICATE', `${txidToHex(txid)} is already in the mempool`)
    }
    const check =
      checked !== undefined &&
      checked === this.#lastCheck &&
      this.#lastCheckVersion === this.utxos.version &&
      equalBytes(this.#lastCheckTxid!, txid)
        ? checked
        : this.#checkSpend(tx, txid)
    if (check.status === 'conflict') {
      throw new LedgerError(
        'LEDGER_CONFLICT',
        `${outPointToString(check.outpoint)} is ${check.state} by ${txidToHex(check.txid)}`,
      )
    }
    if (check.status === 'missing') {
      throw new LedgerError(
        'LEDGER_MISSING_INPUT',
        `${check.outpoints.map(outPointToString).join(', ')} unknown`,
      )
    }
    const evict = this.mempool.evictionPlan(size, check.fee)
    if (evict === null) {
      throw new LedgerError(
        'MEMPOOL_FULL',
        'mempool is full of transactions paying at least this fee rate',
      )
    }
    for (const victim of evict) this.#dropPending(victim)
    for (const input of tx.inputs) {
      // An input still held for this txid (it expired or was evicted after votes were seen, and
      // is submitted again) keeps its state: states only move forward.
      const s = this.utxos.get(input.outpoint)!.state
      if (s.kind === 'Unspent') {
        this.utxos.setState(input.outpoint, { kind: 'Locked', txid, lockedAt: now, voted })
      } else if ((s.kind === 'Locked' || s.kind === 'SpentPending') && voted && !s.voted) {
        this.utxos.setState(input.outpoint, { ...s, voted })
      }
    }
    this.mempool.add({ txid, tx, size, fee: check.fee, status: 'pending', voted, arrivedAt: now })
    return this.#flush(evict)
  }

  /** Records that this node's Accept vote for `txid` is being persisted: its locks never expire. */
  markVoted(txid: Txid): Transition {
    const entry = this.#requireEntry(txid)
    if (entry.voted) return this.#flush([])
    for (const input of entry.tx.inputs) {
      const s = this.utxos.get(input.outpoint)!.state
      if (s.kind === 'Locked') this.utxos.setState(input.outpoint, { ...s, voted: true })
      else if (s.kind === 'SpentPending') this.utxos.setState(input.outpoint, { ...s, voted: true })
    }
    this.mempool.update(txid, { voted: true })
    return this.#flush([])
  }

  /** Locked → SpentPending once Accept votes for `txid` are seen; the count only grows. */
  recordVotes(txid: Txid, votes: number): Transition {
    const entry = this.#requireEntry(txid)
    for (const input of entry.tx.inputs) {
      const s = this.utxos.get(input.outpoint)!.state
      if (s.kind === 'Locked') {
        this.utxos.setState(input.outpoint, { kind: 'SpentPending', txid, votes, voted: s.voted })
      } else if (s.kind === 'SpentPending' && votes > s.votes) {
        this.utxos.setState(input.outpoint, { ...s, votes })
      }
    }
    return this.#flush([])
  }

  /**
   * Applies a finality certificate (already verified by consensus): inputs become
   * SpentFinalized, outputs spendable at once, the certificate is kept until a block confirms the
   * transaction. Conflicting mempool transactions are dead: removed, their unvoted locks freed,
   * their voted locks left frozen. Two final spends of one output throw LEDGER_DOUBLE_FINALITY.
   */
  finalize(
    tx: Transaction,
    txid: Txid,
    certificate: Uint8Array,
    size: number,
    now: number,
  ): Transition {
    return this.#flush(this.#finalize({ tx, txid, certificate, size }, now))
  }

  /**
   * `finalize` for several transactions in order, as one transition: one batch of writes (one
   * commitment write) for all. Each sees the ones before it (a child after its parent). One that
   * cannot finalize (LEDGER_MISSING_INPUT, LEDGER_DOUBLE_FINALITY) changes nothing and gets its
   * error in `outcomes`; every other gets the outputs it moved.
   */
  finalizeAll(items: readonly Finalization[], now: number): FinalizeAllTransition {
    const outcomes: (readonly UtxoEntry[] | LedgerError)[] = []
    const dead: Txid[] = []
    for (const item of items) {
      try {
        dead.push(...this.#finalize(item, now))
      } catch (e) {
        if (!(e instanceof LedgerError)) throw e
        outcomes.push(e)
        continue
      }
      outcomes.push(this.utxos.takeMoved())
    }
    const transition = this.#flush(dead)
    return {
      ...transition,
      moved: outcomes.flatMap((o) => (o instanceof LedgerError ? [] : o)),
      outcomes,
    }
  }

  /** `finalize` without the flush: checks everything before changing anything; returns the dead. */
  #finalize({ tx, txid, certificate, size }: Finalization, now: number): Txid[] {
    const existing = this.mempool.get(txid)
    if (existing?.status === 'finalized') return []
    const final: UtxoState = { kind: 'SpentFinalized', txid }
    let inputTotal = 0n
    let outputTotal = 0n
    for (const o of tx.outputs) outputTotal += o.value
    for (const input of tx.inputs) {
      const entry = this.utxos.get(input.outpoint)
      if (entry === undefined) {
        throw new LedgerError(
          'LEDGER_MISSING_INPUT',
          `${outPointToString(input.outpoint)} unknown: fetch the parent first`,
        )
      }
      if (isSpentFinal(entry.state) && equalBytes(spenderOf(entry.state)!, txid)) return []
      assertTransition(input.outpoint, entry.state, final)
      inputTotal += entry.output.value
    }
    const dead = this.#conflictingMempool(tx, txid)
    for (const d of dead) this.#dropPending(d)
    for (const input of tx.inputs) this.utxos.setState(input.outpoint, final)
    this.#createOutputs(txid, tx.outputs, null)
    const fee = (inputTotal - outputTotal) as Amount
    if (existing !== undefined) this.mempool.update(txid, { status: 'finalized' })
    else
      this.mempool.add({ txid, tx, size, fee, status: 'finalized', voted: false, arrivedAt: now })
    this.#setCertificate(txid, certificate)
    return dead
  }

  /**
   * Applies a committed block's transactions in order: inputs become Confirmed, outputs get the
   * block height, mempool entries and certificates of the confirmed transactions are dropped,
   * and the block's reward outputs are created. The whole block is one batch.
   */
  confirmBlock(height: number, txs: readonly BlockTransaction[], reward?: BlockReward): Transition {
    this.#checkBlock(height, txs)
    const removed: Txid[] = []
    for (const { tx, txid } of txs) {
      for (const d of this.#conflictingMempool(tx, txid)) {
        this.#dropPending(d)
        removed.push(d)
      }
      for (const input of tx.inputs)
        this.utxos.setState(input.outpoint, { kind: 'Confirmed', txid, height })
      this.#createOutputs(txid, tx.outputs, height)
      if (this.mempool.remove(txid) !== undefined) removed.push(txid)
      if (this.#certificates.has(txidKey(txid))) this.#setCertificate(txid, null)
    }
    // The reward is created in the same batch: a block is applied whole or not at all.
    if (reward !== undefined) this.#createOutputs(reward.txid, reward.outputs, height)
    return this.#flush(removed)
  }

  /** Creates outputs with no inputs: genesis allocations (height 0) and block rewards. */
  createOutputs(txid: Txid, outputs: readonly TxOutput[], height: number): Transition {
    this.#createOutputs(txid, outputs, height)
    return this.#flush([])
  }

  /**
   * Deletes the spent outputs whose spend a block at or below `height` confirmed. Until then a
   * late conflicting spend of one is answered with its spender's txid; after, its input is
   * simply missing (docs/STORAGE.md, "The ledger on disk"). Live outputs are never touched.
   */
  pruneSpent(height: number): Transition {
    const pruned = this.utxos.pruneConfirmed(height)
    const t = this.#flush([])
    if (pruned.length === 0) return t
    return {
      ...t,
      ops: [...t.ops, ...pruned.map((o) => ({ type: 'del' as const, key: utxoKey(o) }))],
    }
  }

  /** Certificates of final, unconfirmed transactions held (one per finalized mempool entry). */
  get certificates(): number {
    return this.#certificates.size
  }

  /** Releases pending transactions whose locks back no vote and are older than the expiry. */
  expireLocks(now: number): Transition {
    const expired: Txid[] = []
    for (const e of this.mempool.entries()) {
      if (e.status === 'pending' && !e.voted && e.arrivedAt + this.#lockExpiryMs <= now)
        expired.push(e.txid)
    }
    for (const txid of expired) this.#dropPending(txid)
    return this.#flush(expired)
  }

  // ── internals ─────────────────────────────────────────────────────────────

  #requireEntry(txid: Txid) {
    const entry = this.mempool.get(txid)
    if (entry === undefined)
      throw new LedgerError('LEDGER_UNKNOWN_TX', `${txidToHex(txid)} is not in the mempool`)
    return entry
  }

  /** Dry-runs a block against a scratch view so a bad block changes nothing. */
  #checkBlock(height: number, txs: readonly BlockTransaction[]): void {
    const spentHere = new Map<string, Txid>()
    const createdHere = new Set<string>()
    for (const { tx, txid } of txs) {
      for (const input of tx.inputs) {
        const key = outPointToString(input.outpoint)
        const earlier = spentHere.get(key)
        if (earlier !== undefined) {
          throw new LedgerError('LEDGER_DOUBLE_FINALITY', `block ${height} spends ${key} twice`)
        }
        spentHere.set(key, txid)
        // An output created earlier in this block may exist already (its creator was final), in
        // any state: only one not in the set yet is sure to be Unspent when this spends it.
        const entry = this.utxos.get(input.outpoint)
        if (entry === undefined) {
          if (createdHere.has(key)) continue
          throw new LedgerError('LEDGER_MISSING_INPUT', `block ${height}: ${key} unknown`)
        }
        assertTransition(input.outpoint, entry.state, { kind: 'Confirmed', txid, height })
      }
      for (let vout = 0; vout < tx.outputs.length; vout++)
        createdHere.add(outPointToString({ txid, vout }))
    }
  }

  #createOutputs(txid: Txid, outputs: readonly TxOutput[], height: number | null): void {
    for (let vout = 0; vout < outputs.length; vout++)
      this.utxos.create({ txid, vout }, outputs[vout]!, height)
  }

  /** Mempool transactions other than `txid` spending any of `tx`'s inputs. */
  #conflictingMempool(tx: Transaction, txid: Txid): Txid[] {
    let out: Txid[] | undefined
    for (const input of tx.inputs) {
      const other = this.mempool.spenderOf(input.outpoint)
      if (other === undefined || equalBytes(other, txid)) continue
      out ??= []
      if (!out.some((o) => equalBytes(o, other))) out.push(other)
    }
    return out ?? []
  }

  /** Removes a pending transaction; its unvoted locks return to Unspent, voted ones stay. */
  #dropPending(txid: Txid): void {
    const entry = this.mempool.remove(txid)
    if (entry === undefined) return
    for (const input of entry.tx.inputs) {
      const e = this.utxos.get(input.outpoint)
      if (e?.state.kind === 'Locked' && !e.state.voted && equalBytes(e.state.txid, txid)) {
        this.utxos.setState(input.outpoint, { kind: 'Unspent' })
      }
    }
  }

  #setCertificate(txid: Txid, certificate: Uint8Array | null): void {
    const id = txidKey(txid)
    if (certificate === null) this.#certificates.delete(id)
    else this.#certificates.set(id, certificate)
    this.#certificateChanges.set(id, { txid, certificate })
  }

  #flush(removed: readonly Txid[]): Transition {
    const utxos = this.utxos.takeChanges()
    const mempool = this.mempool.takeChanges()
    // Only a change of the live set moves the accumulator (a lock does not).
    const commitment = this.utxos.commitmentChanged
    // Every value this batch writes is a view into one buffer: one allocation per batch instead
    // of one per record (records over 64 bytes are each a separate off-heap allocation).
    let size = commitment ? LTHASH_BYTES : 0
    for (const e of utxos) size += Math.max(0, utxoRecordSize(e))
    for (const c of mempool) if (c.entry !== null) size += Math.max(0, mempoolRecordSize(c.entry))
    const slab = new Uint8Array(size)
    let at = 0
    const view = (n: number): Uint8Array | undefined => {
      if (n < 0) return undefined
      const v = slab.subarray(at, at + n)
      at += n
      return v
    }
    const ops: BatchOp[] = []
    for (const entry of utxos) {
      const value = encodeUtxoRecord(entry, view(utxoRecordSize(entry)))
      ops.push({ type: 'put', key: utxoKey(entry.outpoint), value })
    }
    if (commitment) {
      const value = this.utxos.takeCommitmentChange(view(LTHASH_BYTES))!
      ops.push({ type: 'put', key: UTXO_COMMITMENT_KEY, value })
    }
    for (const { txid, entry } of mempool) {
      if (entry === null) {
        ops.push({ type: 'del', key: mempoolKey(txid) })
        continue
      }
      const value = encodeMempoolRecord(entry, view(mempoolRecordSize(entry)))
      ops.push({ type: 'put', key: mempoolKey(txid), value })
    }
    for (const { txid, certificate } of this.#certificateChanges.values()) {
      ops.push(
        certificate === null
          ? { type: 'del', key: certificateKey(txid) }
          : { type: 'put', key: certificateKey(txid), value: certificate },
      )
    }
    this.#certificateChanges.clear()
    return { ops, removed, moved: this.utxos.takeMoved() }
  }
}
