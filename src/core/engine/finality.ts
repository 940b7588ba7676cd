/**
 * Counting votes and applying certificates: verified vote batches go into the tally of their
 * epoch (the current one and the previous, whose certificates stay valid); a transaction whose
 * Accept weight reaches the quorum of its epoch's committee gets a certificate and is finalized;
 * certificates from peers are checked against the committee of THEIR epoch, never the receiver's.
 * Invariants:
 *  - Finality comes only from a certificate that verifies against C_epoch (current or previous
 *    epoch), from a committee at or above the minimum size.
 *  - Two conflicting certificates never both apply: the ledger refuses the second and an alarm
 *    is raised (LEDGER_DOUBLE_FINALITY).
 *  - Votes of epoch current + 1 are buffered (bounded) and replayed after the committee change.
 */

import {
  checkCertificate,
  type FinalityCertificate,
  FinalityCertificateCodec,
} from '../consensus/certificate.ts'
import { encodeFinalityCertificate } from '../consensus/certificate-encoder.ts'
import type { Committee } from '../consensus/committee.ts'
import type { VoteBatch } from '../consensus/vote-batch.ts'
import { VoteTally } from '../consensus/vote-tally.ts'
import { equalBytes, keyId } from '../encoding/bytes.ts'
import { ConsensusError, LedgerError, PeerAction, TimeCoinError } from '../errors.ts'
import { txidKey } from '../ledger/map-keys.ts'
import type { UtxoEntry } from '../ledger/utxo-state.ts'
import type { Transaction } from '../primitives/transaction.ts'
import type { Txid } from '../primitives/txid.ts'
import type { BatchOp } from '../storage/store.ts'
import { BatchBuffer } from './batch-buffer.ts'
import type { EngineContext, KnownTx } from './context.ts'
import type { PeerId } from './messages.ts'

export class Finality {
  readonly #ctx: EngineContext
  /** Vote tallies of the current and the previous epoch (its certificates stay valid). */
  readonly #tallies = new Map<number, VoteTally>()
  /**
   * Batches of epoch current + 1 (we are behind a committee change), from members of that
   * epoch's committee only, bounded per member and in bytes: replayed after the change.
   */
  readonly #nextEpoch: BatchBuffer<{ readonly batch: VoteBatch; readonly from: PeerId }>
  /** Decoded certificates of final, unconfirmed transactions (the ledger keeps their bytes). */
  readonly #certificates = new Map<string, FinalityCertificate>()
  /**
   * Transactions voted on that this node does not know (requested from the voter), oldest
   * first, with when they were first voted on: their tally entries are forgotten if they do not
   * arrive within retryMaxMs, or to make room (bounded: limits.maxUnknownVoted).
   */
  readonly #unknown = new Map<string, { readonly txid: Txid; readonly at: number }>()

