/**
 * Block production for one node (TimeLock): opens each height, validates proposals, routes block
 * votes into the two-phase state machine (consensus/timelock.ts), proposes when it leads, commits
 * certified blocks and keeps the recent ones to help members that fell behind.
 *
 * Flow is one-way: the chain reads its host through a query-only view and never calls back into
 * it; every method returns the outputs the engine then carries out (sends, writes, timers, vote
 * leaves, seals, commits). Votes that arrive for a height not open yet are buffered and handed back
 * as `replay` outputs when it opens, so no handler ever runs inside another. Invariants:
 *  - at most one block is committed per height, and only with a certificate of > 2/3 precommits
 *    of one attempt from the committee of the epoch voting on it;
 *  - a member prevotes a committee-changing block only after sealing (the `seal` output comes
 *    before any prevote of that height);
 *  - a re-sent vote is a fresh batch of the same persisted decision, never a different vote;
 *  - the chain's UTXO-set state is the one after the tip: a block is voted for, and applied, only
 *    if its header's `utxoCommitment` is that state's digest after applying it.
 *
 * This file holds the tip, the routing of inputs and the commit itself. The open height's state
 * machine, own votes and certificate are chain-height.ts; checking and building proposals and lock
 * reports chain-proposals.ts; checking and applying committed blocks chain-commit.ts; recent
 * blocks, block requests and help for lagging members chain-catch-up.ts.
 */
import { type Block, blockHash } from '../consensus/block.ts'
import type { BlockCertificate } from '../consensus/block-certificate.ts'
import type { LockReport } from '../consensus/lock-report.ts'
import type { Proposal } from '../consensus/proposal.ts'
import { ProposerSchedule } from '../consensus/proposer.ts'
import { batchEntries, type CertificateEntry } from '../consensus/quorum-proof.ts'
import type { TimeLockTimeouts } from '../consensus/timelock.ts'
import type { VoteBatch } from '../consensus/vote-batch.ts'
import { bytesToHex, equalBytes, keyId } from '../encoding/bytes.ts'
import { PeerAction, PeerError, TimeCoinError } from '../errors.ts'
import type { LtHash } from '../ledger/lthash.ts'
import type { OutPoint } from '../primitives/outpoint.ts'
import { computeTxid, type Transaction, type TxOutput } from '../primitives/transaction.ts'
import type { Txid } from '../primitives/txid.ts'
import { BatchBuffer } from './batch-buffer.ts'
import { CatchUp } from './chain-catch-up.ts'
import {
  applyCertified,
  chainOutputOf,
  checkCommitted,
  ownVoteDeletes,
  stateAfterBlock,
} from './chain-commit.ts'
import { CHAIN_TIMER, type HeightPort, OpenHeight, RESEND_TIMER } from './chain-height.ts'
import type { ChainOutput, ChainView } from './chain-io.ts'
import {
  type BlockContext,
  buildFresh,
  checkLeader,
  checkLockReport,
  checkProposal,
  type HeldReport,
  quorumReports,
  signedProposal,
} from './chain-proposals.ts'
import { type ChainTip, commitOps, type StoredBlockVote } from './chain-store.ts'
import type { Message, PeerId } from './messages.ts'

export type { ChainTip, StoredBlockVote } from './chain-store.ts'

export interface ChainConfig {
  /** Time between a commit and the start of the next height (600 s mainnet, seconds on devnet). */
  readonly intervalMs: number
  readonly timeouts: TimeLockTimeouts
}

/** Whether timer `id` belongs to the chain (hand it to `Chain.onTimer`). */
export function isChainTimer(id: string): boolean {
  return id.startsWith(CHAIN_TIMER)
}

const START = `${CHAIN_TIMER}start`

