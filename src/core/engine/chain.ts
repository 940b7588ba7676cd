import {
  type Block,
  blockHash,
  blockReward,
  bodyMatchesHeader,
  MAX_BLOCK_TRANSACTIONS,
  rewardHash,
  rewardTxid,
  transactionRoot,
} from '../consensus/block.ts'
import { type BlockCertificate, checkBlockCertificate } from '../consensus/block-certificate.ts'
import { validateBlock } from '../consensus/block-validation.ts'
import type { FinalityCertificate } from '../consensus/certificate.ts'
import { type Committee, committeeHash } from '../consensus/committee.ts'
import { sortedReports, validateHandoff } from '../consensus/handoff.ts'
import type { LockReport } from '../consensus/lock-report.ts'
import { type Proposal, signProposal } from '../consensus/proposal.ts'
import { ProposerSchedule } from '../consensus/proposer.ts'
import { batchEntries, type CertificateEntry } from '../consensus/quorum-proof.ts'
import type { ConfirmedTx, Registry } from '../consensus/registry.ts'
import {
  NIL,
  TimeLockHeight,
  type TimeLockOutput,
  type TimeLockTimeouts,
} from '../consensus/timelock.ts'
import type { VoteBatch } from '../consensus/vote-batch.ts'
import type { VoteLeaf } from '../consensus/vote-leaf.ts'
import type { KeyPair, Signer } from '../crypto/ed25519.ts'
import { bytesToHex, equalBytes, fromHex, keyId } from '../encoding/bytes.ts'
import { TimeCoinError } from '../errors.ts'
import type { Ledger } from '../ledger/ledger.ts'
import type { MempoolEntry } from '../ledger/mempool.ts'
import { computeTxid, type Transaction } from '../primitives/transaction.ts'
import { type Txid, txidToHex } from '../primitives/txid.ts'
import type { BatchOp } from '../storage/store.ts'
import { blockVoteOp, type ChainTip, commitOps, type StoredBlockVote } from './chain-store.ts'
import type { Effect } from './events.ts'
import type { Message, PeerId } from './messages.ts'

export type { ChainTip, StoredBlockVote } from './chain-store.ts'

export interface ChainConfig {
  /** Time between a commit and the start of the next height (600 s mainnet, seconds on devnet). */
  readonly intervalMs: number
  readonly timeouts: TimeLockTimeouts
}

/** What the chain needs from the engine that hosts it. */
export interface ChainHost {
  /** The committee voting now (C_e); changes when a committee-changing block commits. */
  readonly committee: Committee
  registry(): Registry
  /** Whether this node votes in the current epoch (others only follow committed blocks). */
  isVoter(): boolean
  /** Peers that get committed blocks besides the voters (non-voting masternodes). */
  followers(): readonly PeerId[]
  /**
   * Seals the epoch for the committee-changing block at `height` (once; durably) and sends this
   * node's lock report to every member — again on every call, once the seal is durable.
   */
  seal(height: number): void
  /** This node's report (key and carry set) if it sealed and reported at `height`. */
  reportedAt(
    height: number,
  ): { readonly voterKey: Uint8Array; readonly txids: readonly Txid[] } | undefined
  /** A block committed: the registry after it, whether it changed the committee, its carry set. */
  advance(registry: Registry, changed: boolean, carried: readonly ConfirmedTx[]): void
  readonly ledger: Ledger
  readonly key: KeyPair
  readonly signer: Signer
  readonly genesisHash: Uint8Array
  now(): number
  send(to: PeerId, message: Message): void
  voters(): readonly PeerId[]
  setTimer(id: string, at: number): void
  persist(ops: readonly BatchOp[], sync: boolean): void
  /** Queues a vote leaf behind a durable write of `ops` (persist before send). */
  vote(leaf: VoteLeaf, ops: readonly BatchOp[]): void
  certificateOf(txid: Txid): FinalityCertificate | undefined
  /** Applies a certificate carried by a proposal; true if the transaction is final afterwards. */
  adoptCertificate(tx: Transaction, certificate: FinalityCertificate): boolean
  isFinal(txid: Txid): boolean
  emit(effect: Effect): void
}

