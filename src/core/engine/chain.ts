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
 */
import { type Block, blockHash, bodyMatchesHeader, rewardTxid } from '../consensus/block.ts'
import { buildBlock } from '../consensus/block-builder.ts'
import { type BlockCertificate, checkBlockCertificate } from '../consensus/block-certificate.ts'
import { validateBlock } from '../consensus/block-validation.ts'
import type { FinalityCertificate } from '../consensus/certificate.ts'
import { sortedReports, validateHandoff } from '../consensus/handoff.ts'
import type { LockReport } from '../consensus/lock-report.ts'
import { type Proposal, signProposal } from '../consensus/proposal.ts'
import { ProposerSchedule } from '../consensus/proposer.ts'
import { batchEntries, type CertificateEntry } from '../consensus/quorum-proof.ts'
import {
  NIL,
  TimeLockHeight,
  type TimeLockOutput,
  type TimeLockTimeouts,
} from '../consensus/timelock.ts'
import type { VoteBatch } from '../consensus/vote-batch.ts'
import type { VoteLeaf } from '../consensus/vote-leaf.ts'
import { bytesToHex, equalBytes, fromHex, keyId } from '../encoding/bytes.ts'
import { ConsensusError, PeerAction, PeerError, TimeCoinError } from '../errors.ts'
import { chainStateAfter, inChain } from '../ledger/chain-utxos.ts'
import type { Transition } from '../ledger/ledger.ts'
import type { LtHash } from '../ledger/lthash.ts'
import type { OutPoint } from '../primitives/outpoint.ts'
import { computeTxid, type Transaction, type TxOutput } from '../primitives/transaction.ts'
import { type Txid, txidToHex } from '../primitives/txid.ts'
import { BatchBuffer } from './batch-buffer.ts'
import type { ChainOutput, ChainView } from './chain-io.ts'
import {
  blockVoteDeleteOp,
  blockVoteOp,
  type ChainTip,
  commitOps,
  type StoredBlockVote,
} from './chain-store.ts'
import type { Message, PeerId } from './messages.ts'
import { RecentBlocks } from './recent-blocks.ts'

export type { ChainTip, StoredBlockVote } from './chain-store.ts'

export interface ChainConfig {
  /** Time between a commit and the start of the next height (600 s mainnet, seconds on devnet). */
  readonly intervalMs: number
  readonly timeouts: TimeLockTimeouts
}

const TIMER = 'chain:'

/** Whether timer `id` belongs to the chain (hand it to `Chain.onTimer`). */
export function isChainTimer(id: string): boolean {
  return id.startsWith(TIMER)
}

const RESEND = `${TIMER}resend`
/** Blocks sent at once to a member found voting on a height we already committed. */
const HELP_BLOCKS = 8
/** A lagging member is sent blocks at most this often. */
const HELP_EVERY_MS = 1_000
const START = `${TIMER}start`
export class Chain {
  #tip: ChainTip
  readonly #view: ChainView
  #out: ChainOutput[] = []
  readonly #config: ChainConfig
  #schedule: ProposerSchedule
  #height: TimeLockHeight | null = null
  /** Blocks seen at the current height, by hash (hex). */
  #blocks = new Map<string, Block>()
  /** The chain's UTXO-set state after the tip (its digest is the tip header's utxoCommitment). */
  #utxos: LtHash
  /** The state after each valid block of `#blocks`, by hash (hex): what committing it sets. */
  #utxosAfter = new Map<string, LtHash>()
  /** precommit entries by `${attempt}:${value}` → voter → entry. */
  #precommits = new Map<string, Map<string, CertificateEntry>>()
  /** `${attempt}:${voter}` of each precommit kept at this height (a voter's first per attempt). */
  #precommitted = new Set<string>()
  /** Votes for the next heights that arrived early (buffered per member and in bytes, not dropped). */
  readonly #early: BatchBuffer<{ readonly batch: VoteBatch }>
  /** This node's votes at the open height, re-sent until the height is decided. */
  #ownVotes = new Map<string, VoteLeaf>()
  #lastProposal: Proposal | null = null
  readonly #recent: RecentBlocks
  #lastBlockRequest = -Infinity
  /** When each lagging member was last sent the blocks it missed. */
  readonly #helped = new Map<string, number>()
  /** The last peer seen ahead of us (asked for the next block after each catch-up commit). */
  #aheadPeer: PeerId | null = null
  /** Lock reports for the committee-changing block at the next height, by voter (hex). */
  #reports = new Map<string, { report: LockReport; txs: readonly Transaction[] }>()
  /** Reports a proposed block was built with, by block hash (hex): re-proposals carry them. */
  #blockReports = new Map<string, readonly LockReport[]>()
  /** Time until this height's votes are re-sent (doubles each time, up to 8 × the base). */
  #resendDelay = 0
  /** A fresh proposal waiting for lock reports from > 2/3 of the weight. */
  #waiting: { attempt: number; validAttempt: number } | null = null

