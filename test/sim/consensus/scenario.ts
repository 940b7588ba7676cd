// A simulated run's whole configuration, drawn from its seed: committee size and weights, which
// weight is Byzantine (always < W/3 unless a test asks otherwise) and how, network faults,
// partitions, crashes, wallets and their payments. The same seed always gives the same scenario.
import type { EngineLimits, RegistrableTier } from '../../../src/core/index.ts'
import { Prng } from '../prng.ts'
import type { MsRange } from '../regions.ts'
import type { Seed } from '../seed.ts'
import { BYZANTINE_BEHAVIOURS, type ByzantineBehaviour } from './byzantine.ts'

/**
 * Deliberate breakage the oracle must catch (the simulator's self-tests): broken voting rules
 * (`half-threshold`, `threshold-minus-one` and `-plus-one`: the quorum off by one either way,
 * `accept-conflicts`, `handoff-without-seals`, `prevote-ignores-lock` or only for a re-proposal:
 * `reproposal-ignores-lock`), a store that acknowledges
 * writes before they are durable (`ack-before-sync`), and shell verifiers that skip a signature
 * check (`unchecked-batch-signatures`, `unchecked-last-entry`: a certificate's last entry).
 */
export type UnsafeRule =
  | 'half-threshold'
  | 'threshold-minus-one'
  | 'threshold-plus-one'
  | 'accept-conflicts'
  | 'handoff-without-seals'
  | 'prevote-ignores-lock'
  | 'reproposal-ignores-lock'
  | 'ack-before-sync'
  | 'unchecked-batch-signatures'
  | 'unchecked-last-entry'

export interface Scenario {
  readonly seed: Seed
  readonly weights: readonly number[]
  /** Per masternode: null for honest, or its Byzantine behaviour. */
  readonly byzantine: readonly (ByzantineBehaviour | null)[]
  readonly latency: 'regions' | MsRange
  readonly faults: { readonly loss: number; readonly duplicate: number; readonly reorder: number }
  readonly partition: {
    readonly groups: number[][]
    readonly from: number
    readonly to: number
  } | null
  readonly crashes: readonly {
    readonly node: number
    readonly at: number
    readonly downFor: number
    readonly midEvent: boolean
  }[]
  readonly wallets: number
  /** How many masternodes each wallet talks to; 1 means exactly one honest peer. */
  readonly walletPeers: number
  readonly payments: number
  readonly doubleSpends: number
  /**
   * Who gets which spend of each double spend: the first spend to the first list of masternode
   * indices, the second to the second (default: a random half each, Byzantine nodes included).
   */
  readonly doubleSpendGroups?: readonly [readonly number[], readonly number[]]
  /** Payments are issued in [0, issueUntil] ms. */
  readonly issueUntil: number
  /** Simulated time allowed after the last disturbance for everything to settle. */
  readonly settle: number
  readonly unsafe: UnsafeRule | null
  /** Block production every `intervalMs`, or none. */
  readonly blocks: { readonly intervalMs: number } | null
  /**
   * Standby masternodes an operator registers and deregisters every 2–5 blocks (committee
   * changes); 0 for none. Needs blocks.
   */
  readonly standby: number
  /** Tiers the operator registers standby nodes at (default: any). */
  readonly standbyTiers?: readonly RegistrableTier[]
  /**
   * A double-spending owner timed at a handoff: one spend to the outgoing members the moment
   * they report their locks, the conflicting one to the incoming members once the committee
   * changed. Needs standby nodes.
   */
  readonly handoffDoubleSpend: boolean
  /** The operator also registers Bronze keys no node runs (silent Byzantine weight < W/3). */
  readonly cheapRegistrations: boolean
  /** Mempool limits of every masternode (default: the ledger's). */
  readonly mempool?: { readonly maxCount: number; readonly maxBytes: number }
  /** Payments spend one whole coin each (no change: coins never split), for long runs. */
  readonly wholeCoinPayments?: boolean
  /** Engine state bounds of every masternode other than the defaults (engine/limits.ts). */
  readonly limits?: Partial<EngineLimits>
}