export class Chain {
  #tip: ChainTip
  readonly #view: ChainView
  #out: ChainOutput[] = []
  readonly #config: ChainConfig
  #schedule: ProposerSchedule
  /** The open height (null between a commit and the next height's start, or when not voting). */
  #height: OpenHeight | null = null
  /** The last height opened, open or not (its maps are counted until the next one opens). */
  #last: OpenHeight | null = null
  /** The chain's UTXO-set state after the tip (its digest is the tip header's utxoCommitment). */
  #utxos: LtHash
  /** Votes for the next heights that arrived early (buffered per member and in bytes, not dropped). */
  readonly #early: BatchBuffer<{ readonly batch: VoteBatch }>
  /** Recent blocks, block requests and help for lagging members. */
  readonly #catchUp: CatchUp
  /** Lock reports for the committee-changing block at the next height, by voter (hex). */
  #reports = new Map<string, HeldReport>()
  /** What an open height asks of the chain. */
  readonly #port: HeightPort

  constructor(view: ChainView, config: ChainConfig, tip: ChainTip, utxos: LtHash) {
    this.#view = view
    this.#config = config
    this.#tip = tip
    this.#utxos = utxos
    this.#schedule = new ProposerSchedule(view.committee, view.registry.state.firstHeight)
    const limits = view.limits
    this.#early = new BatchBuffer(limits.maxEarlyBatchesPerVoter, limits.maxEarlyBytes)
    this.#catchUp = new CatchUp(
      {
        now: () => this.#view.now(),
        tipHeight: () => this.#tip.height,
        send: (to, message) => this.#send(to, message),
      },
      limits,
    )
    this.#port = {
      view,
      timeouts: config.timeouts,
      push: (output) => this.#out.push(output),
      send: (to, message) => this.#send(to, message),
      propose: (attempt, value, validAttempt) => this.#propose(attempt, value, validAttempt),
      decide: (block, certificate) => {
        this.#commit(block, certificate)
        for (const peer of new Set([...this.#view.voters, ...this.#view.followers]))
          this.#send(peer, { type: 'BlockCommit', block, certificate })
      },
    }
  }

  /** Entry counts (and bytes) of the chain's maps, for FinalityEngine.stateSizes. */
  sizes(): Record<string, number> {
    return {
      'chain.blocks': 0,
      'chain.blockReports': 0,
      'chain.precommits': 0,
      'chain.ownVotes': 0,
      ...this.#last?.sizes(),
      'chain.early': this.#early.size,
      'chain.earlyBytes': this.#early.bytes,
      'chain.reports': this.#reports.size,
      'chain.schedule': this.#schedule.cached,
      ...this.#catchUp.sizes(),
      ...(this.#height?.timelockSizes() ?? {}),
    }
  }

  /** Runs one chain call and returns what it asks the engine to carry out. */
  #run(body: () => void): ChainOutput[] {
    this.#out = []
    body()
    return this.#out
  }

  /** Sends to a peer; never to this node itself (its own proposal is the one exception). */
  #send(to: PeerId, message: Message): void {
    if (to !== this.#view.self) this.#out.push({ type: 'send', to, message })
  }

  #setTimer(id: string, at: number): void {
    this.#out.push({ type: 'setTimer', id, at })
  }

  /** The last committed block here. */
  get tip(): ChainTip {
    return this.#tip
  }

  /** A copy of the chain's UTXO-set state after the tip (docs/PROTOCOL.md §15.1). */
  get utxoState(): LtHash {
    return this.#utxos.clone()
  }

  /** An output of the chain's UTXO set after the tip (genesis or a block made it, none spent it). */
  #chainOutput(outpoint: OutPoint): TxOutput | undefined {
    return chainOutputOf(this.#view.ledger, outpoint)
  }

  /** What checking or building a block at the open height reads. */
  #blockContext(): BlockContext {
    return {
      view: this.#view,
      schedule: this.#schedule,
      tip: this.#tip,
      utxos: this.#utxos,
      chainOutput: (o) => this.#chainOutput(o),
      // The state after `block`, which extends the tip (throws for a missing input).
      stateAfter: (block, txids) => stateAfterBlock(this.#utxos, block, txids, this.#view.ledger),
    }
  }