  constructor(view: ChainView, config: ChainConfig, tip: ChainTip, utxos: LtHash) {
    this.#view = view
    this.#config = config
    this.#tip = tip
    this.#utxos = utxos
    this.#schedule = new ProposerSchedule(view.committee, view.registry.state.firstHeight)
    const limits = view.limits
    this.#early = new BatchBuffer(limits.maxEarlyBatchesPerVoter, limits.maxEarlyBytes)
    this.#recent = new RecentBlocks(limits.recentBlocks, limits.recentBlockBytes)
  }

  /** Entry counts (and bytes) of the chain's maps, for FinalityEngine.stateSizes. */
  sizes(): Record<string, number> {
    let precommits = 0
    for (const m of this.#precommits.values()) precommits += m.size
    return {
      'chain.blocks': this.#blocks.size,
      'chain.blockReports': this.#blockReports.size,
      'chain.precommits': precommits,
      'chain.ownVotes': this.#ownVotes.size,
      'chain.early': this.#early.size,
      'chain.earlyBytes': this.#early.bytes,
      'chain.helped': this.#helped.size,
      'chain.reports': this.#reports.size,
      'chain.schedule': this.#schedule.cached,
      ...this.#recent.sizes(),
      ...(this.#height?.sizes() ?? {}),
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
    const entry = this.#view.ledger.utxos.get(outpoint)
    return entry !== undefined && inChain(entry) ? entry.output : undefined
  }

  /** The chain's UTXO-set state after `block`, which extends the tip (throws for a missing input). */
  #stateAfter(block: Block, txids: readonly Txid[] = block.transactions.map(computeTxid)): LtHash {
    const h = block.header
    return chainStateAfter(
      this.#utxos,
      {
        transactions: block.transactions.map((tx, i) => ({ tx, txid: txids[i]! })),
        rewardTxid: rewardTxid(h.height, h.prevHash),
        reward: block.reward,
      },
      (o) => this.#chainOutput(o),
    )
  }

  /** Starts (or, after a restart, resumes) block production. */
  start(ownVotes: readonly StoredBlockVote[]): ChainOutput[] {
    return this.#run(() => this.#start(ownVotes))
  }

  #start(ownVotes: readonly StoredBlockVote[]): void {
    const next = this.#tip.height + 1
    const mine = ownVotes.filter((v) => v.height === next)
    if (mine.length > 0 && this.#view.isVoter) {
      this.#open(next)
      this.#apply(this.#height!.resume(mine))
      this.#replayEarly()
      // Re-announce what we voted before the restart (same values, new batches), and keep
      // re-sending it like any vote of this height.
      for (const v of mine) {
        const leaf = this.#leaf(v.kind, v.attempt, v.value)
        this.#ownVotes.set(`${v.kind}:${v.attempt}`, leaf)
        this.#out.push({ type: 'vote', leaf, ops: [] })
      }
    } else this.#setTimer(START, this.#view.now() + this.#config.intervalMs)
  }

  /** A timer of the chain's (see `isChainTimer`) fired. */
  onTimer(id: string): ChainOutput[] {
    return this.#run(() => {
      if (id === RESEND) return this.#resend()
      if (id === START) return this.#joinIfNext(this.#tip.height + 1)
      const [, h, step, attempt] = id.split(':')
      if (this.#height !== null && Number(h) === this.#height.height) {
        this.#apply(
          this.#height.onTimeout(step as 'propose' | 'prevote' | 'precommit', Number(attempt)),
        )
      }
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
    const header = p.block.header
    // Another height: we are behind or it is late, no one's fault.
    if (h === null || header.height !== h.height) return
    if (!equalBytes(p.proposer, this.#schedule.proposer(header.height, p.attempt))) {
      return this.#reject(
        from,
        new ConsensusError(
          'PROPOSAL_WRONG_LEADER',
          `(${header.height}, ${p.attempt}) is not ${bytesToHex(p.proposer)}'s to propose`,
          PeerAction.MidToleranceError,
        ),
      )
    }
    const hash = bytesToHex(blockHash(header))
    let valid = true
    let after: LtHash | undefined
    try {
      const registry = this.#view.registry
      validateHandoff(p.block, p.reports, {
        committee: this.#view.committee,
        next: registry.nextCommittee(),
        changing: registry.changing,
        ownReport: this.#view.reportedAt(h.height),
      })
      validateBlock(p.block, {
        height: h.height,
        prevHash: this.#tip.hash,
        epoch: this.#view.committee.epoch,
        committee: this.#view.committee,
        schedule: this.#schedule,
        attempt: p.attempt,
        outputValue: (o) => this.#chainOutput(o)?.value,
        isFinal: (t) => this.#view.isFinal(t),
        bounties: registry.pendingBounties(),
        utxoCommitmentAfter: (block, txids) => {
          after = this.#stateAfter(block, txids)
          return after.digest()
        },
      })
    } catch (e) {
      if (!(e instanceof TimeCoinError)) throw e
      valid = false
      // Invalid costs the sender; what we cannot judge yet (a parent, our report) does not.
      this.#reject(from, e)
    }
    if (valid) {
      this.#blocks.set(hash, p.block)
      this.#blockReports.set(hash, p.reports)
      if (after !== undefined) this.#utxosAfter.set(hash, after)
    }
    this.#apply(h.onProposal(p.attempt, hash, p.validAttempt, valid))
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
      this.#helpBehind(voter, lowest)
    const weight = this.#view.committee.weightOf(batch.header.voterKey)
    if (weight === undefined || batch.header.epoch !== this.#view.committee.epoch) return
    if (atNext) this.#joinIfNext(next)
    if (highest > next) this.#behind(voter)
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
      // An attempt far past ours cannot be honest progress: its votes would only fill memory.
      if (leaf.attempt > h.attempt + this.#view.limits.maxAttemptLead) continue
      const value = leaf.blockHash.every((b) => b === 0) ? NIL : bytesToHex(leaf.blockHash)
      if (leaf.kind === 'prevote') this.#apply(h.onPrevote(leaf.attempt, voter, value, weight))
      else {
        // A voter's first precommit at an attempt is the one counted (timelock.ts): keep only it.
        const first = `${leaf.attempt}:${voter}`
        if (!this.#precommitted.has(first)) {
          this.#precommitted.add(first)
          entries ??= batchEntries(batch)
          const key = `${leaf.attempt}:${value}`
          const map = this.#precommits.get(key) ?? new Map<string, CertificateEntry>()
          this.#precommits.set(key, map.set(voter, entries(i)))
        }
        this.#apply(h.onPrecommit(leaf.attempt, voter, value, weight))
      }
      if (this.#height !== h) return // committed meanwhile
    }
  }

  /** The recent committed block holding `txid`, with its certificate: the proof it is final. */
  inclusion(txid: Txid): { block: Block; certificate: BlockCertificate } | undefined {
    return this.#recent.holding(txid)
  }

  /**
   * A member still voting on `height`, which we committed, missed the commit (and, after a
   * committee change, may have no one left voting at its height to tell it): send it the blocks
   * it lacks, a few at a time, at most once a second per member.
   */
  #helpBehind(peer: PeerId, height: number): void {
    const now = this.#view.now()
    if (now - (this.#helped.get(peer) ?? -Infinity) < HELP_EVERY_MS) return
    this.#helped.set(peer, now)
    for (let h = height; h <= Math.min(this.#tip.height, height + HELP_BLOCKS - 1); h++)
      this.#answer(h, peer)
  }

  /** Answers a peer that missed a commit. */
  onRequest(height: number, from: PeerId): ChainOutput[] {
    return this.#run(() => {
      if (Number.isSafeInteger(height) && height >= 0) return this.#answer(height, from)
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

  #answer(height: number, from: PeerId): void {
    const c = this.#recent.at(height)
    if (c !== undefined)
      this.#send(from, { type: 'BlockCommit', block: c.block, certificate: c.certificate })
  }

  /** A committed block from a peer: applied when it is the next one and its certificate holds. */
  onCommit(block: Block, certificate: BlockCertificate, from?: PeerId): ChainOutput[] {
    return this.#run(() => this.#onCommit(block, certificate, from))
  }

  #onCommit(block: Block, certificate: BlockCertificate, from?: PeerId): void {
    if (block.header.height > this.#tip.height + 1 && from !== undefined) this.#behind(from)
    // Ahead of us (asked for above) or one we already have: late or early, not wrong.
    if (block.header.height !== this.#tip.height + 1) return
    const wrong = (code: 'BLOCK_INVALID' | 'BLOCK_NOT_EXTENDING', why: string) =>
      new ConsensusError(code, `block ${block.header.height}: ${why}`, PeerAction.LowToleranceError)
    let error: TimeCoinError | null = null
    if (!equalBytes(certificate.blockHash, blockHash(block.header)))
      error = wrong('BLOCK_INVALID', 'the certificate is for another block')
    // One block is certified per height: a certified one that does not extend our tip is forged.
    else if (!equalBytes(block.header.prevHash, this.#tip.hash))
      error = wrong('BLOCK_NOT_EXTENDING', 'does not extend our tip')
    else if (!bodyMatchesHeader(block))
      error = wrong('BLOCK_INVALID', 'the body does not match the header')
    else {
      try {
        checkBlockCertificate(certificate, this.#view.committee)
      } catch (e) {
        if (!(e instanceof TimeCoinError)) throw e
        error = e
      }
    }
    if (error !== null) {
      if (from !== undefined) this.#reject(from, error)
      return
    }
    this.#commit(block, certificate)
    // Catching up: ask for the next block at once rather than wait for the next hint.
    const ahead = this.#aheadPeer
    if (ahead !== null) {
      this.#aheadPeer = null
      this.#lastBlockRequest = -Infinity
      this.#behind(ahead)
    }
  }

  /** A member's lock report for the committee-changing block at our next height. */
  onLockReport(report: LockReport, txs: readonly Transaction[], from: PeerId): ChainOutput[] {
    return this.#run(() => this.#onLockReport(report, txs, from))
  }

  #onLockReport(report: LockReport, txs: readonly Transaction[], from: PeerId): void {
    const committee = this.#view.committee
    // Not for the block we are at (a handoff we passed or have not reached): timing, not fault.
    if (!this.#view.registry.changing) return
    if (report.epoch !== committee.epoch || report.height !== this.#tip.height + 1) return
    const invalid = (why: string) =>
      this.#reject(
        from,
        new ConsensusError('LOCK_REPORT_INVALID', why, PeerAction.LowToleranceError),
      )
    if ((committee.weightOf(report.voterKey) ?? 0) === 0)
      return invalid(`the reporter is not a voting member of epoch ${committee.epoch}`)
    const named = new Set(report.txids.map(txidToHex))
    const given = new Set(txs.map((tx) => txidToHex(computeTxid(tx))))
    // A report whose transactions are not exactly the ones it names cannot be carried.
    if (named.size !== given.size || [...named].some((id) => !given.has(id)))
      return invalid('the transactions sent are not the ones the report names')
    this.#reports.set(bytesToHex(report.voterKey), { report, txs })
    const waiting = this.#waiting
    // Still in the attempt it waits to propose in (a later attempt has its own leader).
    if (waiting !== null && this.#height?.attempt === waiting.attempt) {
      this.#waiting = null
      this.#propose(waiting.attempt, null, waiting.validAttempt)
    }
  }

  // ── internals ─────────────────────────────────────────────────────────────

  /** `peer` sent what `error` describes (an error without a peer action costs nothing). */
  #reject(peer: PeerId, error: TimeCoinError): void {
    this.#out.push({ type: 'penalize', peer, error })
  }

  /**
   * Others vote or commit above our next height (or in a later epoch): we missed a commit; ask
   * `peer` for it (at most once a second). Each block that arrives this way asks for the next.
   */
  behind(peer: PeerId): ChainOutput[] {
    return this.#run(() => this.#behind(peer))
  }

  #behind(peer: PeerId): void {
    this.#aheadPeer = peer
    if (this.#view.now() - this.#lastBlockRequest < 1_000) return
    this.#lastBlockRequest = this.#view.now()
    this.#send(peer, { type: 'BlockRequest', height: this.#tip.height + 1 })
  }

  /**
   * Block votes travel once; under loss a height could wait forever for votes that never come.
   * While a height is open, re-send this node's votes and proposal (a fresh batch of the same,
   * already persisted decisions — never a different vote), backing off from twice the vote
   * timeouts to 8 times that: a stalled height (too few members up) must not become a vote storm.
   */
  #resend(): void {
    if (this.#height === null) return
    if (this.#view.registry.changing) this.#out.push({ type: 'seal', height: this.#height.height })
    for (const leaf of this.#ownVotes.values()) this.#out.push({ type: 'vote', leaf, ops: [] })
    if (this.#lastProposal !== null) {
      const proposal = this.#lastProposal
      for (const peer of this.#view.voters) this.#send(peer, { type: 'BlockProposal', proposal })
    }
    this.#resendDelay = Math.min(2 * this.#resendDelay, 8 * this.#resendBase())
    this.#setTimer(RESEND, this.#view.now() + this.#resendDelay)
  }

  #resendBase(): number {
    return 2 * (this.#config.timeouts.prevoteMs + this.#config.timeouts.precommitMs)
  }

  #rearmResend(): void {
    if (this.#resendDelay === this.#resendBase()) return
    this.#resendDelay = this.#resendBase()
    this.#setTimer(RESEND, this.#view.now() + this.#resendDelay)
  }

  #joinIfNext(height: number): void {
    if (this.#height !== null || height !== this.#tip.height + 1 || !this.#view.isVoter) return
    this.#open(height)
    this.#apply(this.#height!.start())
    this.#replayEarly()
  }

  #open(height: number): void {
    this.#height = new TimeLockHeight(
      height,
      this.#view.committee,
      (attempt) => {
        const key = this.#view.key
        return (
          key !== undefined && equalBytes(this.#schedule.proposer(height, attempt), key.publicKey)
        )
      },
      this.#config.timeouts,
    )
    this.#blocks = new Map()
    this.#utxosAfter = new Map()
    this.#precommits = new Map()
    this.#precommitted = new Set()
    this.#ownVotes = new Map()
    this.#lastProposal = null
    this.#resendDelay = 0
    this.#blockReports = new Map()
    this.#waiting = null
    // Before any prevote for a committee-changing block: seal and report (docs/ARCHITECTURE.md §3.8).
    if (this.#view.registry.changing) this.#out.push({ type: 'seal', height })
    this.#rearmResend()
  }

  #apply(outputs: readonly TimeLockOutput[]): void {
    const h = this.#height
    if (h === null) return
    for (const o of outputs) {
      switch (o.type) {
        case 'propose':
          this.#propose(o.attempt, o.value, o.validAttempt)
          break
        case 'prevote':
        case 'precommit': {
          const leaf = this.#leaf(o.type, o.attempt, o.value)
          this.#ownVotes.set(`${o.type}:${o.attempt}`, leaf)
          // A new vote: the height is moving, re-send soon again (the back-off is for stalls).
          this.#rearmResend()
          const blockHash =
            leaf.kind === 'prevote' || leaf.kind === 'precommit'
              ? leaf.blockHash
              : new Uint8Array(32)
          this.#out.push({
            type: 'vote',
            leaf,
            ops: [blockVoteOp(h.height, o.attempt, o.type, blockHash)],
          })
          break
        }
        case 'timeout':
          this.#setTimer(`${TIMER}${h.height}:${o.step}:${o.attempt}`, this.#view.now() + o.afterMs)
          break
        case 'decide': {
          const block = this.#blocks.get(o.value)
          const entries = this.#precommits.get(`${o.attempt}:${o.value}`)
          if (block === undefined || entries === undefined) break
          const certificate: BlockCertificate = {
            height: h.height,
            attempt: o.attempt,
            blockHash: fromHex(o.value),
            epoch: this.#view.committee.epoch,
            entries: [...entries.values()],
          }
          this.#commit(block, certificate)
          for (const peer of new Set([...this.#view.voters, ...this.#view.followers]))
            this.#send(peer, { type: 'BlockCommit', block, certificate })
          return
        }
      }
    }
  }

  #leaf(kind: 'prevote' | 'precommit', attempt: number, value: string): VoteLeaf {
    const blockHash = value === NIL ? new Uint8Array(32) : fromHex(value, 32)
    return { kind, height: this.#height?.height ?? this.#tip.height + 1, attempt, blockHash }
  }

  #propose(attempt: number, value: string | null, validAttempt: number): void {
    const h = this.#height!
    // A node without a key follows the chain only: it is no voter and never a proposer.
    const { key, signer } = this.#view
    if (key === undefined || signer === undefined) return
    let reports: readonly LockReport[] = []
    let block: Block | undefined
    if (value !== null) {
      block = this.#blocks.get(value)
      reports = this.#blockReports.get(value) ?? []
    } else {
      if (this.#view.registry.changing) {
        const held = [...this.#reports.values()]
        const weight = held.reduce(
          (w, r) => w + (this.#view.committee.weightOf(r.report.voterKey) ?? 0),
          0,
        )
        // Not yet reports from > 2/3 of the weight: propose when they arrive (or others time out).
        if (!this.#view.committee.isQuorum(weight)) {
          this.#waiting = { attempt, validAttempt }
          return
        }
        reports = sortedReports(held.map((r) => r.report))
      }
      block = this.#build(h.height, attempt, key.publicKey)
    }
    if (block === undefined) return
    const certificates = block.transactions
      .map((tx) => this.#view.certificateOf(computeTxid(tx)))
      .filter((c): c is FinalityCertificate => c !== undefined)
    const proposal = signProposal(
      block,
      attempt,
      value === null ? -1 : validAttempt,
      certificates,
      signer,
      this.#view.genesisHash,
      reports,
    )
    this.#lastProposal = proposal
    for (const peer of this.#view.voters) this.#send(peer, { type: 'BlockProposal', proposal })
    // Our own proposal reaches us like anyone's, after this call (never handled inside it).
    this.#out.push({
      type: 'send',
      to: this.#view.self,
      message: { type: 'BlockProposal', proposal },
    })
  }

  #build(height: number, attempt: number, proposer: Uint8Array): Block {
    const finalized = [...this.#view.ledger.mempool.entries()].filter(
      (e) => e.status === 'finalized',
    )
    return buildBlock({
      height,
      attempt,
      prevHash: this.#tip.hash,
      timestamp: this.#view.now(),
      proposer,
      committee: this.#view.committee,
      registry: this.#view.registry,
      finalized,
      reported: [...this.#reports.values()].map((r) => r.txs),
      utxoCommitmentAfter: (changes) =>
        chainStateAfter(this.#utxos, changes, (o) => this.#chainOutput(o)).digest(),
    })
  }

  #commit(block: Block, certificate: BlockCertificate): void {
    const height = block.header.height
    const txs = block.transactions.map((tx) => ({ tx, txid: computeTxid(tx) }))
    const hash = blockHash(block.header)
    let applied: Transition
    let utxos: LtHash
    try {
      utxos =
        this.#utxosAfter.get(bytesToHex(hash)) ??
        this.#stateAfter(
          block,
          txs.map((t) => t.txid),
        )
      // Certified, yet not what applying it here yields: our state is not the committee's.
      if (!equalBytes(utxos.digest(), block.header.utxoCommitment)) {
        this.#out.push({
          type: 'alarm',
          code: 'CHAIN_COMMITMENT_MISMATCH',
          message: `block ${height} commits to another UTXO set than applying it here yields`,
        })
        return
      }
      applied = this.#view.ledger.confirmBlock(height, txs, {
        txid: rewardTxid(height, block.header.prevHash),
        outputs: block.reward,
      })
    } catch (e) {
      if (!(e instanceof TimeCoinError)) throw e
      // Certified, yet our ledger cannot apply it (a parent we never saw): we need block sync.
      this.#out.push({
        type: 'alarm',
        code: 'CHAIN_BEHIND',
        message: `cannot apply block ${height}: ${e.message}`,
      })
      return
    }
    const carried = block.carried.map((tx) => ({ tx, txid: computeTxid(tx) }))
    const { registry, changed } = this.#view.registry.afterBlock(height, txs, carried)
    this.#tip = { height, hash }
    this.#utxos = utxos
    const records = commitOps(block, certificate, registry, changed, utxos)
    const encoded = records[0]?.type === 'put' ? records[0].value.length : 0
    this.#recent.add(
      height,
      { block, certificate },
      txs.map((t) => t.txid),
      encoded,
    )
    // This node's votes at the height are history now: the tip moves past them in this batch.
    const votes =
      this.#height?.height === height
        ? [...this.#ownVotes.values()].flatMap((l) =>
            l.kind === 'prevote' || l.kind === 'precommit'
              ? [blockVoteDeleteOp(height, l.attempt, l.kind)]
              : [],
          )
        : []
    this.#out.push({
      type: 'persist',
      ops: [...applied.ops, ...records, ...votes],
      sync: true,
      moved: applied.moved,
    })
    this.#reports = new Map()
    this.#waiting = null
    if (changed) this.#schedule = new ProposerSchedule(registry.committee, height + 1)
    else this.#schedule.forgetBefore(height + 1)
    this.#height = null
    this.#early.retain(({ batch }) =>
      batch.leaves.some(
        (l) => (l.kind === 'prevote' || l.kind === 'precommit') && l.height > height,
      ),
    )
    const now = this.#view.now()
    for (const [peer, at] of this.#helped) if (now - at >= HELP_EVERY_MS) this.#helped.delete(peer)
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
