/**
 * Deciding and voting on transactions: validate, lock, record the decision, and sign it in a vote
 * batch only once the lock and the decision are durable (persist before send). Invariants:
 *  - Accept exactly when the transaction is valid and all its inputs could be locked for it;
 *    Reject only on a named conflict or invalidity; an unknown parent defers, never rejects.
 *  - A decision never changes: once stored for a txid and epoch it is the only one this node
 *    signs for them, also after a restart (asserted where a decision is stored).
 *  - Nothing is signed before the write that holds it is durable (group commit: vote-pipeline.ts).
 *  - A sealed epoch gets no Accept outside the seal (epochs.ts answers `sealBars`).
 * docs/ARCHITECTURE.md §3 lists these rules and where each is enforced.
 */
import { signVoteBatch, type VoteBatch } from '../consensus/vote-batch.ts'
import { NO_CONFLICT, type VoteLeaf } from '../consensus/vote-leaf.ts'
import { equalBytes } from '../encoding/bytes.ts'
import { LedgerError, TimeCoinError } from '../errors.ts'
import type { Transition } from '../ledger/ledger.ts'
import { txidKey } from '../ledger/map-keys.ts'
import type { Transaction } from '../primitives/transaction.ts'
import { type Txid, txidToHex } from '../primitives/txid.ts'
import type { BatchOp } from '../storage/store.ts'
import type { EngineContext, KnownTx } from './context.ts'
import {
  type Decision,
  decisionDeleteOp,
  decisionOp,
  lastSeqOp,
  type StoredVotingState,
} from './decision-store.ts'
import type { PeerId } from './messages.ts'
import { type PersistRequest, VotePipeline } from './vote-pipeline.ts'

export function leafOf(d: Decision): VoteLeaf {
  return d.kind === 'accept'
    ? { kind: 'txAccept', txid: d.txid }
    : { kind: 'txReject', txid: d.txid, conflictingTxid: d.conflictingTxid }
}

function sameDecision(a: Decision, b: Decision): boolean {
  return (
    a.kind === b.kind &&
    a.epoch === b.epoch &&
    (a.kind === 'accept' ||
      (b.kind === 'reject' && equalBytes(a.conflictingTxid, b.conflictingTxid)))
  )
}

export class Voting {
  readonly #ctx: EngineContext
  readonly #decisions = new Map<string, Decision>()
  readonly #pipeline: VotePipeline
  /** This node's latest batch holding each txid's decision (re-sent when asked again). */
  readonly #ownBatches = new Map<string, VoteBatch>()
  /** The Reject decisions (bounded: past limits.maxRejectDecisions none is made). */
  readonly #rejects = new Set<string>()
  /** Decisions queued again for a peer that asked (one fresh leaf each until it is signed). */
  readonly #resending = new Set<string>()

  constructor(ctx: EngineContext, stored: StoredVotingState | undefined) {
    this.#ctx = ctx
    for (const d of stored?.decisions ?? []) this.#remember(txidKey(d.txid), d)
    this.#pipeline = new VotePipeline(stored?.lastSeq ?? 0, () => ctx.nextPersistId())
  }

  decisionOf(txid: Txid): Decision | undefined {
    return this.#decisions.get(txidKey(txid))
  }

  /** Accept decisions of this node whose transactions it knows (the carry set's candidates). */
  acceptedKnown(): Decision[] {
    return [...this.#decisions.values()].filter(
      (d) => d.kind === 'accept' && this.#ctx.known(txidKey(d.txid)) !== undefined,
    )
  }

  forget(id: string): void {
    this.#ownBatches.delete(id)
  }

  /** Whether this node holds a decision on `id`. */
  has(id: string): boolean {
    return this.#decisions.has(id)
  }