const SIZES = [4, 4, 4, 4, 5, 5, 6, 7, 7, 10, 10, 13, 16, 25, 40, 100]
const TIER_WEIGHTS = [10, 100, 1000]

/** Picks nodes to be Byzantine, at random, keeping their weight strictly below W/3. */
export function byzantineSet(weights: readonly number[], prng: Prng, fraction = 1): Set<number> {
  const total = weights.reduce((a, b) => a + b, 0)
  const chosen = new Set<number>()
  let weight = 0
  for (const i of prng.shuffle([...weights.keys()])) {
    if (3 * (weight + weights[i]!) < total && prng.chance(fraction)) {
      chosen.add(i)
      weight += weights[i]!
    }
  }
  return chosen
}

export function randomScenario(seed: Seed, overrides: Partial<Scenario> = {}): Scenario {
  const prng = Prng.fromSeed(seed).fork('scenario')
  const n = prng.pick(SIZES)
  const weights = prng.chance(0.6)
    ? Array<number>(n).fill(10)
    : Array.from({ length: n }, () => prng.pick(TIER_WEIGHTS))
  const byz = prng.chance(0.7) ? byzantineSet(weights, prng, prng.range(0.3, 1)) : new Set<number>()
  const byzantine = weights.map((_, i) => (byz.has(i) ? prng.pick(BYZANTINE_BEHAVIOURS) : null))
  const honest = [...weights.keys()].filter((i) => !byz.has(i))
  const issueUntil = prng.intIn(2_000, 20_000)
  const partition =
    prng.chance(0.25) && n >= 4
      ? (() => {
          const shuffled = prng.shuffle([...weights.keys()])
          const cut = prng.intIn(1, n - 1)
          const from = prng.intIn(0, issueUntil)
          return {
            groups: [shuffled.slice(0, cut), shuffled.slice(cut)],
            from,
            to: from + prng.intIn(5_000, 120_000),
          }
        })()
      : null
  const crashes = prng.chance(0.4)
    ? Array.from({ length: prng.intIn(1, Math.min(3, honest.length)) }, () => ({
        node: prng.pick(honest),
        at: prng.intIn(0, issueUntil + 2_000),
        downFor: prng.intIn(100, 30_000),
        midEvent: prng.chance(0.5),
      }))
    : []
  const big = n >= 40
  const scenario: Scenario = {
    seed,
    weights,
    byzantine,
    latency: prng.chance(0.3)
      ? 'regions'
      : { minMs: prng.intIn(1, 50), maxMs: prng.intIn(50, 150) },
    faults: {
      loss: prng.chance(0.5) ? prng.range(0, 0.3) : 0,
      duplicate: prng.chance(0.3) ? prng.range(0, 0.1) : 0,
      reorder: prng.chance(0.3) ? prng.range(0, 0.2) : 0,
    },
    partition,
    crashes,
    wallets: prng.intIn(2, 5),
    walletPeers: prng.chance(0.3) ? 1 : prng.intIn(1, Math.min(4, n)),
    payments: big ? prng.intIn(2, 6) : prng.intIn(3, 15),
    doubleSpends: prng.chance(0.5) ? prng.intIn(1, 2) : 0,
    issueUntil,
    settle: 240_000,
    unsafe: null,
    // Blocks in most small committees; in 40- and 100-member ones less often and further apart
    // (an O(n²) vote exchange per height, and the campaign has an hour on two cores).
    blocks: prng.chance(n < 40 ? 0.6 : n < 100 ? 0.3 : 0.1)
      ? { intervalMs: n < 40 ? prng.intIn(10_000, 30_000) : prng.intIn(60_000, 120_000) }
      : null,
    standby: 0,
    handoffDoubleSpend: false,
    cheapRegistrations: false,
  }
  // Drawn last, so the rest of a seed's scenario is what it was before committee changes existed.
  const standby = scenario.blocks !== null && prng.chance(0.7) ? prng.intIn(1, 3) : 0
  // Large committees produce blocks only over links that lose little: with O(n²) votes per
  // attempt and a tenth of messages lost, > 2/3 of a 100-member committee rarely hears each other
  // in one attempt (real links are TCP: loss costs time, not messages).
  const faults =
    scenario.blocks !== null && n >= 40
      ? { ...scenario.faults, loss: Math.min(scenario.faults.loss, 0.05) }
      : scenario.faults
  const handoffDoubleSpend = standby > 0 && prng.chance(0.3)
  const cheapRegistrations = standby > 0 && prng.chance(0.3)
  return {
    ...scenario,
    faults,
    standby,
    handoffDoubleSpend,
    cheapRegistrations,
    ...extras(seed, weights, byzantine),
    ...overrides,
  }
}

