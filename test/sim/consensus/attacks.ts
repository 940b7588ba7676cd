// Named adversarial scenarios: each builds one situation a safety rule exists for, so that the
// oracle reports a violation when that rule is broken (docs/TESTING.md lists which mutation each
// catches). Used by test/sim/adversaries.test.ts, with SAFE_RULES and with the matching `unsafe`.
import { equalBytes, type Message } from '../../../src/core/index.ts'
import type { NetEvent } from '../network.ts'
import { type RunOptions, type RunReport, runScenario } from './run.ts'
import { randomScenario, type Scenario } from './scenario.ts'

export interface AttackRun {
  readonly report: RunReport
  /** How often the attack's key step happened (0: the scenario tested nothing). */
  readonly attempts: number
}

const CALM = {
  partition: null,
  crashes: [],
  latency: { minMs: 5, maxMs: 20 },
  faults: { loss: 0, duplicate: 0, reorder: 0 },
  standby: 0,
} satisfies Partial<Scenario>

/**
 * A forger among `weights.length` members (member 0): it double-spends its own coin, forges the
 * other members' Accepts, block precommits and certificate entries, and pads its own votes.
 * Attempts: forged certificates and blocks it sent.
 */
export async function forgery(
  seed: string,
  unsafe: Scenario['unsafe'] = null,
  weights: readonly number[] = [10, 10, 10, 10, 10, 10, 10],
): Promise<AttackRun> {
  let attempts = 0
  const report = await runScenario(
    randomScenario(seed, {
      ...CALM,
      weights,
      byzantine: weights.map((_, i) => (i === 0 ? 'forge' : null)),
      blocks: { intervalMs: 4_000 },
      issueUntil: 10_000,
      settle: 60_000,
      unsafe,
    }),
    {
      trace: (e) => {
        if (e.kind !== 'send' || e.from !== 0) return
        if (e.msg.type === 'FinalityCertificate' || e.msg.type === 'BlockCommit') attempts++
      },
    },
  )
  return { report, attempts }
}

/**
 * Four equal members, one of them a lock breaker at `position`: honest members locked on a
 * precommitted block are offered another — a fresh one in the next attempt (lock-breaker.ts), or
 * an older one re-proposed with its earlier valid attempt (relock-breaker.ts).
 * Attempts: attempt-0 proposals the network kept from the unlocked member.
 */
export async function lockBreak(
  seed: string,
  position: number,
  unsafe: Scenario['unsafe'] = null,
  breaker: 'lock-breaker' | 'relock-breaker' = 'lock-breaker',
): Promise<AttackRun> {
  let attempts = 0
  const report = await runScenario(
    randomScenario(seed, {
      ...CALM,
      weights: [10, 10, 10, 10],
      byzantine: [0, 1, 2, 3].map((i) => (i === position ? breaker : null)),
      blocks: { intervalMs: 3_000 },
      doubleSpends: 0,
      issueUntil: 10_000,
      settle: 60_000,
      unsafe,
    }),
    {
      trace: (e) => {
        if (e.kind === 'drop' && e.reason === 'filter' && e.msg.type === 'BlockProposal') attempts++
      },
    },
  )
  return { report, attempts }
}

/**
 * Four honest members; a double spender sends A to member 0 alone. The instant member 0's vote
 * for A leaves it, member 0 loses power (nothing unsynced survives) and comes back 300 ms later;
 * then B, spending the same coin, reaches everyone. A member that voted before its decision was
 * durable has forgotten A and Accepts B: it contradicts its own signature.
 * Attempts: crashes right after the vote.
 */
