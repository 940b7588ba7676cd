/**
 * Every bound on one engine's state, in one place (docs/ARCHITECTURE.md §2.3 "Bounded state"
 * tabulates them with what prunes each structure). Nothing a peer sends can make a map grow past
 * these: what does not fit is dropped (never decided wrongly — a dropped orphan, vote or buffered
 * batch costs only time, since senders and members ask again), and what is no longer needed is
 * pruned when its transaction is confirmed or its epoch is two behind.
 *
 * `DEFAULT_LIMITS` is what nodes run with; tests and the simulator may shrink a few (a short
 * long-run test cannot wait 1,000 blocks for the recent-block span to fill).
 */

import { HEADER_SIZE, type VoteBatch } from '../consensus/vote-batch.ts'
import { MAX_LEAF_SIZE } from '../consensus/vote-leaf.ts'

export interface EngineLimits {
  // ── transactions waiting for their parents (fetching.ts, orphans.ts) ──────
  /**
   * A transaction with more distinct unknown parents than this is not kept as an orphan and none
   * of its parents is requested (it is decided when it arrives again, once they are known). A
   * payment has one or two parents; consolidations spend outputs that are long known.
   */
  readonly maxMissingParents: number
  /** Orphans kept at once, from everyone (the oldest is dropped for a new one). */
  readonly maxOrphans: number
  /** Their signed bytes together. */
  readonly maxOrphanBytes: number
  /** Orphans one peer may have waiting at once; more are refused (and cost it). */
  readonly maxOrphansPerPeer: number
  /** Distinct parents awaited at once, over all orphans. */
  readonly maxAwaitedParents: number
  /**
   * An orphan waits this long for its parents; then it is dropped, and its sender penalized if
   * none of them ever arrived (a peer whose transactions name parents that never appear).
   */
  readonly orphanTtlMs: number

  // ── votes ─────────────────────────────────────────────────────────────────
  /**
   * Reject decisions held at once; past it no new Reject is made (a Reject locks nothing and
   * binds no one: the transaction is simply not accepted, and no vote says so). Rejects go when
   * a block settles their transaction or their epoch is two behind. Accept decisions need no
   * such bound: each holds the locks of a mempool transaction (bounded by the mempool) until a
   * block settles it.
   */
  readonly maxRejectDecisions: number
  /** Transactions with counted votes that this node does not know (requested from the voter). */
  readonly maxUnknownVoted: number
  /** Wallets waiting for one transaction's votes and certificate. */
  readonly maxSubscribersPerTx: number
  /** Vote batches of the next epoch kept per member of that epoch's committee. */
  readonly maxNextEpochBatchesPerMember: number
  /** All of them together, in bytes (estimated: header, signature and leaves). */
  readonly maxNextEpochBytes: number
  /** Transactions held while this node is sealed for a handoff (decided in the next epoch). */
  readonly maxHeld: number

  // ── blocks (chain.ts, recent-blocks.ts) ───────────────────────────────────
  /** Block-vote batches buffered per member for heights not open yet. */
  readonly maxEarlyBatchesPerVoter: number
  /** All of them together, in bytes. */
  readonly maxEarlyBytes: number
  /** Only votes for heights up to tip + this are buffered (further ahead: we fetch blocks). */
  readonly earlyHeights: number
  /** Block votes for attempts further than this past the open attempt are ignored. */
  readonly maxAttemptLead: number
  /** Committed blocks kept in memory to answer BlockRequest and prove recent inclusion. */
  readonly recentBlocks: number
  /** Their encoded bytes together (older ones are dropped first when over). */
  readonly recentBlockBytes: number
  /**
   * Spent outputs stay in the UTXO set (state Confirmed, naming their spender) this many blocks
   * after the block that confirmed the spend; then they are pruned. A late spend of a pruned
   * output finds its input missing: an orphan that expires (a double spend of an old coin).
   */
  readonly spentOutputDepth: number
}

export const DEFAULT_LIMITS: EngineLimits = {
  maxMissingParents: 16,
  maxOrphans: 1_000,
  maxOrphanBytes: 8 * 1024 * 1024,
  maxOrphansPerPeer: 64,
  maxAwaitedParents: 2_000,
  orphanTtlMs: 10 * 60_000,
  maxRejectDecisions: 10_000,
  maxUnknownVoted: 4_096,
  maxSubscribersPerTx: 8,
  maxNextEpochBatchesPerMember: 16,
  maxNextEpochBytes: 8 * 1024 * 1024,
  maxHeld: 10_000,
  maxEarlyBatchesPerVoter: 16,
  maxEarlyBytes: 8 * 1024 * 1024,
  earlyHeights: 2,
  maxAttemptLead: 1_000,
  recentBlocks: 1_000,
  recentBlockBytes: 64 * 1024 * 1024,
  spentOutputDepth: 100,
}

/** The defaults with some bounds replaced (each must be a positive whole number). */
export function engineLimits(overrides: Partial<EngineLimits> = {}): EngineLimits {
  const limits = { ...DEFAULT_LIMITS, ...overrides }
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1)
      throw new RangeError(`limit ${name} must be a positive whole number, got ${value}`)
  }
  return limits
}

/** A vote batch's encoded size: header, signature, leaf count and leaves (at most 65 bytes each). */
export function batchBytes(batch: VoteBatch): number {
  return HEADER_SIZE + 64 + 2 + batch.leaves.length * MAX_LEAF_SIZE
}