const TIMER = 'chain:'
const RESEND = `${TIMER}resend`
const MAX_EARLY = 10_000
/** Blocks sent at once to a member found voting on a height we already committed. */
const HELP_BLOCKS = 8
/** Committed blocks kept in memory to answer BlockRequest (older ones: block sync). */
const RECENT_BLOCKS = 1_000
const START = `${TIMER}start`
/** Final transactions in an order where every parent comes before its children. */
function dependencyOrder(entries: readonly MempoolEntry[]): MempoolEntry[] {
  const pending = new Map(entries.map((e) => [txidToHex(e.txid), e]))
  const out: MempoolEntry[] = []
  while (pending.size > 0 && out.length < MAX_BLOCK_TRANSACTIONS) {
    let progressed = false
    for (const [id, e] of pending) {
      if (e.tx.inputs.some((i) => pending.has(txidToHex(i.outpoint.txid)))) continue
      out.push(e)
      pending.delete(id)
      progressed = true
      if (out.length >= MAX_BLOCK_TRANSACTIONS) break
    }
    if (!progressed) break
  }
  return out
}

export class Chain {
  #tip: ChainTip
  readonly #host: ChainHost
  readonly #config: ChainConfig
  #schedule: ProposerSchedule
  #height: TimeLockHeight | null = null
  /** Blocks seen at the current height, by hash (hex). */
  #blocks = new Map<string, Block>()
  /** precommit entries by `${attempt}:${value}` → voter → entry. */
  #precommits = new Map<string, Map<string, CertificateEntry>>()
  /** Votes for the next height that arrived early (buffered, not dropped). */
  #early: VoteBatch[] = []
  /** This node's votes at the open height, re-sent until the height is decided. */
  #ownVotes = new Map<string, VoteLeaf>()
  #lastProposal: Proposal | null = null
  readonly #recent = new Map<number, { block: Block; certificate: BlockCertificate }>()
  /** txid (hex) → height, for transactions in the recent blocks. */
  readonly #included = new Map<string, number>()
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

  constructor(host: ChainHost, config: ChainConfig, tip: ChainTip) {
    this.#host = host
    this.#config = config
    this.#tip = tip
    this.#schedule = new ProposerSchedule(host.committee, host.registry().state.firstHeight)
  }

  /** The last committed block here. */
  get tip(): ChainTip {
    return this.#tip
  }

  /** Starts (or, after a restart, resumes) block production. */
  start(ownVotes: readonly StoredBlockVote[]): void {
    const next = this.#tip.height + 1
    const mine = ownVotes.filter((v) => v.height === next)
    if (mine.length > 0 && this.#host.isVoter()) {
      this.#open(next)
      this.#apply(this.#height!.resume(mine))
      this.#replayEarly()
      // Re-announce what we voted before the restart (same values, new batches), and keep
      // re-sending it like any vote of this height.
      for (const v of mine) {
        const leaf = this.#leaf(v.kind, v.attempt, v.value)
        this.#ownVotes.set(`${v.kind}:${v.attempt}`, leaf)
        this.#host.vote(leaf, [])
      }
    } else this.#host.setTimer(START, this.#host.now() + this.#config.intervalMs)
  }