/**
 * Draws added later, from a stream of their own (so every earlier draw of a seed stays what it
 * was): in a quarter of the runs arbitrary devnet weights (1–1,000 each), in a sixth boundary
 * weights (the Byzantine members weigh exactly the most that stays below W/3, and W is rarely a
 * multiple of 3: a quorum off by one shows there), the Byzantine set drawn again for the new
 * weights; and in a third of the runs with Byzantine members one of them forges signatures.
 */
function extras(
  seed: Seed,
  drawn: readonly number[],
  drawnByzantine: readonly (ByzantineBehaviour | null)[],
): Pick<Scenario, 'weights' | 'byzantine'> {
  const prng = Prng.fromSeed(seed).fork('scenario extras')
  const n = drawn.length
  const hadByzantine = drawnByzantine.some((b) => b !== null)
  let weights = drawn
  let byzantine = drawnByzantine
  const kind = prng.pick(['drawn', 'drawn', 'drawn', 'drawn', 'devnet', 'devnet', 'boundary'])
  if (kind === 'devnet') {
    weights = Array.from({ length: n }, () => prng.intIn(1, 1_000))
    const byz = hadByzantine ? byzantineSet(weights, prng, prng.range(0.3, 1)) : new Set<number>()
    byzantine = weights.map((_, i) => (byz.has(i) ? prng.pick(BYZANTINE_BEHAVIOURS) : null))
  } else if (kind === 'boundary' && hadByzantine) {
    ;({ weights, byzantine } = boundaryWeights(n, prng))
  }
  const liars = [...byzantine.keys()].filter((i) => byzantine[i] !== null)
  if (liars.length > 0 && prng.chance(0.3)) {
    const forger = prng.pick(liars)
    byzantine = byzantine.map((b, i) => (i === forger ? 'forge' : b))
  }
  return { weights, byzantine }
}

/**
 * Arbitrary weights for `n` members where the Byzantine ones (1 to ⌊(n−1)/3⌋ of them, at least
 * weight 1 each) weigh f = ⌈H/2⌉ − 1 together, H the honest weight: the largest f < W/3.
 */
export function boundaryWeights(
  n: number,
  prng: Prng,
): { weights: number[]; byzantine: (ByzantineBehaviour | null)[] } {
  const count = prng.intIn(1, Math.max(1, Math.floor((n - 1) / 3)))
  const liars = new Set(prng.shuffle([...Array(n).keys()]).slice(0, count))
  const weights = Array.from({ length: n }, () => prng.intIn(1, 1_000))
  const honest = weights.reduce((a, w, i) => a + (liars.has(i) ? 0 : w), 0)
  const f = Math.ceil(honest / 2) - 1
  // Split f over the liars (each at least 1).
  const ids = [...liars]
  let left = f
  ids.forEach((i, k) => {
    const share = k === ids.length - 1 ? left : Math.max(1, Math.floor(f / ids.length))
    weights[i] = share
    left -= share
  })
  return {
    weights,
    byzantine: weights.map((_, i) => (liars.has(i) ? prng.pick(BYZANTINE_BEHAVIOURS) : null)),
  }
}
