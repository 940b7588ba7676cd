/**
 * One node's instant-finality engine: events in, effects out, no I/O, no clock, no randomness of
 * its own. It composes the ledger (locks, mempool, finality) with voting (decisions, batches,
 * tally, certificates). Safety rules it keeps (DESIGN §4.6):
 *  - Accept exactly when the transaction is valid and all its inputs could be locked for it;
 *    Reject only on a named conflict or invalidity; an unknown parent defers, never rejects.
 *  - Persist before send: a vote leaves only after its lock and decision are durable.
 *  - A decision never changes; asked again, the node re-sends the same decision.
 */
import {
  checkCertificate,
  type FinalityCertificate,
  FinalityCertificateCodec,
} from '../consensus/certificate.ts'
import { type Committee, MIN_VOTING_MEMBERS } from '../consensus/committee.ts'
import { signLockReport } from '../consensus/lock-report.ts'
import {
  type CommitteeClass,
  type ConfirmedTx,
  Registry,
  type RegistryState,
} from '../consensus/registry.ts'
import { slashOffender } from '../consensus/slashing.ts'
import { signVoteBatch, toSigner, type VoteBatch } from '../consensus/vote-batch.ts'
import { NO_CONFLICT, type VoteLeaf } from '../consensus/vote-leaf.ts'
import { VoteTally } from '../consensus/vote-tally.ts'
import type { KeyPair, Signer } from '../crypto/ed25519.ts'
import { bytesToHex, equalBytes } from '../encoding/bytes.ts'
import { ConsensusError, LedgerError, PeerAction, TimeCoinError } from '../errors.ts'
import type { Ledger } from '../ledger/ledger.ts'
import type { UtxoStateKind } from '../ledger/utxo-state.ts'
import { computeTxid, encodeTransaction, type Transaction } from '../primitives/transaction.ts'
import { type Txid, txidToHex } from '../primitives/txid.ts'
import type { BatchOp } from '../storage/store.ts'
import {
  Chain,
  type ChainConfig,
  type ChainHost,
  type ChainTip,
  type StoredBlockVote,
} from './chain.ts'
import { type Decision, decisionOp, lastSeqOp, type StoredVotingState } from './decision-store.ts'
import type { Effect, EngineEvent } from './events.ts'
import type { Message, PeerId } from './messages.ts'
import { type Seal, sealOp } from './seal-store.ts'
import { type PersistRequest, VotePipeline } from './vote-pipeline.ts'

export interface EngineConfig {
  readonly genesisHash: Uint8Array
  readonly committee: Committee
  readonly ledger: Ledger
  /** This node's masternode key; absent on a node that relays and serves wallets only. */
  readonly key?: KeyPair
  /** Signs this node's batches and proposals (default: noble with `key`); must match `key`. */
  readonly signer?: Signer
  /** Decisions and sequence restored from the store (see decision-store.ts). */
  readonly voting?: StoredVotingState
  readonly retryMinMs?: number
  readonly retryMaxMs?: number
  readonly expireEveryMs?: number
  /**
   * Deliberately broken voting rules, ONLY for the simulator's proof that its safety oracle
   * catches what they allow. Nothing outside test/sim sets this.
   */
  readonly unsafeTestRules?: {
    readonly acceptConflicts?: boolean
    /** Keep accepting in an epoch after reporting locks for its handoff (no seal). */
    readonly handoffWithoutSeals?: boolean
  }
  /**
   * The minimum committee (default: devnet's 3 voting members): below it finality halts, and
   * removals that would go below it have no effect.
   */
  readonly minVoters?: number
  /** Masternodes that do not vote now but follow the chain: they get every committed block. */
  readonly followers?: readonly PeerId[]
  /** Block production (TimeLock); without it the node finalizes but never confirms. */
  readonly chain?: ChainConfig
  /** The tip and this node's own block votes, restored from the store (see loadChainState). */
  readonly chainState?: StoredChainState
}

export interface StoredChainState {
  readonly tip: ChainTip
  readonly votes: readonly StoredBlockVote[]
  /** The registry after the tip (absent before the first block: the genesis committee). */
  readonly registry?: RegistryState
  /** This node's last seal (binding while its epoch is current). */
  readonly seal?: Seal
}

interface KnownTx {
  readonly tx: Transaction
  readonly txid: Txid
  readonly size: number
}

const RETRY = 'retry:'
const MAX_NEXT_EPOCH = 10_000
const EXPIRE = 'expire'