  onTimer(id: string): boolean {
    if (!id.startsWith(TIMER)) return false
    if (id === RESEND) {
      this.#resend()
      return true
    }
    if (id === START) {
      this.#joinIfNext(this.#tip.height + 1)
      return true
    }
    const [, h, step, attempt] = id.split(':')
    if (this.#height !== null && Number(h) === this.#height.height) {
      this.#apply(
        this.#height.onTimeout(step as 'propose' | 'prevote' | 'precommit', Number(attempt)),
      )
    }
    return true
  }

  onProposal(p: Proposal): void {
    this.#joinIfNext(p.block.header.height)
    const h = this.#height
    const header = p.block.header
    if (h === null || header.height !== h.height) return
    if (!equalBytes(p.proposer, this.#schedule.proposer(header.height, p.attempt))) return
    const byTxid = new Map(p.block.transactions.map((tx) => [txidToHex(computeTxid(tx)), tx]))
    for (const c of p.certificates) {
      const tx = byTxid.get(txidToHex(c.txid))
      if (tx !== undefined && !this.#host.isFinal(c.txid)) this.#host.adoptCertificate(tx, c)
    }
    const hash = bytesToHex(blockHash(header))
    let valid = true
    try {
      const registry = this.#host.registry()
      validateHandoff(p.block, p.reports, {
        committee: this.#host.committee,
        next: registry.nextCommittee(),
        changing: registry.changing,
        ownReport: this.#host.reportedAt(h.height),
      })
      validateBlock(p.block, {
        height: h.height,
        prevHash: this.#tip.hash,
        epoch: this.#host.committee.epoch,
        committee: this.#host.committee,
        schedule: this.#schedule,
        attempt: p.attempt,
        outputValue: (o) => this.#host.ledger.utxos.get(o)?.output.value,
        isFinal: (t) => this.#host.isFinal(t),
        bounties: registry.pendingBounties(),
      })
    } catch (e) {
      if (!(e instanceof TimeCoinError)) throw e
      valid = false
    }
    if (valid) {
      this.#blocks.set(hash, p.block)
      this.#blockReports.set(hash, p.reports)
    }
    this.#apply(h.onProposal(p.attempt, hash, p.validAttempt, valid))
  }

  /** Routes the block votes of a verified batch from a committee member. */
  onBatch(batch: VoteBatch): void {
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
    if (lowest <= this.#tip.height) this.#helpBehind(voter, lowest)
    const weight = this.#host.committee.weightOf(batch.header.voterKey)
    if (weight === undefined || batch.header.epoch !== this.#host.committee.epoch) return
    if (atNext) this.#joinIfNext(next)
    if (highest > next) this.behind(voter)
    const h = this.#height
    let entries: ((i: number) => CertificateEntry) | undefined
    let buffered = false
    for (const i of votes) {
      const leaf = batch.leaves[i]!
      if (leaf.kind !== 'prevote' && leaf.kind !== 'precommit') continue
      if (h === null || leaf.height !== h.height) {
        // Votes for a height not open yet are kept for when it opens, not dropped.
        const ahead = leaf.height > (h?.height ?? this.#tip.height)
        if (ahead && !buffered && this.#early.length < MAX_EARLY) this.#early.push(batch)
        buffered ||= ahead
        continue
      }
      const value = leaf.blockHash.every((b) => b === 0) ? NIL : bytesToHex(leaf.blockHash)
      if (leaf.kind === 'prevote') this.#apply(h.onPrevote(leaf.attempt, voter, value, weight))
      else {
        entries ??= batchEntries(batch)
        const key = `${leaf.attempt}:${value}`
        const map = this.#precommits.get(key) ?? new Map<string, CertificateEntry>()
        if (!map.has(voter)) map.set(voter, entries(i))
        this.#precommits.set(key, map)
        this.#apply(h.onPrecommit(leaf.attempt, voter, value, weight))
      }
      if (this.#height !== h) return // committed meanwhile
    }
  }

  /** The recent committed block holding `txid`, with its certificate: the proof it is final. */
  inclusion(txid: Txid): { block: Block; certificate: BlockCertificate } | undefined {
    const height = this.#included.get(txidToHex(txid))
    return height === undefined ? undefined : this.#recent.get(height)
  }

  /**
   * A member still voting on `height`, which we committed, missed the commit (and, after a
   * committee change, may have no one left voting at its height to tell it): send it the blocks
   * it lacks, a few at a time, at most once a second per member.
   */
  #helpBehind(peer: PeerId, height: number): void {
    const now = this.#host.now()
    if (now - (this.#helped.get(peer) ?? -Infinity) < 1_000) return
    this.#helped.set(peer, now)
    for (let h = height; h <= Math.min(this.#tip.height, height + HELP_BLOCKS - 1); h++)
      this.onRequest(h, peer)
  }

  /** Answers a peer that missed a commit. */
  onRequest(height: number, from: PeerId): void {
    const c = this.#recent.get(height)
    if (c !== undefined)
      this.#host.send(from, { type: 'BlockCommit', block: c.block, certificate: c.certificate })
  }

  /** A committed block from a peer: applied when it is the next one and its certificate holds. */
  onCommit(block: Block, certificate: BlockCertificate, from?: PeerId): void {
    if (block.header.height > this.#tip.height + 1 && from !== undefined) this.behind(from)
    if (block.header.height !== this.#tip.height + 1) return
    if (!equalBytes(certificate.blockHash, blockHash(block.header))) return
    if (!equalBytes(block.header.prevHash, this.#tip.hash)) return
    if (!bodyMatchesHeader(block)) return
    try {
      checkBlockCertificate(certificate, this.#host.committee)
    } catch (e) {
      if (e instanceof TimeCoinError) return
      throw e
    }
    this.#commit(block, certificate)
    // Catching up: ask for the next block at once rather than wait for the next hint.
    const ahead = this.#aheadPeer
    if (ahead !== null) {
      this.#aheadPeer = null
      this.#lastBlockRequest = -Infinity
      this.behind(ahead)
    }
  }

  /** A member's lock report for the committee-changing block at our next height. */
  onLockReport(report: LockReport, txs: readonly Transaction[]): void {
    const committee = this.#host.committee
    if (!this.#host.registry().changing) return
    if (report.epoch !== committee.epoch || report.height !== this.#tip.height + 1) return
    if ((committee.weightOf(report.voterKey) ?? 0) === 0) return
    const named = new Set(report.txids.map(txidToHex))
    const given = new Set(txs.map((tx) => txidToHex(computeTxid(tx))))
    // A report whose transactions we do not all hold cannot be carried: leave it out.
    if (named.size !== given.size || [...named].some((id) => !given.has(id))) return
    this.#reports.set(bytesToHex(report.voterKey), { report, txs })
    const waiting = this.#waiting
    // Still in the attempt it waits to propose in (a later attempt has its own leader).
    if (waiting !== null && this.#height?.attempt === waiting.attempt) {
      this.#waiting = null
      this.#propose(waiting.attempt, null, waiting.validAttempt)
    }
  }

  // ── internals ─────────────────────────────────────────────────────────────

  /**
   * Others vote or commit above our next height (or in a later epoch): we missed a commit; ask
   * `peer` for it (at most once a second). Each block that arrives this way asks for the next.
   */
  behind(peer: PeerId): void {
    this.#aheadPeer = peer
    if (this.#host.now() - this.#lastBlockRequest < 1_000) return
    this.#lastBlockRequest = this.#host.now()
    this.#host.send(peer, { type: 'BlockRequest', height: this.#tip.height + 1 })
  }

  /**
   * Block votes travel once; under loss a height could wait forever for votes that never come.
   * While a height is open, re-send this node's votes and proposal (a fresh batch of the same,
   * already persisted decisions — never a different vote), backing off from twice the vote
   * timeouts to 8 times that: a stalled height (too few members up) must not become a vote storm.
   */
  #resend(): void {
    if (this.#height === null) return
    if (this.#host.registry().changing) this.#host.seal(this.#height.height)
    for (const leaf of this.#ownVotes.values()) this.#host.vote(leaf, [])
    if (this.#lastProposal !== null) {
      const proposal = this.#lastProposal
      for (const peer of this.#host.voters())
        this.#host.send(peer, { type: 'BlockProposal', proposal })
    }
    this.#resendDelay = Math.min(2 * this.#resendDelay, 8 * this.#resendBase())
    this.#host.setTimer(RESEND, this.#host.now() + this.#resendDelay)
  }

  #resendBase(): number {
    return 2 * (this.#config.timeouts.prevoteMs + this.#config.timeouts.precommitMs)
  }

  #rearmResend(): void {
    if (this.#resendDelay === this.#resendBase()) return
    this.#resendDelay = this.#resendBase()
    this.#host.setTimer(RESEND, this.#host.now() + this.#resendDelay)
  }

  #joinIfNext(height: number): void {
    if (this.#height !== null || height !== this.#tip.height + 1 || !this.#host.isVoter()) return
    this.#open(height)
    this.#apply(this.#height!.start())
    this.#replayEarly()
  }

  #open(height: number): void {
    this.#height = new TimeLockHeight(
      height,
      this.#host.committee,
      (attempt) => equalBytes(this.#schedule.proposer(height, attempt), this.#host.key.publicKey),
      this.#config.timeouts,
    )
    this.#blocks = new Map()
    this.#precommits = new Map()
    this.#ownVotes = new Map()
    this.#lastProposal = null
    this.#resendDelay = 0
    this.#blockReports = new Map()
    this.#waiting = null
    // Before any prevote for a committee-changing block: seal and report (§4.8).
    if (this.#host.registry().changing) this.#host.seal(height)
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
          this.#host.vote(leaf, [blockVoteOp(h.height, o.attempt, o.type, blockHash)])
          break
        }
        case 'timeout':
          this.#host.setTimer(
            `${TIMER}${h.height}:${o.step}:${o.attempt}`,
            this.#host.now() + o.afterMs,
          )
          break
        case 'decide': {
          const block = this.#blocks.get(o.value)
          const entries = this.#precommits.get(`${o.attempt}:${o.value}`)
          if (block === undefined || entries === undefined) break
          const certificate: BlockCertificate = {
            height: h.height,
            attempt: o.attempt,
            blockHash: fromHex(o.value),
            epoch: this.#host.committee.epoch,
            entries: [...entries.values()],
          }
          this.#commit(block, certificate)
          for (const peer of new Set([...this.#host.voters(), ...this.#host.followers()]))
            this.#host.send(peer, { type: 'BlockCommit', block, certificate })
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
    let reports: readonly LockReport[] = []
    let block: Block | undefined
    if (value !== null) {
      block = this.#blocks.get(value)
      reports = this.#blockReports.get(value) ?? []
    } else {
      if (this.#host.registry().changing) {
        const held = [...this.#reports.values()]
        const weight = held.reduce(
          (w, r) => w + (this.#host.committee.weightOf(r.report.voterKey) ?? 0),
          0,
        )
        // Not yet reports from > 2/3 of the weight: propose when they arrive (or others time out).
        if (!this.#host.committee.isQuorum(weight)) {
          this.#waiting = { attempt, validAttempt }
          return
        }
        reports = sortedReports(held.map((r) => r.report))
      }
      block = this.#build(h.height, attempt)
    }
    if (block === undefined) return
    const certificates = block.transactions
      .map((tx) => this.#host.certificateOf(computeTxid(tx)))
      .filter((c): c is FinalityCertificate => c !== undefined)
    const proposal = signProposal(
      block,
      attempt,
      value === null ? -1 : validAttempt,
      certificates,
      this.#host.signer,
      this.#host.genesisHash,
      reports,
    )
    this.#lastProposal = proposal
    for (const peer of this.#host.voters())
      this.#host.send(peer, { type: 'BlockProposal', proposal })
    this.onProposal(proposal)
  }

  #build(height: number, attempt: number): Block {
    const entries = dependencyOrder(
      [...this.#host.ledger.mempool.entries()].filter((e) => e.status === 'finalized'),
    )
    const fees = entries.reduce((a, e) => a + e.fee, 0n)
    const registry = this.#host.registry()
    const reward = blockReward(
      this.#host.committee,
      this.#host.key.publicKey,
      fees,
      registry.pendingBounties(),
    )
    const confirmed = new Set(entries.map((e) => txidToHex(e.txid)))
    const carried = new Map<string, Transaction>()
    if (this.#host.registry().changing) {
      for (const { txs } of this.#reports.values())
        for (const tx of txs) {
          const id = txidToHex(computeTxid(tx))
          if (!confirmed.has(id)) carried.set(id, tx)
        }
    }
    const carriedTxs = [...carried.values()]
    return {
      header: {
        version: 1,
        height,
        attempt,
        prevHash: this.#tip.hash,
        epoch: this.#host.committee.epoch,
        timestamp: this.#host.now(),
        proposer: this.#host.key.publicKey,
        txRoot: transactionRoot(entries.map((e) => e.txid)),
        rewardHash: rewardHash(reward),
        carryRoot: transactionRoot(carriedTxs.map(computeTxid)),
        committeeHash: committeeHash(this.#host.registry().nextCommittee()),
      },
      transactions: entries.map((e) => e.tx),
      reward,
      carried: carriedTxs,
    }
  }

  #commit(block: Block, certificate: BlockCertificate): void {
    const height = block.header.height
    const txs = block.transactions.map((tx) => ({ tx, txid: computeTxid(tx) }))
    let ops: readonly BatchOp[]
    try {
      ops = this.#host.ledger.confirmBlock(height, txs, {
        txid: rewardTxid(height, block.header.prevHash),
        outputs: block.reward,
      }).ops
    } catch (e) {
      if (!(e instanceof TimeCoinError)) throw e
      // Certified, yet our ledger cannot apply it (a parent we never saw): we need block sync.
      this.#host.emit({
        type: 'alarm',
        code: 'CHAIN_BEHIND',
        message: `cannot apply block ${height}: ${e.message}`,
      })
      return
    }
    const carried = block.carried.map((tx) => ({ tx, txid: computeTxid(tx) }))
    const { registry, changed } = this.#host.registry().afterBlock(height, txs, carried)
    const hash = blockHash(block.header)
    this.#tip = { height, hash }
    this.#recent.set(height, { block, certificate })
    for (const { txid } of txs) this.#included.set(txidToHex(txid), height)
    const old = this.#recent.get(height - RECENT_BLOCKS)
    if (old !== undefined) {
      for (const tx of old.block.transactions) this.#included.delete(txidToHex(computeTxid(tx)))
      this.#recent.delete(height - RECENT_BLOCKS)
    }
    this.#host.persist([...ops, ...commitOps(block, certificate, registry, changed)], true)
    this.#reports = new Map()
    this.#waiting = null
    if (changed) this.#schedule = new ProposerSchedule(registry.committee, height + 1)
    this.#host.advance(registry, changed, carried)
    this.#host.emit({ type: 'committed', height, hash, transactions: txs.length })
    this.#height = null
    this.#early = this.#early.filter((b) =>
      b.leaves.some((l) => (l.kind === 'prevote' || l.kind === 'precommit') && l.height > height),
    )
    this.#host.setTimer(START, this.#host.now() + this.#config.intervalMs)
  }

  /** Replays buffered votes once a new height opened. */
  #replayEarly(): void {
    for (const b of this.#early.splice(0)) this.onBatch(b)
  }
}
