/**
 * The voting committee of one epoch: members, weights by collateral tier, and the quorum
 * threshold ⌊2W/3⌋ + 1 of total weight W. Any two quorums overlap by more than W/3. Members are
 * kept sorted by key so every node derives byte-identical committees from the same chain.
 * Every committee — genesis, registry, committee proof — is built here, so every one keeps the
 * weight bound (MAX_MEMBER_WEIGHT) that makes all weight arithmetic exact.
 */
import { DomainTags } from '../crypto/domain.ts'
import { weakKeyError } from '../crypto/public-key-rule.ts'
import { taggedHash } from '../crypto/sha256.ts'
import { bytesToHex, compareBytes, keyId } from '../encoding/bytes.ts'
import { ConsensusError } from '../errors.ts'
import type { NetworkName } from '../primitives/network.ts'

export { TIERS, type Tier, type TierRule } from '../primitives/tier.ts'

/** Below this many voting members finality halts rather than run without fault tolerance. */
export const MIN_VOTING_MEMBERS: Readonly<Record<NetworkName, number>> = {
  mainnet: 10,
  testnet: 3,
  devnet: 3,
}

export const MAX_COMMITTEE_SIZE = 1_000

/**
 * Largest weight of one member: 2^30. Tiers grant at most 1,000 (primitives/tier.ts); only a
 * genesis may grant more. With at most MAX_COMMITTEE_SIZE (< 2^10) members, a committee's total
 * weight W stays at most MAX_TOTAL_WEIGHT < 2^40, so every weight computation in `number` is
 * exact with room to spare (integers are exact below 2^53): 2W for the threshold, any sum of
 * distinct voters' weights (≤ W, tallies and certificates), proposer priorities (within
 * ±members × W < 2^50) and `BigInt(weight)` for the reward.
 */
export const MAX_MEMBER_WEIGHT = 2 ** 30

/** Largest total weight of a committee: MAX_COMMITTEE_SIZE × MAX_MEMBER_WEIGHT (< 2^40). */
export const MAX_TOTAL_WEIGHT = MAX_COMMITTEE_SIZE * MAX_MEMBER_WEIGHT

/** Throws COMMITTEE_WEIGHT_LIMIT unless `weight` is an integer in [0, MAX_MEMBER_WEIGHT]. */
export function checkMemberWeight(weight: number): void {
  if (!Number.isInteger(weight) || weight < 0 || weight > MAX_MEMBER_WEIGHT) {
    throw new ConsensusError(
      'COMMITTEE_WEIGHT_LIMIT',
      `member weight must be an integer in [0, ${MAX_MEMBER_WEIGHT}], got ${weight}`,
    )
  }
}

export interface CommitteeMember {
  /** The masternode's Ed25519 voting key. */
  readonly key: Uint8Array
  readonly weight: number
}

/** The quorum: more than two thirds of `totalWeight`. */
export function quorumThreshold(totalWeight: number): number {
  return Math.floor((2 * totalWeight) / 3) + 1
}

/** The Accept weight a committee of total weight W needs (the protocol's rule: `quorumThreshold`). */
export type QuorumRule = (totalWeight: number) => number

export class Committee {
  readonly epoch: number
  readonly members: readonly CommitteeMember[]
  readonly totalWeight: number
  readonly threshold: number
  /** The rule the threshold came from (committees of later epochs use the same). */
  readonly quorum: QuorumRule
  readonly #weights: ReadonlyMap<string, number>

  /**
   * `quorum` is the protocol's rule unless the simulator hands in a deliberately unsafe one
   * (consensus/rules.ts) to prove its oracle catches what that rule allows.
   */
  constructor(
    epoch: number,
    members: readonly CommitteeMember[],
    quorum: QuorumRule = quorumThreshold,
  ) {
    if (!Number.isInteger(epoch) || epoch < 0 || epoch > 0xffff_ffff) {
      throw new ConsensusError('COMMITTEE_INVALID', `epoch must be a u32, got ${epoch}`)
    }
    if (members.length > MAX_COMMITTEE_SIZE) {
      throw new ConsensusError(
        'COMMITTEE_INVALID',
        `committee of ${members.length} exceeds ${MAX_COMMITTEE_SIZE}`,
      )
    }
    const weights = new Map<string, number>()
    for (const m of members) {
      // A weak key could vote without its holder (docs/PROTOCOL.md §3.1): no committee has one.
      // The rule also refuses a key that is not 32 bytes.
      const weak = weakKeyError(m.key, 'member key')
      if (weak !== null)
        throw new ConsensusError('COMMITTEE_INVALID', weak.message, undefined, { cause: weak })
      checkMemberWeight(m.weight)
      const id = bytesToHex(m.key)
      if (weights.has(id)) throw new ConsensusError('COMMITTEE_INVALID', `duplicate member ${id}`)
      weights.set(id, m.weight)
    }
    this.epoch = epoch
    this.members = [...members].sort((a, b) => compareBytes(a.key, b.key))
    this.totalWeight = members.reduce((s, m) => s + m.weight, 0)
    // Implied by the two bounds above; checked so a change to either cannot go unnoticed.
    if (this.totalWeight > MAX_TOTAL_WEIGHT) {
      throw new ConsensusError(
        'COMMITTEE_WEIGHT_LIMIT',
        `total weight ${this.totalWeight} exceeds ${MAX_TOTAL_WEIGHT}`,
      )
    }
    this.quorum = quorum
    this.threshold = quorum(this.totalWeight)
    this.#weights = weights
  }

  /** Weight of `key`, or undefined when it is not a member. */
  weightOf(key: Uint8Array): number | undefined {
    return this.#weights.get(keyId(key))
  }

  /** Members with positive weight. */
  get voters(): readonly CommitteeMember[] {
    return this.members.filter((m) => m.weight > 0)
  }

  /**
   * Whether the committee may finalize anything on `network`: enough voting members (each of
   * positive weight, so the total weight is positive too).
   */
  canFinalize(network: NetworkName): boolean {
    return this.voters.length >= MIN_VOTING_MEMBERS[network]
  }

  /** True when `weight` reaches the quorum threshold. */
  isQuorum(weight: number): boolean {
    return weight >= this.threshold
  }
}

/**
 * The hash a block header commits to for the committee voting on the next block: SHA-256 of
 * "TIMECOIN/committee/v1" ‖ u32le(epoch) ‖ u32le(count) ‖ (key ‖ u64le(weight))… in key order.
 * A light client holding a member list checks it against a certified header.
 */
export function committeeHash(committee: Committee): Uint8Array {
  const body = new Uint8Array(8 + committee.members.length * 40)
  const view = new DataView(body.buffer)
  view.setUint32(0, committee.epoch, true)
  view.setUint32(4, committee.members.length, true)
  for (const [i, m] of committee.members.entries()) {
    body.set(m.key, 8 + i * 40)
    view.setBigUint64(8 + i * 40 + 32, BigInt(m.weight), true)
  }
  return taggedHash(DomainTags.committee, body)
}