export class FinalityEngine {
  readonly ledger: Ledger
  readonly #genesisHash: Uint8Array
  readonly #key: KeyPair | undefined
  readonly #signer: Signer | undefined
  readonly #self: PeerId
  #registry: Registry
  #isVoter = false
  #voters: readonly PeerId[] = []
  #voterSet: ReadonlySet<PeerId> = new Set()
  /** Vote tallies of the current and the previous epoch (its certificates stay valid). */
  readonly #tallies = new Map<number, VoteTally>()
  /** Batches of epoch current + 1 (we are behind a committee change): replayed after it. */
  #nextEpoch: { batch: VoteBatch; from: PeerId }[] = []
  /** This node's seal of the current epoch (handoff), if it sealed. */
  #seal: Seal | null
  #sealed: ReadonlySet<string>
  #sealDurable: boolean
  /** Transactions this node would accept but may not while sealed: decided in the next epoch. */
  readonly #held = new Set<string>()
  /** Callbacks for durable writes that gate a send (the seal before the lock report). */
  readonly #afterWrite = new Map<number, () => void>()
  readonly #followers: readonly PeerId[]
  readonly #sealRule: boolean
  readonly #decisions = new Map<string, Decision>()
  readonly #pipeline: VotePipeline
  readonly #ownBatches = new Map<string, VoteBatch>()
  readonly #txs = new Map<string, KnownTx>()
  readonly #byObject = new WeakMap<Transaction, KnownTx>()
  /** parent txid → children waiting for it (unknown inputs). */
  readonly #orphans = new Map<string, Set<string>>()
  /** certificates that arrived before their transaction's parents were final here. */
  readonly #pendingCerts = new Map<string, FinalityCertificate>()
  /** txid → when we last asked peers for it; asked again at most once per retryMinMs. */
  readonly #requested = new Map<string, number>()
  readonly #retryDelay = new Map<string, number>()
  readonly #subscribers = new Map<string, Set<PeerId>>()
  /** Decoded certificates of final, unconfirmed transactions (the ledger keeps their bytes). */
  readonly #certificates = new Map<string, FinalityCertificate>()
  readonly #retryMinMs: number
  readonly #retryMaxMs: number
  readonly #expireEveryMs: number
  readonly #acceptConflicts: boolean
  readonly #chain: Chain | null
  readonly #chainVotes: readonly StoredBlockVote[]
  #nextPersistId = 1
  #now = 0
  #out: Effect[] = []

  constructor(config: EngineConfig) {
    this.ledger = config.ledger
    this.#genesisHash = config.genesisHash
    this.#key = config.key
    this.#signer = config.signer ?? (config.key ? toSigner(config.key) : undefined)
    if (this.#signer && config.key && !equalBytes(this.#signer.publicKey, config.key.publicKey)) {
      throw new RangeError("the signer does not sign with this node's key")
    }
    this.#self = config.key ? bytesToHex(config.key.publicKey) : 'local'
    const minVoters = config.minVoters ?? MIN_VOTING_MEMBERS.devnet
    const stored = config.chainState?.registry
    // Every epoch's committee is of the genesis committee's class (the simulator's unsafe rules).
    const kind = config.committee.constructor as CommitteeClass
    this.#registry =
      stored !== undefined
        ? new Registry(stored, minVoters, kind)
        : Registry.genesis(
            config.committee.members.map((m) => ({ ...m, collateral: null })),
            minVoters,
            config.committee.epoch,
            kind,
          )
    this.#enterEpoch()
    this.#followers = config.followers ?? []
    this.#sealRule = config.unsafeTestRules?.handoffWithoutSeals !== true
    const saved = config.chainState?.seal
    const seal = saved?.epoch === this.committee.epoch ? saved : null
    this.#seal = seal
    this.#sealed = new Set(seal?.txids.map(txidToHex) ?? [])
    this.#sealDurable = seal !== null
    this.#retryMinMs = config.retryMinMs ?? 1_000
    this.#retryMaxMs = config.retryMaxMs ?? 60_000
    this.#expireEveryMs = config.expireEveryMs ?? 60_000
    this.#acceptConflicts = config.unsafeTestRules?.acceptConflicts === true
    for (const d of config.voting?.decisions ?? []) this.#decisions.set(txidToHex(d.txid), d)
    this.#pipeline = new VotePipeline(config.voting?.lastSeq ?? 0, () => this.#nextPersistId++)
    for (const e of this.ledger.mempool.entries())
      this.#remember({ tx: e.tx, txid: e.txid, size: e.size })
    this.#chainVotes = config.chainState?.votes ?? []
    this.#chain =
      config.chain !== undefined && config.key !== undefined
        ? new Chain(
            this.#chainHost(config.key, this.#signer!),
            config.chain,
            config.chainState?.tip ?? { height: 0, hash: config.genesisHash },
          )
        : null
  }

  /** The committee voting now (C_e of the current epoch). */
  get committee(): Committee {
    return this.#registry.committee
  }

  get registry(): Registry {
    return this.#registry
  }

  /** The chain's tip here (height 0 and the genesis hash before the first block). */
  get tip(): ChainTip | undefined {
    return this.#chain?.tip
  }

