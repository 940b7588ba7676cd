/**
 * One open height of the chain: TimeLock's two-phase state machine for it (consensus/timelock.ts)
 * and what the chain keeps beside it — the blocks proposed at it (with the UTXO-set state after
 * each and the lock reports each was built with), the precommits that make up its certificate,
 * this node's own votes and proposal, and their re-sending. TimeLock's outputs become the chain's
 * (votes to sign, timers); a proposal to make and a decision go to the chain through the port.
 *
 * Invariants: a voter's first precommit per attempt is the one kept for the certificate (TimeLock
 * counts only it); a block is decided only with the precommits of its own attempt and value; a
 * re-sent vote is a fresh batch of the same persisted decision, never a different vote; re-sending
 * backs off from twice the vote timeouts up to 8 times that, and returns to the base whenever this
 * node votes anew; nothing here outlives the height (the chain opens a new one for the next).
 */
import type { Block } from '../consensus/block.ts'
import type { BlockCertificate } from '../consensus/block-certificate.ts'
import type { LockReport } from '../consensus/lock-report.ts'
import type { Proposal } from '../consensus/proposal.ts'
import type { CertificateEntry } from '../consensus/quorum-proof.ts'
import {
  NIL,
  TimeLockHeight,
  type TimeLockOutput,
  type TimeLockTimeouts,
} from '../consensus/timelock.ts'
import type { VoteLeaf } from '../consensus/vote-leaf.ts'
import { bytesToHex, fromHex } from '../encoding/bytes.ts'
import type { LtHash } from '../ledger/lthash.ts'
import type { ChainOutput, ChainView } from './chain-io.ts'
import { blockVoteOp, type StoredBlockVote } from './chain-store.ts'
import type { Message, PeerId } from './messages.ts'

/** The prefix of every chain timer id. */
export const CHAIN_TIMER = 'chain:'
/** The timer that re-sends this node's votes and proposal at the open height. */
export const RESEND_TIMER = `${CHAIN_TIMER}resend`

/** What an open height needs of its chain. */
export interface HeightPort {
  readonly view: ChainView
  readonly timeouts: TimeLockTimeouts
  push(output: ChainOutput): void
  /** Sends to a peer; never to this node itself. */
  send(to: PeerId, message: Message): void
  /** TimeLock asks this node to propose: `value` again (a valid block seen), or a fresh block. */
  propose(attempt: number, value: string | null, validAttempt: number): void
  /** A block is decided with its certificate (nothing more is done at this height after it). */
  decide(block: Block, certificate: BlockCertificate): void
}

export class OpenHeight {
  readonly #port: HeightPort
  readonly #timelock: TimeLockHeight
  /** Blocks seen at this height, by hash (hex). */
  readonly blocks = new Map<string, Block>()
  /** The state after each valid block of `blocks`, by hash (hex): what committing it sets. */
  readonly utxosAfter = new Map<string, LtHash>()
  /** Reports a proposed block was built with, by block hash (hex): re-proposals carry them. */
  readonly blockReports = new Map<string, readonly LockReport[]>()
  /** precommit entries by `${attempt}:${value}` → voter → entry. */
  readonly #precommits = new Map<string, Map<string, CertificateEntry>>()
  /** `${attempt}:${voter}` of each precommit kept at this height (a voter's first per attempt). */
  readonly #precommitted = new Set<string>()
  /** This node's votes at this height, re-sent until the height is decided. */
  readonly ownVotes = new Map<string, VoteLeaf>()
  lastProposal: Proposal | null = null
  /** A fresh proposal waiting for lock reports from > 2/3 of the weight. */
  waiting: { attempt: number; validAttempt: number } | null = null
  /** Time until this height's votes are re-sent (doubles each time, up to 8 × the base). */
  #resendDelay = 0

  constructor(height: number, isProposer: (attempt: number) => boolean, port: HeightPort) {
    this.#port = port
    this.#timelock = new TimeLockHeight(height, port.view.committee, isProposer, port.timeouts)
  }

  get height(): number {
    return this.#timelock.height
  }

  /** The attempt TimeLock is at. */
  get attempt(): number {
    return this.#timelock.attempt
  }