  /**
   * Forgets the decisions that bind no longer and returns the deletes of their records: a block
   * settled the transaction (an input of it is Confirmed — for it, or for a conflicting one, so
   * it can never be final), or the decision's epoch is two behind the current one (no
   * certificate of it counts any more, docs/ARCHITECTURE.md §3.5). Every decided transaction is
   * kept known until its decision goes, so the first test sees all of them but those adopted
   * from an old backup of our own, which the second one catches.
   */
  settle(): BatchOp[] {
    const epoch = this.#ctx.epochs.committee.epoch
    const utxos = this.#ctx.ledger.utxos
    const ops: BatchOp[] = []
    this.#decisions.forEach((d, id) => {
      const tx = this.#ctx.known(id)?.tx
      const settled =
        d.epoch + 2 <= epoch ||
        (tx?.inputs.some((i) => utxos.get(i.outpoint)?.state.kind === 'Confirmed') ?? false)
      if (!settled) return
      this.#drop(id)
      ops.push(decisionDeleteOp(d.txid))
    })
    return ops
  }

  sizes(): Record<string, number> {
    return {
      'voting.decisions': this.#decisions.size,
      'voting.rejects': this.#rejects.size,
      'voting.ownBatches': this.#ownBatches.size,
      'voting.queued': this.#pipeline.queued,
    }
  }

  #remember(id: string, d: Decision): void {
    this.#decisions.set(id, d)
    if (d.kind === 'reject') this.#rejects.add(id)
    else this.#rejects.delete(id)
  }

  #drop(id: string): void {
    this.#decisions.delete(id)
    this.#rejects.delete(id)
    this.#ownBatches.delete(id)
    this.#resending.delete(id)
  }

  /** A transaction from a peer (`asked`: it wants our vote) or submitted locally (`from` null). */
  onTransaction(tx: Transaction, from: PeerId | null, asked: boolean): void {
    const ctx = this.#ctx
    const known = ctx.knownOf(tx)
    const id = txidKey(known.txid)
    const isMember = from !== null && ctx.epochs.isMember(from)
    // Proofs go to whoever asks, and to wallets; a member merely relaying it (forwarding is
    // one hop, and it will hear the votes) needs no certificate back.
    const wantsProof = from !== null && (asked || !isMember)
    const certificate = ctx.certificateOf(known.txid)
    if (certificate !== undefined) {
      if (wantsProof) ctx.send(from, { type: 'FinalityCertificate', tx, certificate })
      return
    }
    // Confirmed: the certified block that holds it is the proof.
    const included = ctx.chain?.inclusion(known.txid)
    if (included !== undefined) {
      if (wantsProof) ctx.send(from, { type: 'BlockCommit', ...included })
      return
    }
    // A wallet (not a member) that sent it wants the votes and the certificate.
    if (from !== null && !isMember) ctx.subscribe(id, from)
    const decision = this.#decisions.get(id)
    // Only a decision of this epoch is re-sent: one of an earlier epoch binds no longer (§3.3),
    // and signed again in a batch of this epoch it would be a vote nothing durable backs.
    if (decision !== undefined && decision.epoch === ctx.epochs.committee.epoch) {
      if (asked && from !== null) this.#resendDecision(decision, from)
      return
    }
    if (ctx.ledger.mempool.get(known.txid) !== undefined) return
    this.decide(known, from)
  }

  /** Decides `known` in the current epoch: Accept with a lock, Reject, defer, or hold (sealed). */
  decide(known: KnownTx, from: PeerId | null): void {
    const ctx = this.#ctx
    const { tx, txid, size } = known
    const epoch = ctx.epochs.committee.epoch
    // Handoff locks, frozen inputs and locked collateral come before the UTXO set's answer.
    const barred = ctx.epochs.epochBar(tx, txid)
    if (barred !== null)
      return this.vote({ kind: 'reject', txid, epoch, conflictingTxid: barred }, [])
    let check: ReturnType<EngineContext['ledger']['checkSpend']>
    try {
      check = ctx.ledger.checkSpend(tx, txid)
    } catch (e) {
      if (!(e instanceof TimeCoinError)) throw e
      if (from !== null) ctx.reject(from, e)
      return this.vote({ kind: 'reject', txid, epoch, conflictingTxid: NO_CONFLICT }, [])
    }
    if (check.status === 'missing')
      return ctx.fetching.defer(
        known,
        check.outpoints.map((o) => o.txid),
        from,
      )
    // Spent final by this very transaction (confirmed, certificate gone): nothing to decide.
    if (check.status === 'conflict' && equalBytes(check.txid, txid)) return
    if (check.status === 'conflict' && ctx.rules.acceptConflicts)
      return this.vote({ kind: 'accept', txid, epoch }, [])
    // An input a block spent for another transaction: this one can never be final, and any
    // decision on it went when that block settled it (docs/ARCHITECTURE.md §2.3). None is made
    // again — it could differ from the one pruned, and a decision never changes in its epoch.
    if (check.status === 'conflict' && check.state === 'Confirmed') return
    if (check.status === 'conflict') {
      this.vote({ kind: 'reject', txid, epoch, conflictingTxid: check.txid }, [])
      return this.#forward(tx, from)
    }
    const voter = ctx.epochs.isVoter
    // Sealed for the handoff: no Accept of this epoch outside our report; decide in the next one.
    if (voter && ctx.epochs.sealBars(txid)) return ctx.epochs.hold(txid)
    let admitted: Transition
    try {
      admitted = ctx.ledger.admit(tx, txid, size, ctx.now, voter, check)
    } catch (e) {
      // A full mempool refuses before voting; the sender may retry later.
      if (e instanceof LedgerError && e.code === 'MEMPOOL_FULL') return
      throw e
    }
    if (voter) this.vote({ kind: 'accept', txid, epoch }, admitted.ops)
    else ctx.persist(admitted.ops, false)
    ctx.outputsMoved(admitted.moved)
    this.#forward(tx, from)
    ctx.fetching.armRetry(txid)
  }

  /** Records a decision (non-voters make none) and queues its leaf behind a durable write. */
  vote(decision: Decision, ledgerOps: readonly BatchOp[]): void {
    if (!this.#ctx.epochs.isVoter) return
    const id = txidKey(decision.txid)
    const before = this.#decisions.get(id)
    // A decision never changes within its epoch; a new epoch may decide anew (handoff).
    if (before !== undefined && before.epoch === decision.epoch && !sameDecision(before, decision))
      throw new Error(
        `invariant: decision on ${txidToHex(decision.txid)} in epoch ${decision.epoch} would change`,
      )
    // Past their bound no new Reject is made: a Reject only informs (it locks nothing and binds
    // no one), and one forgotten to make room could later be decided differently in its epoch.
    if (
      decision.kind === 'reject' &&
      !this.#rejects.has(id) &&
      this.#rejects.size >= this.#ctx.limits.maxRejectDecisions
    )
      return
    this.#remember(id, decision)
    this.enqueue(leafOf(decision), [...ledgerOps, decisionOp(decision)], decision.epoch)
  }

  /** Another write of `ops` is being made: queued ops on the same keys are older (dropped). */
  supersede(ops: readonly BatchOp[]): void {
    this.#pipeline.supersede(ops)
  }

  /** Queues a leaf (a transaction decision or a block vote) behind a durable write of `ops`. */
  enqueue(leaf: VoteLeaf, ops: readonly BatchOp[], epoch = this.#ctx.epochs.committee.epoch): void {
    this.#startWrite(this.#pipeline.enqueue(leaf, ops, epoch))
  }

  /**
   * Announces a decision again after a restart, in a new batch. One of an earlier epoch (the
   * crash lost its re-decision at the committee change) binds no longer: the transaction is
   * decided anew in this epoch instead.
   */
  reannounce(txid: Txid): void {
    const id = txidKey(txid)
    const decision = this.#decisions.get(id)
    if (decision === undefined) return
    if (decision.epoch === this.#ctx.epochs.committee.epoch)
      this.enqueue(leafOf(decision), [], decision.epoch)
    else {
      const known = this.#ctx.known(id)
      if (known !== undefined) this.#ctx.epochs.reconsider(known)
    }
  }

  #resendDecision(decision: Decision, to: PeerId): void {
    const id = txidKey(decision.txid)
    const batch = this.#ownBatches.get(id)
    if (batch !== undefined) this.#ctx.send(to, { type: 'InstantFinalityVote', batch })
    // Not in memory (restarted, or still in flight): re-batch the same decision, once however
    // often it is asked for meanwhile (the batch goes to every member and waiting wallet).
    else if (!this.#resending.has(id)) {
      this.#resending.add(id)
      this.enqueue(leafOf(decision), [], decision.epoch)
    }
  }

  #startWrite(request: PersistRequest | null): void {
    if (request !== null)
      this.#ctx.emit({ type: 'persist', id: request.id, ops: request.ops, sync: true })
  }

  /**
   * Write `id` is durable: if it was the pipeline's, sign ONE batch over everything it held and
   * send it to every member and to the wallets waiting for those transactions.
   */
  onPersisted(id: number): void {
    const ctx = this.#ctx
    const done = this.#pipeline.persisted(id)
    if (done === null || ctx.signer === undefined) return
    // The committee changed while the write was in flight: a leaf decided in the epoch before is
    // not signed in this one (nothing durable backs it here; the handoff and re-requests decide it
    // anew), and a node that left the committee signs nothing. Their decisions stay stored.
    const epoch = ctx.epochs.committee.epoch
    const { leaves, epochs } = done.ready
    const current = leaves.filter((_, i) => epochs[i] === epoch)
    for (let i = 0; i < leaves.length; i++) {
      const leaf = leaves[i]!
      if (epochs[i] !== epoch && (leaf.kind === 'txAccept' || leaf.kind === 'txReject'))
        this.#resending.delete(txidKey(leaf.txid))
    }
    if (!ctx.epochs.isVoter || current.length === 0) return this.#startWrite(done.next)
    const batch = signVoteBatch(
      current,
      { epoch, seq: done.ready.seq, timestamp: ctx.now },
      ctx.signer,
      ctx.genesisHash,
    )
    const audience = new Set(ctx.epochs.voters)
    for (const leaf of batch.leaves) {
      if (leaf.kind !== 'txAccept' && leaf.kind !== 'txReject') continue
      const tx = txidKey(leaf.txid)
      this.#resending.delete(tx)
      // Kept only while the decision is held (a settled one is pruned with its batch).
      if (this.#decisions.has(tx)) this.#ownBatches.set(tx, batch)
      for (const s of ctx.subscribers.get(tx) ?? []) audience.add(s)
    }
    // Our own copy is counted after this event, through the loopback queue.
    const message = { type: 'InstantFinalityVote' as const, batch }
    for (const peer of audience) ctx.send(peer, message)
    this.#startWrite(done.next)
  }

  /**
   * A batch signed with our own key that we did not just make: we were restored from an older
   * backup. Adopt its decisions so we never contradict them, and never reuse its seq.
   */
  adoptOwnBatch(batch: VoteBatch): boolean {
    if (batch.header.seq <= this.#pipeline.lastSeq) return false
    const ops: BatchOp[] = []
    for (const leaf of batch.leaves) {
      if (leaf.kind !== 'txAccept' && leaf.kind !== 'txReject') continue
      const id = txidKey(leaf.txid)
      if (this.#decisions.has(id)) continue
      const d: Decision =
        leaf.kind === 'txAccept'
          ? { kind: 'accept', txid: leaf.txid, epoch: batch.header.epoch }
          : {
              kind: 'reject',
              txid: leaf.txid,
              epoch: batch.header.epoch,
              conflictingTxid: leaf.conflictingTxid,
            }
      this.#remember(id, d)
      ops.push(decisionOp(d))
    }
    this.#pipeline.raiseSeq(batch.header.seq)
    this.#ctx.persist([...ops, lastSeqOp(this.#pipeline.lastSeq)], true)
    return true
  }

  /**
   * New transactions go straight to every member, in one hop — by the member that got it from a
   * wallet (or locally). A member that got it from another member does not forward it again: the
   * first one already reached everyone, and retries cover losses.
   */
  #forward(tx: Transaction, from: PeerId | null): void {
    const ctx = this.#ctx
    if (from !== null && ctx.epochs.isMember(from)) return
    const message = { type: 'TransactionBroadcast' as const, tx }
    for (const peer of ctx.epochs.voters)
      if (peer !== from && peer !== ctx.self) ctx.send(peer, message)
  }
}