  #chainHost(key: KeyPair, signer: Signer): ChainHost {
    const engine = this
    return {
      get committee() {
        return engine.committee
      },
      registry: () => this.#registry,
      isVoter: () => this.#isVoter,
      followers: () => this.#followers,
      seal: (height) => this.#sealEpoch(height),
      reportedAt: (height) =>
        this.#seal?.height === height && this.#sealRule
          ? { voterKey: key.publicKey, txids: this.#seal.txids }
          : undefined,
      advance: (registry, changed, carried) => this.#advance(registry, changed, carried),
      ledger: this.ledger,
      key,
      signer,
      genesisHash: this.#genesisHash,
      now: () => this.#now,
      send: (to, message) => this.#send(to, message),
      voters: () => this.#voters,
      setTimer: (id, at) => this.#emit({ type: 'setTimer', id, at }),
      persist: (ops, sync) => this.#persist(ops, sync),
      vote: (leaf, ops) => this.#startWrite(this.#pipeline.enqueue(leaf, ops)),
      certificateOf: (txid) => this.#certificateOf(txid),
      adoptCertificate: (tx, certificate) => {
        if (this.#checkCertificate(certificate) !== null) return false
        this.#finalize(this.#knownOf(tx), certificate)
        return this.isFinal(certificate.txid)
      },
      isFinal: (txid) => this.isFinal(txid),
      emit: (effect) => {
        this.#emit(effect)
        if (effect.type === 'committed') this.#forgetConfirmed()
      },
    }
  }

  /** Confirmed transactions need nothing kept in memory: their blocks answer for them. */
  #forgetConfirmed(): void {
    for (const [id, known] of this.#txs) {
      const state = this.ledger.utxos.get(known.tx.inputs[0]!.outpoint)?.state
      if (state?.kind !== 'Confirmed' || !equalBytes(state.txid, known.txid)) continue
      this.#txs.delete(id)
      this.#certificates.delete(id)
      this.#ownBatches.delete(id)
      for (const tally of this.#tallies.values()) tally.forget(known.txid)
    }
  }

  get id(): PeerId {
    return this.#self
  }

  get isVoter(): boolean {
    return this.#isVoter
  }

  /** Arms the periodic timers and re-requests votes for transactions still pending. */
  start(now: number): Effect[] {
    return this.#run(now, () => {
      this.#emit({ type: 'setTimer', id: EXPIRE, at: now + this.#expireEveryMs })
      this.#chain?.start(this.#chainVotes)
      for (const e of this.ledger.mempool.entries()) {
        if (e.status !== 'pending') continue
        this.#armRetry(e.txid)
        // Votes signed before a restart may never have arrived (or our own tally of them is
        // gone): announce every decision still pending again, in a new batch.
        const decision = this.#decisions.get(txidToHex(e.txid))
        if (decision !== undefined) this.#startWrite(this.#pipeline.enqueue(leafOf(decision), []))
      }
    })
  }

  handle(event: EngineEvent, now: number): Effect[] {
    return this.#run(now, () => {
      switch (event.type) {
        case 'message':
          return this.#onMessage(event.from, event.message)
        case 'submit':
          return this.#onTransaction(event.tx, null, false)
        case 'persisted':
          return this.#onPersisted(event.id)
        case 'timer':
          return this.#onTimer(event.id)
      }
    })
  }

  /** Whether `txid` is final here (certificate applied, not yet confirmed, or confirmed). */
  isFinal(txid: Txid): boolean {
    return this.ledger.mempool.get(txid)?.status === 'finalized' || this.#spentFinalBy(txid)
  }

  /** Accept weight this node has counted for `txid` in the current epoch. */
  acceptWeight(txid: Txid): number {
    return this.#tally.acceptWeight(txid)
  }

  get #tally(): VoteTally {
    return this.#tallies.get(this.committee.epoch)!
  }

  decisionOf(txid: Txid): Decision | undefined {
    return this.#decisions.get(txidToHex(txid))
  }

  // ── dispatch ──────────────────────────────────────────────────────────────

  #run(now: number, body: () => void): Effect[] {
    // The engine's clock is whole milliseconds (shells may pass a fractional monotonic time).
    this.#now = Math.floor(now)
    this.#out = []
    body()
    return this.#out
  }

  #emit(effect: Effect): void {
    this.#out.push(effect)
  }

  #send(to: PeerId, message: Message): void {
    if (to !== this.#self) this.#emit({ type: 'send', to, message })
  }

  #onMessage(from: PeerId, m: Message): void {
    switch (m.type) {
      case 'TransactionBroadcast':
        return this.#onTransaction(m.tx, from, false)
      case 'InstantFinalityRequest':
        return this.#onTransaction(m.tx, from, true)
      case 'InstantFinalityVote':
        return this.#onBatch(m.batch, from)
      case 'FinalityCertificate':
        return this.#onCertificate(m.tx, m.certificate, from)
      case 'TransactionRequest':
        return this.#onTransactionRequest(m.txid, from)
      case 'BlockProposal':
        return this.#chain?.onProposal(m.proposal)
      case 'BlockCommit':
        return this.#chain?.onCommit(m.block, m.certificate, from)
      case 'BlockRequest':
        return this.#chain?.onRequest(m.height, from)
      case 'LockReport':
        for (const tx of m.txs) this.#knownOf(tx)
        return this.#chain?.onLockReport(m.report, m.txs)
    }
  }

  // ── transactions and decisions ────────────────────────────────────────────

  #onTransaction(tx: Transaction, from: PeerId | null, asked: boolean): void {
    const known = this.#knownOf(tx)
    const id = txidToHex(known.txid)
    // Proofs go to whoever asks, and to wallets; a member merely relaying it (forwarding is
    // one hop, and it will hear the votes) needs no certificate back.
    const wantsProof = from !== null && (asked || !this.#voterSet.has(from))
    const certificate = this.#certificateOf(known.txid)
    if (certificate !== undefined) {
      if (wantsProof) this.#send(from, { type: 'FinalityCertificate', tx, certificate })
      return
    }
    // Confirmed: the certified block that holds it is the proof.
    const included = this.#chain?.inclusion(known.txid)
    if (included !== undefined) {
      if (wantsProof) this.#send(from, { type: 'BlockCommit', ...included })
      return
    }
    // A wallet (not a member) that sent it wants the votes and the certificate.
    if (from !== null && !this.#voterSet.has(from)) this.#subscribe(id, from)
    const decision = this.#decisions.get(id)
    if (decision !== undefined) {
      if (asked && from !== null) this.#resendDecision(decision, from)
      return
    }
    if (this.ledger.mempool.get(known.txid) !== undefined) return
    this.#decide(known, from)
  }

  #decide(known: KnownTx, from: PeerId | null): void {
    const { tx, txid, size } = known
    const epoch = this.committee.epoch
    // Handoff locks, frozen inputs and locked collateral come before the UTXO set's answer.
    const barred = this.#epochRule(tx, txid)
    if (barred !== null) {
      this.#vote({ kind: 'reject', txid, epoch, conflictingTxid: barred }, [])
      return
    }
    let check: ReturnType<Ledger['checkSpend']>
    try {
      check = this.ledger.checkSpend(tx, txid)
    } catch (e) {
      if (!(e instanceof TimeCoinError)) throw e
      if (from !== null && e.peerAction !== undefined) this.#penalize(from, e.peerAction, e.message)
      this.#vote(
        { kind: 'reject', txid, epoch: this.committee.epoch, conflictingTxid: NO_CONFLICT },
        [],
      )
      return
    }
    if (check.status === 'missing')
      return this.#defer(
        known,
        check.outpoints.map((o) => o.txid),
        from,
      )
    // Spent final by this very transaction (confirmed, certificate gone): nothing to decide.
    if (check.status === 'conflict' && equalBytes(check.txid, txid)) return
    if (check.status === 'conflict' && this.#acceptConflicts) {
      this.#vote({ kind: 'accept', txid, epoch: this.committee.epoch }, [])
      return
    }
    if (check.status === 'conflict') {
      this.#vote(
        { kind: 'reject', txid, epoch: this.committee.epoch, conflictingTxid: check.txid },
        [],
      )
      this.#forward(tx, from)
      return
    }
    // Sealed for the handoff: no Accept of this epoch outside our report; decide in the next one.
    if (this.#isVoter && this.#sealBars(txid)) {
      this.#held.add(txidToHex(txid))
      return
    }
    let ops: readonly BatchOp[]
    try {
      ops = this.ledger.admit(tx, txid, size, this.#now, this.#isVoter).ops
    } catch (e) {
      // A full mempool refuses before voting; the sender may retry later.
      if (e instanceof LedgerError && e.code === 'MEMPOOL_FULL') return
      throw e
    }
    if (this.#isVoter) this.#vote({ kind: 'accept', txid, epoch: this.committee.epoch }, ops)
    else this.#persist(ops, false)
    this.#forward(tx, from)
    this.#armRetry(txid)
  }

  /** Records a decision (non-voters make none) and queues its leaf behind a durable write. */
  #vote(decision: Decision, ledgerOps: readonly BatchOp[]): void {
    if (!this.#isVoter) return
    this.#decisions.set(txidToHex(decision.txid), decision)
    this.#startWrite(this.#pipeline.enqueue(leafOf(decision), [...ledgerOps, decisionOp(decision)]))
  }

  #resendDecision(decision: Decision, to: PeerId): void {
    const batch = this.#ownBatches.get(txidToHex(decision.txid))
    if (batch !== undefined) this.#send(to, { type: 'InstantFinalityVote', batch })
    // Not in memory (restarted, or still in flight): re-batch the same decision.
    else this.#startWrite(this.#pipeline.enqueue(leafOf(decision), []))
  }

  #startWrite(request: PersistRequest | null): void {
    if (request !== null)
      this.#emit({ type: 'persist', id: request.id, ops: request.ops, sync: true })
  }

  #onPersisted(id: number): void {
    const after = this.#afterWrite.get(id)
    if (after !== undefined) {
      this.#afterWrite.delete(id)
      return after()
    }
    const done = this.#pipeline.persisted(id)
    if (done === null || this.#signer === undefined) return
    const batch = signVoteBatch(
      done.ready.leaves,
      { epoch: this.committee.epoch, seq: done.ready.seq, timestamp: this.#now },
      this.#signer,
      this.#genesisHash,
    )
    const audience = new Set(this.#voters)
    for (const leaf of batch.leaves) {
      if (leaf.kind !== 'txAccept' && leaf.kind !== 'txReject') continue
      const id = txidToHex(leaf.txid)
      this.#ownBatches.set(id, batch)
      for (const s of this.#subscribers.get(id) ?? []) audience.add(s)
    }
    for (const peer of audience) this.#send(peer, { type: 'InstantFinalityVote', batch })
    this.#count(batch)
    this.#startWrite(done.next)
  }

  /**
   * New transactions go straight to every member, in one hop — by the member that got it from a
   * wallet (or locally). A member that got it from another member does not forward it again: the
   * first one already reached everyone, and retries cover losses.
   */
  #forward(tx: Transaction, from: PeerId | null): void {
    if (from !== null && this.#voterSet.has(from)) return
    for (const peer of this.#voters)
      if (peer !== from) this.#send(peer, { type: 'TransactionBroadcast', tx })
  }

  #defer(known: KnownTx, parents: readonly Txid[], from: PeerId | null): void {
    const child = txidToHex(known.txid)
    for (const parent of parents) {
      const id = txidToHex(parent)
      const waiting = this.#orphans.get(id) ?? new Set<string>()
      this.#orphans.set(id, waiting.add(child))
      this.#request(parent, from)
    }
  }

  #request(txid: Txid, from: PeerId | null, everyone = true): void {
    const id = txidToHex(txid)
    const last = this.#requested.get(id)
    if (last !== undefined && this.#now - last < this.#retryMinMs) return
    this.#requested.set(id, this.#now)
    const targets = new Set(everyone || from === null ? this.#voters : [])
    if (from !== null) targets.add(from)
    for (const peer of targets) this.#send(peer, { type: 'TransactionRequest', txid })
  }

  #onTransactionRequest(txid: Txid, from: PeerId): void {
    const known = this.#txs.get(txidToHex(txid))
    if (known === undefined) return
    const certificate = this.#certificateOf(txid)
    if (certificate !== undefined)
      this.#send(from, { type: 'FinalityCertificate', tx: known.tx, certificate })
    else this.#send(from, { type: 'TransactionBroadcast', tx: known.tx })
  }

  // ── votes and finality ────────────────────────────────────────────────────

  #onBatch(batch: VoteBatch, from: PeerId): void {
    if (batch.header.epoch > this.committee.epoch) {
      // A committee change we have not applied yet: keep votes of the next epoch (replayed after
      // it), and fetch the blocks we miss.
      const next = batch.header.epoch === this.committee.epoch + 1
      if (next && this.#nextEpoch.length < MAX_NEXT_EPOCH) this.#nextEpoch.push({ batch, from })
      this.#chain?.behind(from)
      return
    }
    if (this.#key !== undefined && equalBytes(batch.header.voterKey, this.#key.publicKey)) {
      return this.#adoptOwnBatch(batch)
    }
    const update = this.#count(batch)
    if (update === null) return
    for (const txid of [...update.accepted, ...update.rejected]) {
      for (const s of this.#subscribers.get(txidToHex(txid)) ?? []) {
        if (s !== from) this.#send(s, { type: 'InstantFinalityVote', batch })
      }
    }
    for (const txid of update.accepted) {
      // The voter that sent the vote has the transaction: ask it alone.
      if (!this.#txs.has(txidToHex(txid))) this.#request(txid, from, false)
    }
  }

  /** Counts a verified batch and finalizes whatever reached quorum. */
  #count(batch: VoteBatch) {
    this.#chain?.onBatch(batch)
    const tally = this.#tallies.get(batch.header.epoch)
    // No finality from a committee below the minimum, whoever signs.
    if (tally === undefined || this.#belowMinimum(tally.committee)) return null
    const update = tally.add(batch)
    for (const txid of update?.accepted ?? []) {
      if (this.isFinal(txid)) continue
      const certificate = tally.certificate(txid)
      const known = this.#txs.get(txidToHex(txid))
      if (certificate !== null && known !== undefined) this.#finalize(known, certificate)
    }
    return update
  }

  /**
   * A batch signed with our own key that we did not just make: we were restored from an older
   * backup. Adopt its decisions so we never contradict them, and never reuse its seq.
   */
  #adoptOwnBatch(batch: VoteBatch): void {
    if (batch.header.seq <= this.#pipeline.lastSeq) return
    const ops: BatchOp[] = []
    for (const leaf of batch.leaves) {
      if (leaf.kind !== 'txAccept' && leaf.kind !== 'txReject') continue
      const id = txidToHex(leaf.txid)
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
      this.#decisions.set(id, d)
      ops.push(decisionOp(d))
    }
    this.#pipeline.raiseSeq(batch.header.seq)
    this.#persist([...ops, lastSeqOp(this.#pipeline.lastSeq)], true)
    this.#count(batch)
  }

  #onCertificate(tx: Transaction, certificate: FinalityCertificate, from: PeerId): void {
    const known = this.#knownOf(tx)
    if (this.isFinal(known.txid)) return
    // A certificate of an epoch we have not reached: we are behind, not the sender wrong.
    if (certificate.epoch > this.committee.epoch) return
    const e = this.#checkCertificate(certificate)
    if (e !== null)
      return this.#penalize(from, e.peerAction ?? PeerAction.LowToleranceError, e.message)
    this.#finalize(known, certificate)
  }

  #finalize(known: KnownTx, certificate: FinalityCertificate): void {
    const { tx, txid, size } = known
    const id = txidToHex(txid)
    let ops: readonly BatchOp[]
    try {
      ops = this.ledger.finalize(
        tx,
        txid,
        FinalityCertificateCodec.encode(certificate),
        size,
        this.#now,
      ).ops
    } catch (e) {
      if (e instanceof LedgerError && e.code === 'LEDGER_MISSING_INPUT') {
        // A parent is not final here yet: keep the certificate, fetch the parents.
        this.#pendingCerts.set(id, certificate)
        const parents = tx.inputs.filter((i) => this.ledger.utxos.get(i.outpoint) === undefined)
        return this.#defer(
          known,
          parents.map((i) => i.outpoint.txid),
          null,
        )
      }
      if (e instanceof LedgerError && e.code === 'LEDGER_DOUBLE_FINALITY') {
        return this.#emit({ type: 'alarm', code: e.code, message: e.message })
      }
      throw e
    }
    this.#pendingCerts.delete(id)
    this.#certificates.set(id, certificate)
    this.#retryDelay.delete(id)
    this.#persist(ops, false)
    this.#emit({ type: 'clearTimer', id: RETRY + id })
    this.#emit({ type: 'finalized', txid, tx, certificate })
    for (const s of this.#subscribers.get(id) ?? [])
      this.#send(s, { type: 'FinalityCertificate', tx, certificate })
    // Final: from now on the certificate answers every question about this transaction.
    this.#subscribers.delete(id)
    this.#ownBatches.delete(id)
    this.#requested.delete(id)
    for (const tally of this.#tallies.values()) tally.forget(txid)
    this.#wakeOrphans(id)
  }

  #wakeOrphans(parent: string): void {
    const children = this.#orphans.get(parent)
    if (children === undefined) return
    this.#orphans.delete(parent)
    for (const child of children) {
      const known = this.#txs.get(child)
      if (known === undefined) continue
      const certificate = this.#pendingCerts.get(child)
      if (certificate !== undefined) this.#finalize(known, certificate)
      else if (!this.#decisions.has(child) && this.ledger.mempool.get(known.txid) === undefined) {
        this.#decide(known, null)
      }
    }
  }

  // ── timers ────────────────────────────────────────────────────────────────

  #armRetry(txid: Txid): void {
    const id = txidToHex(txid)
    if (this.#retryDelay.has(id)) return
    this.#retryDelay.set(id, this.#retryMinMs)
    this.#emit({ type: 'setTimer', id: RETRY + id, at: this.#now + this.#retryMinMs })
  }

  #onTimer(id: string): void {
    if (this.#chain?.onTimer(id)) return
    if (id === EXPIRE) {
      const t = this.ledger.expireLocks(this.#now)
      this.#persist(t.ops, false)
      for (const txid of t.removed) this.#retryDelay.delete(txidToHex(txid))
      this.#emit({ type: 'setTimer', id: EXPIRE, at: this.#now + this.#expireEveryMs })
      return
    }
    if (!id.startsWith(RETRY)) return
    const hex = id.slice(RETRY.length)
    const known = this.#txs.get(hex)
    const delay = this.#retryDelay.get(hex)
    if (known === undefined || delay === undefined || this.isFinal(known.txid)) return
    if (this.ledger.mempool.get(known.txid) === undefined) return void this.#retryDelay.delete(hex)
    // First ask the members whose vote is missing; from then on ask everyone, since a member
    // that already voted may be final and answers with the certificate.
    const voted = delay === this.#retryMinMs ? this.#tally.votersOf(known.txid) : new Set<string>()
    for (const peer of this.#voters) {
      if (!voted.has(peer)) this.#send(peer, { type: 'InstantFinalityRequest', tx: known.tx })
    }
    const next = Math.min(delay * 2, this.#retryMaxMs)
    this.#retryDelay.set(hex, next)
    this.#emit({ type: 'setTimer', id, at: this.#now + next })
  }

  // ── epochs and handoff ────────────────────────────────────────────────────

  /** Voters, role and tallies for the registry's current epoch (the previous tally stays). */
  #enterEpoch(): void {
    const committee = this.committee
    this.#voters = committee.voters.map((m) => bytesToHex(m.key))
    this.#voterSet = new Set(this.#voters)
    // Below the minimum committee finality halts rather than run without fault tolerance: no
    // member votes (on transactions or blocks) until a committee change brings enough voters.
    this.#isVoter =
      this.#key !== undefined &&
      (committee.weightOf(this.#key.publicKey) ?? 0) > 0 &&
      !this.#belowMinimum(committee)
    this.#tallies.set(committee.epoch, new VoteTally(committee))
    for (const epoch of this.#tallies.keys())
      if (epoch + 1 < committee.epoch) this.#tallies.delete(epoch)
  }

  #belowMinimum(committee: Committee): boolean {
    return committee.voters.length < this.#registry.minVoters
  }

  /** Checks a certificate against the committee of its epoch (current or previous only). */
  #checkCertificate(certificate: FinalityCertificate): TimeCoinError | null {
    const committee = this.#registry.committeeOf(certificate.epoch) ?? this.committee
    if (this.#belowMinimum(committee))
      return new ConsensusError(
        'COMMITTEE_INVALID',
        `epoch ${committee.epoch} has fewer than ${this.#registry.minVoters} voting members`,
      )
    try {
      checkCertificate(certificate, committee, this.committee.epoch)
      return null
    } catch (e) {
      if (e instanceof TimeCoinError) return e
      throw e
    }
  }

  /**
   * Why this epoch forbids accepting `tx`, if it does: the txid an input was carried for (or
   * NO_CONFLICT for a frozen input or locked collateral), else null.
   */
  #epochRule(tx: Transaction, txid: Txid): Txid | null {
    if (tx.payload.type === 'slash') {
      // Evidence is judged by the committee of its epoch, which must still be known here.
      try {
        slashOffender(tx, (e) => this.#registry.committeeOf(e))
      } catch (e) {
        if (e instanceof TimeCoinError) return NO_CONFLICT
        throw e
      }
    }
    for (const { outpoint } of tx.inputs) {
      const rule = this.#registry.spendRule(outpoint)
      if (rule === 'collateral' || rule === 'frozen') return NO_CONFLICT
      if (rule !== undefined && !equalBytes(rule, txid)) return rule
      // Collateral of a registration no block holds yet is locked too.
      const parent = this.#txs.get(txidToHex(outpoint.txid))?.tx.payload
      if (
        parent?.type === 'register' &&
        parent.collateralVout === outpoint.vout &&
        !this.#confirmed(outpoint.txid)
      )
        return NO_CONFLICT
    }
    return null
  }

  #sealBars(txid: Txid): boolean {
    return (
      this.#sealRule &&
      this.#seal?.epoch === this.committee.epoch &&
      !this.#sealed.has(txidToHex(txid))
    )
  }

  /**
   * Seals the current epoch for the committee-changing block at `height`: the carry set (every
   * transaction we accepted that no block holds) is written durably, then reported to every
   * member. Called again while the height is open, it re-sends the report.
   */
  #sealEpoch(height: number): void {
    if (!this.#isVoter || this.#signer === undefined) return
    const epoch = this.committee.epoch
    if (this.#seal?.epoch !== epoch) {
      const carry = [...this.#decisions.values()].filter(
        (d) => d.kind === 'accept' && this.#txs.has(txidToHex(d.txid)) && !this.#confirmed(d.txid),
      )
      const seal: Seal = { epoch, height, txids: carry.map((d) => d.txid) }
      this.#seal = seal
      this.#sealed = new Set(seal.txids.map(txidToHex))
      this.#sealDurable = false
      const id = this.#nextPersistId++
      this.#afterWrite.set(id, () => {
        this.#sealDurable = true
        this.#sendReport()
      })
      return this.#emit({ type: 'persist', id, ops: [sealOp(seal)], sync: true })
    }
    if (this.#sealDurable && this.#seal.height === height) this.#sendReport()
  }

  #sendReport(): void {
    const seal = this.#seal
    if (seal === null || this.#signer === undefined) return
    const report = signLockReport(seal, this.#signer, this.#genesisHash)
    const txs = seal.txids.map((t) => this.#txs.get(txidToHex(t))?.tx)
    if (txs.some((tx) => tx === undefined)) return
    const message = { type: 'LockReport' as const, report, txs: txs as Transaction[] }
    for (const peer of this.#voters) this.#send(peer, message)
    this.#chain?.onLockReport(report, message.txs)
  }

  /**
   * A block committed. When it changed the committee: the new epoch's voters and tally, the
   * carried transactions locked and accepted again, every pending or held transaction decided
   * anew for this epoch, and votes that arrived early replayed.
   */
  #advance(registry: Registry, changed: boolean, carried: readonly ConfirmedTx[]): void {
    this.#registry = registry
    if (!changed) return
    this.#enterEpoch()
    this.#seal = null
    this.#sealed = new Set()
    this.#sealDurable = false
    const again = new Map<string, KnownTx>()
    for (const { tx } of carried) {
      const known = this.#knownOf(tx)
      again.set(txidToHex(known.txid), known)
    }
    for (const e of this.ledger.mempool.entries())
      if (e.status === 'pending') again.set(txidToHex(e.txid), this.#remember(e))
    for (const id of this.#held) {
      const known = this.#txs.get(id)
      if (known !== undefined) again.set(id, known)
    }
    this.#held.clear()
    for (const known of again.values()) this.#reconsider(known)
    for (const { batch, from } of this.#nextEpoch.splice(0)) this.#onBatch(batch, from)
  }

  /** Decides `known` in the new epoch (a decision of an older epoch binds no longer). */
  #reconsider(known: KnownTx): void {
    const { txid } = known
    const epoch = this.committee.epoch
    if (!this.#isVoter || this.#decisions.get(txidToHex(txid))?.epoch === epoch) return
    if (this.#confirmed(txid)) return
    const barred = this.#epochRule(known.tx, txid)
    if (barred !== null)
      return this.#vote({ kind: 'reject', txid, epoch, conflictingTxid: barred }, [])
    const pending = this.ledger.mempool.get(txid)
    if (pending === undefined && !this.isFinal(txid)) return this.#decide(known, null)
    // Final here, or locked here for it: accept again in this epoch.
    let check: ReturnType<Ledger['checkSpend']> | null = null
    try {
      check = this.isFinal(txid) ? null : this.ledger.checkSpend(known.tx, txid)
    } catch (e) {
      if (!(e instanceof TimeCoinError)) throw e
      return this.#vote({ kind: 'reject', txid, epoch, conflictingTxid: NO_CONFLICT }, [])
    }
    if (check?.status === 'conflict')
      return this.#vote({ kind: 'reject', txid, epoch, conflictingTxid: check.txid }, [])
    if (check?.status === 'missing') return
    const ops = pending?.status === 'pending' ? this.ledger.markVoted(txid).ops : []
    this.#vote({ kind: 'accept', txid, epoch }, ops)
    if (pending?.status === 'pending') this.#armRetry(txid)
  }

  /** Whether a block holds `txid` (its first input is Confirmed by it). */
  #confirmed(txid: Txid): boolean {
    return this.#spentBy(txid) === 'Confirmed'
  }

  // ── small helpers ─────────────────────────────────────────────────────────

  /** Txid and size of a transaction object, computed once per object. */
  #knownOf(tx: Transaction): KnownTx {
    let known = this.#byObject.get(tx)
    if (known === undefined) {
      known = this.#remember({ tx, txid: computeTxid(tx), size: encodeTransaction(tx).length })
      this.#byObject.set(tx, known)
    }
    return known
  }

  #remember(known: KnownTx): KnownTx {
    const id = txidToHex(known.txid)
    const existing = this.#txs.get(id)
    if (existing !== undefined) return existing
    this.#txs.set(id, known)
    return known
  }

  #subscribe(id: string, peer: PeerId): void {
    const set = this.#subscribers.get(id) ?? new Set<PeerId>()
    this.#subscribers.set(id, set.add(peer))
  }

  #certificateOf(txid: Txid): FinalityCertificate | undefined {
    const id = txidToHex(txid)
    const bytes = this.ledger.certificate(txid)
    if (bytes === undefined) return undefined
    let certificate = this.#certificates.get(id)
    if (certificate === undefined) {
      certificate = FinalityCertificateCodec.decode(bytes)
      this.#certificates.set(id, certificate)
    }
    return certificate
  }

  #spentFinalBy(txid: Txid): boolean {
    const kind = this.#spentBy(txid)
    return kind === 'SpentFinalized' || kind === 'Confirmed'
  }

  /** The state of a known transaction's first input, if that state names this transaction. */
  #spentBy(txid: Txid): UtxoStateKind | undefined {
    const first = this.#txs.get(txidToHex(txid))?.tx.inputs[0]
    const state = first === undefined ? undefined : this.ledger.utxos.get(first.outpoint)?.state
    return state !== undefined && 'txid' in state && equalBytes(state.txid, txid)
      ? state.kind
      : undefined
  }

  #persist(ops: readonly BatchOp[], sync: boolean): void {
    if (ops.length > 0) this.#emit({ type: 'persist', id: this.#nextPersistId++, ops, sync })
  }

  #penalize(peer: PeerId, action: PeerAction, reason: string): void {
    this.#emit({ type: 'penalize', peer, action, reason })
  }
}

function leafOf(d: Decision): VoteLeaf {
  return d.kind === 'accept'
    ? { kind: 'txAccept', txid: d.txid }
    : { kind: 'txReject', txid: d.txid, conflictingTxid: d.conflictingTxid }
}
