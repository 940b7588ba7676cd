// Named adversarial scenarios (test/sim/consensus/attacks.ts), each run twice: with the protocol's
// rules it must stay clean, and with the one rule it tests broken the oracle must report a safety
// violation (or, for a threshold set too high, a liveness failure) — proof that the scenario can
// fail. docs/TESTING.md lists which fault of the code each scenario was checked to catch. Also
// here: fixed seeds whose committees have more than 25 members.
import { describe, expect, it } from 'vitest'
import {
  type AttackRun,
  BOUNDARY_COMMITTEES,
  boundarySilent,
  boundarySplit,
  crashAfterVote,
  forgery,
  lockBreak,
} from './consensus/attacks.ts'
import { runSeeds } from './consensus/campaign.ts'
import type { RunReport } from './consensus/run.ts'
import { randomScenario } from './consensus/scenario.ts'

// A hang guard, not a timing target: generous, so a busy 2-core machine does not trip it.
const TIMEOUT = 300_000

function expectClean({ report, attempts }: AttackRun) {
  expect({ seed: report.seed, violations: report.violations, liveness: report.liveness }).toEqual({
    seed: report.seed,
    violations: [],
    liveness: [],
  })
  expect(attempts).toBeGreaterThan(0)
}

function caught(runs: readonly AttackRun[], pattern: RegExp): RunReport[] {
  for (const r of runs) expect(r.attempts).toBeGreaterThan(0)
  return runs.map((r) => r.report).filter((r) => r.violations.some((v) => pattern.test(v)))
}

describe('forgers: members that claim other members’ signatures', () => {
  it(
    'change nothing while every signature is checked and every voter counted once',
    async () => {
      for (const seed of ['forge-1', 'forge-2', 'forge-3']) expectClean(await forgery(seed))
      // Arbitrary devnet weights, the forger heaviest but below a third.
      expectClean(await forgery('forge-devnet', null, [300, 120, 95, 170, 88, 140, 230]))
    },
    TIMEOUT,
  )

  it(
    'a vote batch accepted without its signature: forged Accepts finalize both spends',
    async () => {
      const runs = [await forgery('forge-1', 'unchecked-batch-signatures')]
      runs.push(await forgery('forge-2', 'unchecked-batch-signatures'))
      expect(caught(runs, /finalized by|LEDGER_DOUBLE_FINALITY|no quorum of signed/)).toHaveLength(
        2,
      )
    },
    TIMEOUT,
  )

  it(
    'a certificate whose last entry goes unchecked: one forged entry completes a quorum',
    async () => {
      const runs: AttackRun[] = []
      for (const seed of ['forge-1', 'forge-2', 'forge-3'])
        runs.push(await forgery(seed, 'unchecked-last-entry'))
      expect(
        caught(runs, /LEDGER_DOUBLE_FINALITY|finalized by|no quorum of signed/).length,
      ).toBeGreaterThan(0)
    },
    TIMEOUT,
  )
})

describe('persist before send', () => {
  it(
    'a member that loses power the instant its vote left still holds that vote after restarting',
    async () => {
      for (const seed of ['persist-1', 'persist-2', 'persist-3']) {
        const run = await crashAfterVote(seed)
        expectClean(run)
        // The first spend became final; the second one never did.
        expect(run.report.finalizedAtWallets).toBe(1)
      }
    },
    TIMEOUT,
  )

  it(
    'a store that acknowledges before the write is durable: the early vote and the contradiction after the crash are reported',
    async () => {
      const run = await crashAfterVote('persist-1', 'ack-before-sync')
      const [report] = caught([run], /before its txAccept of \w+ in epoch 0 was durable/)
      expect(report!.violations.join('\n')).toMatch(/honest mn0 Accepted \w+ and \w+/)
    },
    TIMEOUT,
  )
})