export async function crashAfterVote(
  seed: string,
  unsafe: Scenario['unsafe'] = null,
): Promise<AttackRun> {
  let attempts = 0
  const setup: RunOptions['setup'] = (world) => {
    const [payer, payee] = world.wallets
    const pair = payer!.conflictingPair(payee!.address)!
    const a = world.txidOf(pair[0])
    const victim = world.hosts.get(0)!
    world.sim.scheduler.at(1_000, () => payer!.broadcast(pair[0], [0]))
    const votesFor = (e: NetEvent<Message>) =>
      e.kind === 'send' &&
      e.from === 0 &&
      e.msg.type === 'InstantFinalityVote' &&
      e.msg.batch.leaves.some((l) => l.kind === 'txAccept' && equalBytes(l.txid, a))
    const stop = world.sim.network.observe((e) => {
      if (!votesFor(e)) return
      stop()
      // Right after this event: every effect of it is carried out, no write has synced since.
      world.sim.scheduler.after(0, () => {
        attempts++
        victim.crash(false, true)
        world.sim.scheduler.after(300, () => {
          world.restarts.push(victim.restart())
          world.sim.scheduler.after(50, () => payer!.broadcast(pair[1], [0, 1, 2, 3]))
        })
      })
    })
  }
  const report = await runScenario(
    randomScenario(seed, {
      ...CALM,
      weights: [10, 10, 10, 10],
      byzantine: [null, null, null, null],
      blocks: null,
      wallets: 2,
      payments: 0,
      doubleSpends: 0,
      issueUntil: 5_000,
      settle: 60_000,
      unsafe,
    }),
    { setup },
  )
  return { report, attempts }
}

/**
 * Committees whose Byzantine weight f is the most below W/3, with W not a multiple of 3, so that
 * ⌊2W/3⌋ + 1 and its neighbours differ in what they let through. Each: weights, which members
 * are Byzantine, and how the honest members split for a double spend (each side with f reaches
 * ⌊2W/3⌋, and only one side reaches ⌊2W/3⌋ + 1).
 */
export const BOUNDARY_COMMITTEES = [
  // W = 31, f = 10: sides 10 + 10 = 20 and 11 + 10 = 21; the quorum is 21.
  { weights: [10, 11, 10], byzantine: [2], sides: [[0], [1]] },
  // Arbitrary devnet weights, W = 31 again, two Byzantine members (4 + 6).
  {
    weights: [7, 3, 5, 6, 4, 6],
    byzantine: [4, 5],
    sides: [
      [0, 1],
      [2, 3],
    ],
  },
] as const

/**
 * Double spends split between the two honest sides of a boundary committee, its Byzantine
 * members Accepting everything. Attempts: conflicting payments issued.
 */
export async function boundarySplit(
  seed: string,
  committee: (typeof BOUNDARY_COMMITTEES)[number],
  unsafe: Scenario['unsafe'] = null,
): Promise<AttackRun> {
  const report = await runScenario(
    randomScenario(seed, {
      ...CALM,
      // Equal delays: the wallet's spend (one hop) reaches its side before the other (two hops).
      latency: { minMs: 10, maxMs: 10 },
      weights: committee.weights,
      byzantine: committee.weights.map((_, i) =>
        (committee.byzantine as readonly number[]).includes(i) ? 'equivocate' : null,
      ),
      blocks: null,
      payments: 3,
      doubleSpends: 2,
      doubleSpendGroups: [committee.sides[0], committee.sides[1]],
      issueUntil: 5_000,
      settle: 60_000,
      unsafe,
    }),
  )
  return { report, attempts: report.conflicting }
}

/**
 * The first boundary committee with its Byzantine member silent: the honest weight is exactly
 * ⌊2W/3⌋ + 1, so payments finalize only if the threshold is not one too high. Attempts: payments.
 */
export async function boundarySilent(
  seed: string,
  unsafe: Scenario['unsafe'] = null,
): Promise<AttackRun> {
  const report = await runScenario(
    randomScenario(seed, {
      ...CALM,
      weights: [10, 11, 10],
      byzantine: [null, null, 'silent'],
      blocks: null,
      payments: 4,
      doubleSpends: 0,
      issueUntil: 5_000,
      settle: 60_000,
      unsafe,
    }),
  )
  return { report, attempts: report.issued }
}