  constructor(ctx: EngineContext) {
    this.#ctx = ctx
    this.#nextEpoch = new BatchBuffer(
      ctx.limits.maxNextEpochBatchesPerMember,
      ctx.limits.maxNextEpochBytes,
    )
  }

  /** A new epoch: its tally; tallies older than the previous epoch are dropped. */
  enterEpoch(committee: Committee): void {
    this.#tallies.set(committee.epoch, new VoteTally(committee))
    for (const epoch of this.#tallies.keys())
      if (epoch + 1 < committee.epoch) this.#tallies.delete(epoch)
  }

  get #tally(): VoteTally {
    return this.#tallies.get(this.#ctx.epochs.committee.epoch)!
  }

  /** Accept weight counted for `txid` in the current epoch. */
  acceptWeight(txid: Txid): number {
    return this.#tally.acceptWeight(txid)
  }

  /** Members whose vote on `txid` was counted in the current epoch. */
  votersOf(txid: Txid): ReadonlySet<string> {
    return this.#tally.votersOf(txid)
  }

  /** A verified batch from a peer. */
  onBatch(batch: VoteBatch, from: PeerId): void {
    const ctx = this.#ctx
    const epoch = ctx.epochs.committee.epoch
    if (batch.header.epoch > epoch) {
      // A committee change we have not applied yet: keep votes of the next epoch (replayed after
      // it), and fetch the blocks we miss.
      if (batch.header.epoch === epoch + 1) this.#bufferNext(batch, from)
      ctx.chain?.behind(from)
      return
    }
    // Older than the previous epoch: it counts nowhere any more (late, not wrong).
    const committee = this.#tallies.get(batch.header.epoch)?.committee
    if (committee === undefined) return
    if (committee.weightOf(batch.header.voterKey) === undefined) {
      return ctx.reject(
        from,
        new ConsensusError(
          'BATCH_NOT_MEMBER',
          `a vote batch of epoch ${batch.header.epoch} signed by a key outside its committee`,
          PeerAction.LowToleranceError,
        ),
      )
    }
    if (ctx.key !== undefined && equalBytes(batch.header.voterKey, ctx.key.publicKey)) {
      if (ctx.voting.adoptOwnBatch(batch)) this.count(batch)
      return
    }
    const update = this.count(batch)
    if (update === null) return
    // Wallets waiting for these transactions get the batch, once each.
    if (ctx.subscribers.size > 0) {
      const audience = new Set<PeerId>()
      for (const list of [update.accepted, update.rejected])
        for (const txid of list)
          for (const s of ctx.subscribers.get(txidKey(txid)) ?? []) if (s !== from) audience.add(s)
      const message = { type: 'InstantFinalityVote' as const, batch }
      for (const s of audience) ctx.send(s, message)
    }
    const { accepted, acceptedKeys, rejected } = update
    const unknown: Txid[] = []
    for (let i = 0; i < accepted.length; i++)
      if (ctx.known(acceptedKeys[i]!) === undefined) unknown.push(accepted[i]!)
    if (unknown.length > 0) {
      // The voter that sent the vote has the transaction: ask it alone.
      for (const txid of unknown) ctx.fetching.request(txid, from, false)
      for (const txid of unknown) this.#noteUnknown(txid)
    }
    for (const txid of rejected) if (ctx.known(txidKey(txid)) === undefined) this.#noteUnknown(txid)
  }

  /**
   * Keeps a batch of the next epoch, if its voter is a member of the committee that epoch will
   * have — known when the next block changes the committee — or, when we cannot know it (behind
   * by more than that block), of the current one: from no one else.
   */
  #bufferNext(batch: VoteBatch, from: PeerId): void {
    const registry = this.#ctx.epochs.registry
    const committee = registry.changing ? registry.nextCommittee() : registry.committee
    if ((committee.weightOf(batch.header.voterKey) ?? 0) <= 0) return
    this.#nextEpoch.add(keyId(batch.header.voterKey), { batch, from })
  }

  /** Replays the votes of the epoch just entered that arrived while we were behind. */
  replayNextEpoch(): void {
    for (const { batch, from } of this.#nextEpoch.drain()) this.onBatch(batch, from)
  }

  #noteUnknown(txid: Txid): void {
    const id = txidKey(txid)
    if (this.#unknown.has(id)) return
    this.#unknown.set(id, { txid, at: this.#ctx.now })
    if (this.#unknown.size <= this.#ctx.limits.maxUnknownVoted) return
    const [oldest, { txid: dropped }] = this.#unknown.entries().next().value!
    this.#unknown.delete(oldest)
    if (this.#ctx.known(oldest) === undefined) this.forget(oldest, dropped)
  }

  /**
   * Forgets the votes on transactions that never arrived (voted on retryMaxMs ago and still
   * unknown): a voter's batch cannot make this node hold votes for made-up transactions.
   */
  sweep(): void {
    const ctx = this.#ctx
    this.#unknown.forEach(({ txid, at }, id) => {
      if (ctx.known(id) !== undefined) this.#unknown.delete(id)
      else if (ctx.now - at >= ctx.retryMaxMs) {
        this.#unknown.delete(id)
        this.forget(id, txid)
      }
    })
  }

  sizes(): Record<string, number> {
    let txs = 0
    for (const tally of this.#tallies.values()) txs += tally.size
    return {
      'finality.tallies': this.#tallies.size,
      'finality.tallyTxs': txs,
      'finality.unknownVoted': this.#unknown.size,
      'finality.certificates': this.#certificates.size,
      'finality.nextEpoch': this.#nextEpoch.size,
      'finality.nextEpochBytes': this.#nextEpoch.bytes,
    }
  }

  /** Counts a verified batch (block votes go to the chain) and finalizes what reached quorum. */
  count(batch: VoteBatch) {
    const ctx = this.#ctx
    ctx.chain?.onBatch(batch)
    const tally = this.#tallies.get(batch.header.epoch)
    // No finality from a committee below the minimum, whoever signs.
    if (tally === undefined || ctx.epochs.belowMinimum(tally.committee)) return null
    const update = tally.add(batch)
    if (update === null) return null
    const other = ctx.key === undefined || !equalBytes(batch.header.voterKey, ctx.key.publicKey)
    const pending: { txid: Txid; votes: number }[] = []
    const final: { known: KnownTx; certificate: FinalityCertificate }[] = []
    const { accepted, acceptedKeys } = update
    for (let i = 0; i < accepted.length; i++) {
      const txid = accepted[i]!
      const id = acceptedKeys[i]!
      // Quorum first: it is the cheap question, and most votes do not complete one.
      const certificate = tally.certificate(txid, id)
      if (certificate === null) {
        if (other && this.#lockedHere(txid))
          pending.push({ txid, votes: tally.acceptWeight(txid, id) })
        continue
      }
      if (ctx.isFinal(txid)) continue
      const known = ctx.known(id)
      if (known !== undefined) final.push({ known, certificate })
    }
    // Every transaction this batch made final, in one ledger transition and one write.
    if (final.length > 0) this.finalizeAll(final)
    if (pending.length > 0) this.#spentPending(pending)
    return update
  }

  /** Whether `txid` is pending here with its first input Locked for it (inputs lock together). */
  #lockedHere(txid: Txid): boolean {
    const ledger = this.#ctx.ledger
    // A voted lock left frozen after its transaction died has no mempool entry to record on.
    const first = ledger.mempool.get(txid)?.tx.inputs[0]
    const state = first === undefined ? undefined : ledger.utxos.get(first.outpoint)?.state
    return state?.kind === 'Locked' && equalBytes(state.txid, txid)
  }

  /**
   * Locked → SpentPending for transactions another member just voted Accept on, with the Accept
   * weight seen then (the tally keeps counting; the stored state is not rewritten per vote), in
   * one write for the whole batch.
   */
  #spentPending(items: readonly { txid: Txid; votes: number }[]): void {
    const ctx = this.#ctx
    const ops: BatchOp[] = []
    const moved: UtxoEntry[] = []
    for (const { txid, votes } of items) {
      const t = ctx.ledger.recordVotes(txid, votes)
      ops.push(...t.ops)
      moved.push(...t.moved)
    }
    ctx.persist(ops, false)
    ctx.outputsMoved(moved)
  }

  onCertificate(tx: Transaction, certificate: FinalityCertificate, from: PeerId): void {
    const ctx = this.#ctx
    const known = ctx.knownOf(tx)
    if (ctx.isFinal(known.txid)) return
    // A certificate of an epoch we have not reached: we are behind, not the sender wrong. One
    // older than the previous epoch was valid once (its transaction is in a block or carried).
    const epoch = ctx.epochs.committee.epoch
    if (certificate.epoch > epoch || certificate.epoch + 1 < epoch) return
    const e = this.check(certificate)
    if (e !== null) return ctx.reject(from, e)
    this.finalize(known, certificate)
  }

  /**
   * Applies a certificate carried by a block proposal; returns why not if it does not verify.
   * One of an epoch this node cannot judge (a later one: we are behind) is left alone, unblamed.
   */
  adopt(tx: Transaction, certificate: FinalityCertificate): TimeCoinError | null {
    const epoch = this.#ctx.epochs.committee.epoch
    if (certificate.epoch > epoch || certificate.epoch + 1 < epoch) return null
    const error = this.check(certificate)
    if (error === null) this.finalize(this.#ctx.knownOf(tx), certificate)
    return error
  }

  finalize(known: KnownTx, certificate: FinalityCertificate): void {
    this.finalizeAll([{ known, certificate }])
  }

  /**
   * Applies certificates in order as one ledger transition: one write for all of them, emitted
   * before any of their `finalized` effects. A transaction whose parent is not final here yet
   * keeps its certificate while the parents are fetched; a double finality raises the alarm.
   */
  finalizeAll(items: readonly { known: KnownTx; certificate: FinalityCertificate }[]): void {
    const ctx = this.#ctx
    const applied = ctx.ledger.finalizeAll(
      items.map(({ known: { tx, txid, size }, certificate }) => ({
        tx,
        txid,
        size,
        certificate: encodeFinalityCertificate(certificate),
      })),
      ctx.now,
    )
    ctx.persist(applied.ops, false)
    const { outcomes } = applied
    for (let i = 0; i < outcomes.length; i++) {
      const outcome = outcomes[i]!
      const { known, certificate } = items[i]!
      if (outcome instanceof LedgerError) this.#notFinal(known, certificate, outcome)
      else this.#final(known, certificate, outcome)
    }
  }

  #notFinal(known: KnownTx, certificate: FinalityCertificate, e: LedgerError): void {
    const ctx = this.#ctx
    if (e.code === 'LEDGER_MISSING_INPUT') {
      // A parent is not final here yet: keep the certificate, fetch the parents.
      const parents = known.tx.inputs.filter((i) => ctx.ledger.utxos.get(i.outpoint) === undefined)
      return ctx.fetching.holdCertificate(
        known,
        certificate,
        parents.map((i) => i.outpoint.txid),
      )
    }
    if (e.code === 'LEDGER_DOUBLE_FINALITY') {
      return ctx.emit({ type: 'alarm', code: e.code, message: e.message })
    }
    throw e
  }

  #final(known: KnownTx, certificate: FinalityCertificate, moved: readonly UtxoEntry[]): void {
    const ctx = this.#ctx
    const { tx, txid } = known
    const id = txidKey(txid)
    this.#certificates.set(id, certificate)
    ctx.emit({ type: 'finalized', txid, tx, certificate })
    ctx.outputsMoved(moved)
    for (const s of ctx.subscribers.get(id) ?? [])
      ctx.send(s, { type: 'FinalityCertificate', tx, certificate })
    // Final: from now on the certificate answers every question about this transaction.
    ctx.subscribers.delete(id)
    ctx.voting.forget(id)
    for (const tally of this.#tallies.values()) tally.forget(txid)
    ctx.fetching.onFinal(txid)
  }

  /** A confirmed transaction needs nothing in memory: its block answers for it. */
  forget(id: string, txid: Txid): void {
    this.#certificates.delete(id)
    for (const tally of this.#tallies.values()) tally.forget(txid)
  }

  /** Checks a certificate against the committee of its epoch (current or previous only). */
  check(certificate: FinalityCertificate): TimeCoinError | null {
    const epochs = this.#ctx.epochs
    const committee = epochs.registry.committeeOf(certificate.epoch) ?? epochs.committee
    if (epochs.belowMinimum(committee))
      return new ConsensusError(
        'COMMITTEE_INVALID',
        `epoch ${committee.epoch} has fewer than ${epochs.registry.minVoters} voting members`,
        PeerAction.LowToleranceError,
      )
    try {
      checkCertificate(certificate, committee, epochs.committee.epoch)
      return null
    } catch (e) {
      if (e instanceof TimeCoinError) return e
      throw e
    }
  }

  certificateOf(txid: Txid): FinalityCertificate | undefined {
    const id = txidKey(txid)
    const bytes = this.#ctx.ledger.certificate(txid)
    if (bytes === undefined) return undefined
    let certificate = this.#certificates.get(id)
    if (certificate === undefined) {
      certificate = FinalityCertificateCodec.decode(bytes)
      this.#certificates.set(id, certificate)
    }
    return certificate
  }
}