describe('TimeLock: a lock on a precommitted block', () => {
  it(
    'holds against a fresh proposal in the next attempt, and the chain goes on',
    async () => {
      for (const [seed, position] of [
        ['lock-1', 1],
        ['lock-2', 2],
        ['lock-3', 3],
      ] as const) {
        const run = await lockBreak(seed, position)
        expectClean(run)
        expect(Math.min(...run.report.tips)).toBeGreaterThanOrEqual(5)
      }
    },
    TIMEOUT,
  )

  it(
    'ignored when prevoting: two blocks are certified at one height',
    async () => {
      const runs: AttackRun[] = []
      for (const [seed, position] of [
        ['lock-1', 1],
        ['lock-3', 3],
      ] as const)
        runs.push(await lockBreak(seed, position, 'prevote-ignores-lock'))
      expect(caught(runs, /block certificates buildable for/)).toHaveLength(2)
    },
    TIMEOUT,
  )
})

describe('TimeLock: a lock against an older block re-proposed', () => {
  it(
    'holds: members locked in attempt 1 refuse a block re-proposed with valid attempt 0',
    async () => {
      for (const position of [0, 1, 2, 3]) {
        const run = await lockBreak(`relock-${position}`, position, null, 'relock-breaker')
        expectClean(run)
        expect(Math.min(...run.report.tips)).toBeGreaterThanOrEqual(5)
      }
    },
    TIMEOUT,
  )

  it(
    'ignored for re-proposals: two blocks are certified at one height',
    async () => {
      const runs: AttackRun[] = []
      for (const position of [0, 2])
        runs.push(
          await lockBreak(
            `relock-${position}`,
            position,
            'reproposal-ignores-lock',
            'relock-breaker',
          ),
        )
      expect(caught(runs, /block certificates buildable for/)).toHaveLength(2)
    },
    TIMEOUT,
  )
})

describe('unequal weights: the quorum at its boundary', () => {
  it(
    'Byzantine weight just under W/3 on both sides of a double spend certifies only one side',
    async () => {
      for (const committee of BOUNDARY_COMMITTEES)
        for (const seed of ['boundary-1', 'boundary-2'])
          expectClean(await boundarySplit(seed, committee))
      expectClean(await boundarySilent('boundary-1'))
    },
    TIMEOUT,
  )

  it(
    'a threshold one below ⌊2W/3⌋ + 1 certifies both sides',
    async () => {
      const runs: AttackRun[] = []
      for (const committee of BOUNDARY_COMMITTEES)
        runs.push(await boundarySplit('boundary-1', committee, 'threshold-minus-one'))
      expect(
        caught(runs, /LEDGER_DOUBLE_FINALITY|finalized by|conflicting certificates buildable/),
      ).toHaveLength(2)
    },
    TIMEOUT,
  )

  it(
    'a threshold one above leaves payments unfinished when the honest weight is exactly the quorum',
    async () => {
      const { report } = await boundarySilent('boundary-1', 'threshold-plus-one')
      expect(report.violations).toEqual([])
      expect(report.liveness.join('\n')).toMatch(/never became final at its wallet/)
    },
    TIMEOUT,
  )
})

describe('fixed seeds with committees above 25 members', () => {
  it(
    '40- and 100-member committees (equal, tier and devnet weights): no violation, every honest payment final',
    async () => {
      const seeds = [13, 52, 64, 73, 111, 119]
      const sizes = seeds.map((s) => randomScenario(s).weights.length)
      expect(Math.min(...sizes)).toBeGreaterThan(25)
      expect(sizes).toContain(100)
      const { summary, reports } = await runSeeds(seeds)
      for (const r of reports)
        expect({ seed: r.seed, violations: r.violations, liveness: r.liveness }).toEqual({
          seed: r.seed,
          violations: [],
          liveness: [],
        })
      expect(summary.byzantineRuns).toBeGreaterThan(0)
      expect(summary.finalized).toBeGreaterThan(0)
    },
    TIMEOUT,
  )
})