  /** Starts (or, after a restart, resumes) block production. */
  start(ownVotes: readonly StoredBlockVote[]): ChainOutput[] {
    return this.#run(() => this.#start(ownVotes))
  }

  #start(ownVotes: readonly StoredBlockVote[]): void {
    const next = this.#tip.height + 1
    const mine = ownVotes.filter((v) => v.height === next)
    if (mine.length > 0 && this.#view.isVoter) {
      const h = this.#open(next)
      h.resume(mine)
      this.#replayEarly()
      h.reannounce(mine)
    } else this.#setTimer(START, this.#view.now() + this.#config.intervalMs)
  }

  /** A timer of the chain's (see `isChainTimer`) fired. */
  onTimer(id: string): ChainOutput[] {
    return this.#run(() => {
      if (id === RESEND_TIMER) return this.#height?.resend()
      if (id === START) return this.#joinIfNext(this.#tip.height + 1)
      const [, h, step, attempt] = id.split(':')
      if (this.#height !== null && Number(h) === this.#height.height)
        this.#height.onTimeout(step as 'propose' | 'prevote' | 'precommit', Number(attempt))
    })
  }

  /**
   * A signed proposal (the engine has already applied the finality certificates it carries, so
   * validation sees its transactions final).
   */
  onProposal(p: Proposal, from: PeerId): ChainOutput[] {
    return this.#run(() => this.#onProposal(p, from))
  }

  #onProposal(p: Proposal, from: PeerId): void {
    this.#joinIfNext(p.block.header.height)
    const h = this.#height
    // Another height: we are behind or it is late, no one's fault.
    if (h === null || p.block.header.height !== h.height) return
    try {
      checkLeader(p, this.#schedule)
    } catch (e) {
      if (!(e instanceof TimeCoinError)) throw e
      return this.#reject(from, e)
    }
    const hash = bytesToHex(blockHash(p.block.header))
    let valid = true
    let after: LtHash | undefined
    try {
      after = checkProposal(p, h.height, this.#blockContext())
    } catch (e) {
      if (!(e instanceof TimeCoinError)) throw e
      valid = false
      // Invalid costs the sender; what we cannot judge yet (a parent, our report) does not.
      this.#reject(from, e)
    }
    h.onProposal(p, hash, valid, after)
  }

  /** Routes the block votes of a verified batch from a committee member. */
  onBatch(batch: VoteBatch): ChainOutput[] {
    return this.#run(() => this.#onBatch(batch))
  }

  #onBatch(batch: VoteBatch): void {
    // One pass to find the block votes: most batches carry transaction votes only.
    const next = this.#tip.height + 1
    const votes: number[] = []
    let lowest = Infinity
    let highest = -Infinity
    let atNext = false
    batch.leaves.forEach((leaf, i) => {
      if (leaf.kind !== 'prevote' && leaf.kind !== 'precommit') return
      votes.push(i)
      lowest = Math.min(lowest, leaf.height)
      highest = Math.max(highest, leaf.height)
      atNext ||= leaf.height === next
    })
    if (votes.length === 0) return
    const voter = keyId(batch.header.voterKey)
    // Only a member of the batch's epoch (current or previous) is sent the blocks it missed.
    const ofEpoch = this.#view.registry.committeeOf(batch.header.epoch)
    if (lowest <= this.#tip.height && (ofEpoch?.weightOf(batch.header.voterKey) ?? 0) > 0)
      this.#catchUp.helpBehind(voter, lowest)
    const weight = this.#view.committee.weightOf(batch.header.voterKey)
    if (weight === undefined || batch.header.epoch !== this.#view.committee.epoch) return
    if (atNext) this.#joinIfNext(next)
    if (highest > next) this.#catchUp.behind(voter)
    const h = this.#height
    let entries: ((i: number) => CertificateEntry) | undefined
    let buffered = false
    for (const i of votes) {
      const leaf = batch.leaves[i]!
      if (leaf.kind !== 'prevote' && leaf.kind !== 'precommit') continue
      if (h === null || leaf.height !== h.height) {
        // Votes for a height not open yet are kept for when it opens, not dropped (further ahead
        // than a few heights, we fetch the blocks instead).
        const ahead =
          leaf.height > (h?.height ?? this.#tip.height) &&
          leaf.height <= this.#tip.height + this.#view.limits.earlyHeights
        if (ahead && !buffered) this.#early.add(voter, { batch })
        buffered ||= ahead
        continue
      }
      h.onVote(leaf, voter, weight, () => {
        entries ??= batchEntries(batch)
        return entries(i)
      })
      if (this.#height !== h) return // committed meanwhile
    }
  }

  /** The recent committed block holding `txid`, with its certificate: the proof it is final. */
  inclusion(txid: Txid): { block: Block; certificate: BlockCertificate } | undefined {
    return this.#catchUp.inclusion(txid)
  }

  /** Answers a peer that missed a commit. */
  onRequest(height: number, from: PeerId): ChainOutput[] {
    return this.#run(() => {
      if (Number.isSafeInteger(height) && height >= 0) return this.#catchUp.answer(height, from)
      this.#reject(
        from,
        new PeerError(
          'PEER_REQUEST_INVALID',
          `block height ${height} cannot exist`,
          PeerAction.LowToleranceError,
        ),
      )
    })
  }

  /** A committed block from a peer: applied when it is the next one and its certificate holds. */
  onCommit(block: Block, certificate: BlockCertificate, from?: PeerId): ChainOutput[] {
    return this.#run(() => this.#onCommit(block, certificate, from))
  }

  #onCommit(block: Block, certificate: BlockCertificate, from?: PeerId): void {
    if (block.header.height > this.#tip.height + 1 && from !== undefined) this.#catchUp.behind(from)
    // Ahead of us (asked for above) or one we already have: late or early, not wrong.
    if (block.header.height !== this.#tip.height + 1) return
    const error = checkCommitted(block, certificate, this.#tip, this.#view.committee)
    if (error !== null) {
      if (from !== undefined) this.#reject(from, error)
      return
    }
    this.#commit(block, certificate)
    // Catching up: ask for the next block at once rather than wait for the next hint.
    this.#catchUp.caughtUpOne()
  }

  /** A member's lock report for the committee-changing block at our next height. */
  onLockReport(report: LockReport, txs: readonly Transaction[], from: PeerId): ChainOutput[] {
    return this.#run(() => this.#onLockReport(report, txs, from))
  }

  #onLockReport(report: LockReport, txs: readonly Transaction[], from: PeerId): void {
    try {
      // Not for the block we are at (a handoff we passed or have not reached): timing, not fault.
      if (!checkLockReport(this.#view, this.#tip.height + 1, report, txs)) return
    } catch (e) {
      if (!(e instanceof TimeCoinError)) throw e
      return this.#reject(from, e)
    }
    this.#reports.set(bytesToHex(report.voterKey), { report, txs })
    const h = this.#height
    const waiting = h?.waiting ?? null
    // Still in the attempt it waits to propose in (a later attempt has its own leader).
    if (h !== null && waiting !== null && h.attempt === waiting.attempt) {
      h.waiting = null
      this.#propose(waiting.attempt, null, waiting.validAttempt)
    }
  }

  /** `peer` sent what `error` describes (an error without a peer action costs nothing). */
  #reject(peer: PeerId, error: TimeCoinError): void {
    this.#out.push({ type: 'penalize', peer, error })
  }

  /**
   * Others vote or commit above our next height (or in a later epoch): we missed a commit; ask
   * `peer` for it (at most once a second). Each block that arrives this way asks for the next.
   */
  behind(peer: PeerId): ChainOutput[] {
    return this.#run(() => this.#catchUp.behind(peer))
  }

  #joinIfNext(height: number): void {
    if (this.#height !== null || height !== this.#tip.height + 1 || !this.#view.isVoter) return
    this.#open(height).start()
    this.#replayEarly()
  }

  #open(height: number): OpenHeight {
    const h = new OpenHeight(
      height,
      (attempt) => {
        const key = this.#view.key
        return (
          key !== undefined && equalBytes(this.#schedule.proposer(height, attempt), key.publicKey)
        )
      },
      this.#port,
    )
    this.#height = h
    this.#last = h
    // Before any prevote for a committee-changing block: seal and report (docs/ARCHITECTURE.md §3.8).
    if (this.#view.registry.changing) this.#out.push({ type: 'seal', height })
    h.rearmResend()
    return h
  }

  #propose(attempt: number, value: string | null, validAttempt: number): void {
    const h = this.#height!
    // A node without a key follows the chain only: it is no voter and never a proposer.
    const { key, signer } = this.#view
    if (key === undefined || signer === undefined) return
    let reports: readonly LockReport[] = []
    let block: Block | undefined
    if (value !== null) {
      block = h.blocks.get(value)
      reports = h.blockReports.get(value) ?? []
    } else {
      if (this.#view.registry.changing) {
        const quorum = quorumReports(this.#view, this.#reports.values())
        // Not yet reports from > 2/3 of the weight: propose when they arrive (or others time out).
        if (quorum === null) {
          h.waiting = { attempt, validAttempt }
          return
        }
        reports = quorum
      }
      const context = this.#blockContext()
      block = buildFresh(h.height, attempt, key.publicKey, context, this.#reports.values())
    }
    if (block === undefined) return
    const valid = value === null ? -1 : validAttempt
    const proposal = signedProposal(this.#view, signer, block, attempt, valid, reports)
    h.lastProposal = proposal
    for (const peer of this.#view.voters) this.#send(peer, { type: 'BlockProposal', proposal })
    // Our own proposal reaches us like anyone's, after this call (never handled inside it).
    this.#out.push({
      type: 'send',
      to: this.#view.self,
      message: { type: 'BlockProposal', proposal },
    })
  }

  #commit(block: Block, certificate: BlockCertificate): void {
    const height = block.header.height
    const result = applyCertified(
      block,
      this.#view.ledger,
      (hash) => this.#height?.utxosAfter.get(bytesToHex(hash)),
      this.#blockContext().stateAfter,
    )
    if (!result.ok) {
      this.#out.push({ type: 'alarm', code: result.code, message: result.message })
      return
    }
    const { txs, hash, applied, utxos } = result
    const carried = block.carried.map((tx) => ({ tx, txid: computeTxid(tx) }))
    const { registry, changed } = this.#view.registry.afterBlock(height, txs, carried)
    this.#tip = { height, hash }
    this.#utxos = utxos
    const records = commitOps(block, certificate, registry, changed, utxos)
    const encoded = records[0]?.type === 'put' ? records[0].value.length : 0
    this.#catchUp.committed(
      height,
      { block, certificate },
      txs.map((t) => t.txid),
      encoded,
    )
    // This node's votes at the height are history now: the tip moves past them in this batch.
    const h = this.#height
    const votes = h?.height === height ? ownVoteDeletes(height, h.ownVotes.values()) : []
    this.#out.push({
      type: 'persist',
      ops: [...applied.ops, ...records, ...votes],
      sync: true,
      moved: applied.moved,
    })
    this.#reports = new Map()
    if (h !== null) h.waiting = null
    if (changed) this.#schedule = new ProposerSchedule(registry.committee, height + 1)
    else this.#schedule.forgetBefore(height + 1)
    this.#height = null
    this.#early.retain(({ batch }) =>
      batch.leaves.some(
        (l) => (l.kind === 'prevote' || l.kind === 'precommit') && l.height > height,
      ),
    )
    this.#catchUp.forgetHelped()
    this.#setTimer(START, this.#view.now() + this.#config.intervalMs)
    this.#out.push({
      type: 'committed',
      height,
      hash,
      transactions: txs.length,
      registry,
      changed,
      carried,
    })
  }

  /** Replays buffered votes once a new height opened. */
  #replayEarly(): void {
    for (const { batch } of this.#early.drain()) this.#out.push({ type: 'replay', batch })
  }
}
