/**
 * The voting committee of one epoch: members, weights by collateral tier, and the quorum
 * threshold ⌊2W/3⌋ + 1 of total weight W. Any two quorums overlap by more than W/3. Members are
 * kept sorted by key so every node derives byte-identical committees from the same chain.
 */
import { DomainTags } from '../crypto/domain.ts'
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
      if (m.key.length !== 32)
        throw new ConsensusError('COMMITTEE_INVALID', 'member key must be 32 bytes')
      if (!Number.isSafeInteger(m.weight) || m.weight < 0) {
        throw new ConsensusError(
          'COMMITTEE_INVALID',
          `member weight must be a non-negative integer, got ${m.weight}`,
        )
      }
      const id = bytesToHex(m.key)
      if (weights.has(id)) throw new ConsensusError('COMMITTEE_INVALID', `duplicate member ${id}`)
      weights.set(id, m.weight)
    }
    this.epoch = epoch
    this.members = [...members].sort((a, b) => compareBytes(a.key, b.key))
    this.totalWeight = members.reduce((s, m) => s + m.weight, 0)
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

  /** Whether the committee may finalize anything on `network` (enough voting members). */
  canFinalize(network: NetworkName): boolean {
    return this.voters.length >= MIN_VOTING_MEMBERS[network] && this.totalWeight > 0
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