  /** Entry counts of this height's maps (TimeLock's own: `timelockSizes`). */
  sizes(): Record<string, number> {
    let precommits = 0
    for (const m of this.#precommits.values()) precommits += m.size
    return {
      'chain.blocks': this.blocks.size,
      'chain.blockReports': this.blockReports.size,
      'chain.precommits': precommits,
      'chain.ownVotes': this.ownVotes.size,
    }
  }

  timelockSizes(): Record<string, number> {
    return this.#timelock.sizes()
  }

  start(): void {
    this.#apply(this.#timelock.start())
  }

  /** Resumes the height from this node's persisted votes at it (after a restart). */
  resume(mine: readonly StoredBlockVote[]): void {
    this.#apply(this.#timelock.resume(mine))
  }

  /**
   * Re-announces what this node voted before a restart (same values, new batches), and keeps
   * re-sending it like any vote of this height.
   */
  reannounce(mine: readonly StoredBlockVote[]): void {
    for (const v of mine) {
      const leaf = this.#leaf(v.kind, v.attempt, v.value)
      this.ownVotes.set(`${v.kind}:${v.attempt}`, leaf)
      this.#port.push({ type: 'vote', leaf, ops: [] })
    }
  }

  onTimeout(step: 'propose' | 'prevote' | 'precommit', attempt: number): void {
    this.#apply(this.#timelock.onTimeout(step, attempt))
  }

  /** A proposal at this height, checked by the chain (`valid`: its block is kept, by hash). */
  onProposal(p: Proposal, hash: string, valid: boolean, after: LtHash | undefined): void {
    if (valid) {
      this.blocks.set(hash, p.block)
      this.blockReports.set(hash, p.reports)
      if (after !== undefined) this.utxosAfter.set(hash, after)
    }
    this.#apply(this.#timelock.onProposal(p.attempt, hash, p.validAttempt, valid))
  }

  /**
   * A block vote at this height from `voter` (of `weight` in the current committee); `entry` is
   * its certificate entry, built only if a precommit is kept.
   */
  onVote(
    leaf: VoteLeaf & { readonly kind: 'prevote' | 'precommit' },
    voter: string,
    weight: number,
    entry: () => CertificateEntry,
  ): void {
    // An attempt far past ours cannot be honest progress: its votes would only fill memory.
    if (leaf.attempt > this.attempt + this.#port.view.limits.maxAttemptLead) return
    const value = leaf.blockHash.every((b) => b === 0) ? NIL : bytesToHex(leaf.blockHash)
    if (leaf.kind === 'prevote')
      return this.#apply(this.#timelock.onPrevote(leaf.attempt, voter, value, weight))
    // A voter's first precommit at an attempt is the one counted (timelock.ts): keep only it.
    const first = `${leaf.attempt}:${voter}`
    if (!this.#precommitted.has(first)) {
      this.#precommitted.add(first)
      const key = `${leaf.attempt}:${value}`
      const map = this.#precommits.get(key) ?? new Map<string, CertificateEntry>()
      this.#precommits.set(key, map.set(voter, entry()))
    }
    this.#apply(this.#timelock.onPrecommit(leaf.attempt, voter, value, weight))
  }

  /**
   * Block votes travel once; under loss a height could wait forever for votes that never come.
   * While a height is open, re-send this node's votes and proposal (a fresh batch of the same,
   * already persisted decisions — never a different vote), backing off from twice the vote
   * timeouts to 8 times that: a stalled height (too few members up) must not become a vote storm.
   */
  resend(): void {
    const { view } = this.#port
    if (view.registry.changing) this.#port.push({ type: 'seal', height: this.height })
    for (const leaf of this.ownVotes.values()) this.#port.push({ type: 'vote', leaf, ops: [] })
    if (this.lastProposal !== null) {
      const proposal = this.lastProposal
      for (const peer of view.voters) this.#port.send(peer, { type: 'BlockProposal', proposal })
    }
    this.#resendDelay = Math.min(2 * this.#resendDelay, 8 * this.#resendBase())
    this.#port.push({ type: 'setTimer', id: RESEND_TIMER, at: view.now() + this.#resendDelay })
  }

  #resendBase(): number {
    const { timeouts } = this.#port
    return 2 * (timeouts.prevoteMs + timeouts.precommitMs)
  }

  /** Re-sends soon (at the base delay), unless already due then. */
  rearmResend(): void {
    if (this.#resendDelay === this.#resendBase()) return
    this.#resendDelay = this.#resendBase()
    this.#port.push({
      type: 'setTimer',
      id: RESEND_TIMER,
      at: this.#port.view.now() + this.#resendDelay,
    })
  }

  /** Carries out TimeLock's outputs, in order (a decision ends them). */
  #apply(outputs: readonly TimeLockOutput[]): void {
    const port = this.#port
    for (const o of outputs) {
      switch (o.type) {
        case 'propose':
          port.propose(o.attempt, o.value, o.validAttempt)
          break
        case 'prevote':
        case 'precommit': {
          const leaf = this.#leaf(o.type, o.attempt, o.value)
          this.ownVotes.set(`${o.type}:${o.attempt}`, leaf)
          // A new vote: the height is moving, re-send soon again (the back-off is for stalls).
          this.rearmResend()
          const blockHash =
            leaf.kind === 'prevote' || leaf.kind === 'precommit'
              ? leaf.blockHash
              : new Uint8Array(32)
          port.push({
            type: 'vote',
            leaf,
            ops: [blockVoteOp(this.height, o.attempt, o.type, blockHash)],
          })
          break
        }
        case 'timeout':
          port.push({
            type: 'setTimer',
            id: `${CHAIN_TIMER}${this.height}:${o.step}:${o.attempt}`,
            at: port.view.now() + o.afterMs,
          })
          break
        case 'decide': {
          const block = this.blocks.get(o.value)
          const entries = this.#precommits.get(`${o.attempt}:${o.value}`)
          if (block === undefined || entries === undefined) break
          const certificate: BlockCertificate = {
            height: this.height,
            attempt: o.attempt,
            blockHash: fromHex(o.value),
            epoch: port.view.committee.epoch,
            entries: [...entries.values()],
          }
          port.decide(block, certificate)
          return
        }
      }
    }
  }

  #leaf(kind: 'prevote' | 'precommit', attempt: number, value: string): VoteLeaf {
    const blockHash = value === NIL ? new Uint8Array(32) : fromHex(value, 32)
    return { kind, height: this.height, attempt, blockHash }
  }
}
