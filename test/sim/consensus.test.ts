// The consensus simulator in `npm test`: a fixed set of seeds over random scenarios, named
// liveness scenarios, Byzantine weight just under a third, and deliberately unsafe rules whose
// violations the oracle must report (proof that the checks can fail).
import { describe, expect, it } from 'vitest'
import { computeTxid, txidToHex } from '../../src/core/index.ts'
import { runSeeds } from './consensus/campaign.ts'
import { runScenario } from './consensus/run.ts'
import { randomScenario, type Scenario } from './consensus/scenario.ts'
import { simSeeds } from './seed.ts'

// A hang guard, not a timing target: generous, so a busy 2-core machine does not trip it.
const TIMEOUT = 300_000

/** Equal members (weight 10 each), Byzantine as given, no partition and no crashes. */
function calm(byzantine: Scenario['byzantine']): Partial<Scenario> {
  return {
    weights: Array<number>(byzantine.length).fill(10),
    byzantine,
    partition: null,
    crashes: [],
  }
}

/** No violation, no liveness failure, and (wire mode) every message had a wire encoding. */
function expectClean(r: {
  seed: string
  violations: readonly string[]
  liveness: readonly string[]
  unencodable: number
}) {
  const { seed, violations, liveness, unencodable } = r
  expect({ seed, violations, liveness, unencodable }).toEqual({
    seed,
    violations: [],
    liveness: [],
    unencodable: 0,
  })
}

const small: Partial<Scenario> = {}

describe('consensus simulation', () => {
  it(
    'fixed seeds: no violation, every honest payment final',
    async () => {
      const seeds = simSeeds(48).filter((s) => randomScenario(s).weights.length <= 25)
      const { summary, reports } = await runSeeds(seeds, small)
      for (const r of reports) expectClean(r)
      expect(summary.byzantineRuns).toBeGreaterThan(0)
      expect(summary.committeeChanges).toBeGreaterThan(0)
      expect(summary.finalized).toBeGreaterThan(0)
    },
    TIMEOUT,
  )

  it(
    'liveness after a 15-minute partition heals',
    async () => {
      for (const seed of simSeeds(3, 900)) {
        const base = randomScenario(seed, { crashes: [], unsafe: null })
        const n = base.weights.length
        const minority = [...Array(Math.max(1, Math.floor(n / 3))).keys()]
        const majority = [...Array(n).keys()].filter((i) => !minority.includes(i))
        const r = await runScenario({
          ...base,
          partition: { groups: [minority, majority], from: 500, to: 500 + 15 * 60_000 },
          issueUntil: 10_000,
        })
        expectClean(r)
        expect(r.finalizedAtWallets).toBeGreaterThanOrEqual(r.issued - r.conflicting)
      }
    },
    TIMEOUT,
  )

  it(
    'liveness with 30% message loss and wallets that each have one honest peer',
    async () => {
      for (const seed of simSeeds(4, 950)) {
        const r = await runScenario(
          randomScenario(seed, {
            faults: { loss: 0.3, duplicate: 0.05, reorder: 0.1 },
            walletPeers: 1,
          }),
        )
        expectClean(r)
        expect(r.finalizedAtWallets).toBeGreaterThanOrEqual(r.issued - r.conflicting)
      }
    },
    TIMEOUT,
  )

  it(
    'chained payments whose parent certificate reaches 40% of the weight late',
    async () => {
      let chained = 0
      for (const seed of simSeeds(4, 1100)) {
        const weights = Array<number>(10).fill(10)
        const late = new Set([0, 1, 2, 3]) // 40% of the weight
        const r = await runScenario(
          randomScenario(seed, {
            weights,
            byzantine: Array(10).fill(null),
            payments: 14,
            doubleSpends: 0,
            issueUntil: 20_000,
            partition: null,
            crashes: [],
          }),
          {
            // For the first 30 s the late nodes hear no one else's votes or certificates, so they
            // see children of payments before those payments are final to them.
            setup: (world) =>
              world.sim.network.setFilter((from, to, m) =>
                world.sim.scheduler.now() < 30_000 &&
                late.has(to) &&
                !late.has(from) &&
                (m.type === 'InstantFinalityVote' || m.type === 'FinalityCertificate')
                  ? 'drop'
                  : 'deliver',
              ),
          },
        )
        expectClean(r)
        chained += r.chained
      }
      expect(chained).toBeGreaterThan(0)
    },
    TIMEOUT,
  )

  it(
    'equivocators and double spenders with Byzantine weight just under W/3 never finalize a conflict',
    async () => {
      for (const seed of simSeeds(6, 1000)) {
        const weights = Array<number>(7).fill(10) // W = 70; two Byzantine nodes weigh 20 < 23.3
        const r = await runScenario(
          randomScenario(seed, {
            weights,
            byzantine: ['equivocate', 'equivocate', null, null, null, null, null],
            doubleSpends: 3,
            partition: null,
          }),
        )
        expectClean(r)
        expect(r.conflicting).toBeGreaterThan(0)
      }
    },
    TIMEOUT,
  )
})

describe('blocks', () => {
  it(
    'every honest masternode commits the same chain, confirming the final payments, with a silent third',
    async () => {
      for (const seed of simSeeds(3, 1200)) {
        const r = await runScenario(
          randomScenario(seed, {
            ...calm(['silent', null, null, 'silent', null, null, null]),
            faults: { loss: 0.05, duplicate: 0.02, reorder: 0.05 },
            blocks: { intervalMs: 5_000 },
            issueUntil: 20_000,
            settle: 60_000,
          }),
        )
        expectClean(r)
        // 80 s of simulated time, one block per 5 s plus voting, and a silent proposer costs an
        // attempt (timeouts) whenever it is scheduled: well above 5 blocks, unless the chain stalls.
        expect(Math.min(...r.tips)).toBeGreaterThanOrEqual(5)
        expect(Math.max(...r.tips) - Math.min(...r.tips)).toBeLessThanOrEqual(1)
      }
    },
    TIMEOUT,
  )
})

describe('a full mempool', () => {
  it(
    'refuses before voting, and every payment still becomes final once blocks make room',
    async () => {
      for (const seed of simSeeds(3, 1400)) {
        const r = await runScenario(
          randomScenario(seed, {
            ...calm([null, null, null, null]),
            faults: { loss: 0, duplicate: 0, reorder: 0 },
            mempool: { maxCount: 3, maxBytes: 1_000_000 },
            blocks: { intervalMs: 2_000 },
            wallets: 5,
            payments: 15,
            doubleSpends: 0,
            issueUntil: 5_000,
            settle: 120_000,
          }),
        )
        expectClean(r)
        expect(r.finalizedAtWallets).toBe(r.issued)
        expect(r.issued).toBeGreaterThan(6) // more than the mempool holds at once
      }
    },
    TIMEOUT,
  )
})

describe('blocks under equivocating leaders', () => {
  it(
    'leaders sending different proposals (and votes) to different halves never split the chain',
    async () => {
      for (const seed of simSeeds(3, 1300)) {
        const r = await runScenario(
          randomScenario(seed, {
            // two equivocators weigh 20 < 70/3
            ...calm(['equivocate', null, null, null, 'equivocate', null, null]),
            blocks: { intervalMs: 3_000 },
            issueUntil: 20_000,
            settle: 60_000,
          }),
        )
        expectClean(r)
        expect(Math.min(...r.tips)).toBeGreaterThanOrEqual(5)
      }
    },
    TIMEOUT,
  )
})

/** Four equal members, a gold standby node that joins (and leaves), a double spend at the seal. */
const handoffAttack = (seed: string, unsafe: Scenario['unsafe']): Scenario =>
  randomScenario(seed, {
    ...calm([null, null, null, null]),
    latency: { minMs: 5, maxMs: 20 },
    faults: { loss: 0, duplicate: 0, reorder: 0 },
    wallets: 2,
    walletPeers: 2,
    payments: 0,
    doubleSpends: 0,
    issueUntil: 1_000,
    settle: 120_000,
    unsafe,
    blocks: { intervalMs: 5_000 },
    standby: 1,
    standbyTiers: ['gold'],
    handoffDoubleSpend: true,
  })

describe('committee changes', () => {
  it(
    'members join and leave every few blocks; payments finalize across the handoffs',
    async () => {
      for (const seed of simSeeds(3, 1500)) {
        const r = await runScenario(
          randomScenario(seed, {
            ...calm(['withhold-release', null, null, null, null, 'silent', null]),
            faults: { loss: 0.05, duplicate: 0.02, reorder: 0.05 },
            blocks: { intervalMs: 4_000 },
            standby: 3,
            issueUntil: 40_000,
            settle: 120_000,
          }),
        )
        expectClean(r)
        expect(r.committeeChanges).toBeGreaterThanOrEqual(3)
        expect(r.registrations).toBeGreaterThanOrEqual(3)
        // Standby nodes follow the chain while they do not vote.
        expect(Math.max(...r.tips) - Math.min(...r.tips)).toBeLessThanOrEqual(1)
      }
    },
    TIMEOUT,
  )

  it(
    'a leader omitting carried locks: its blocks are refused, the chain goes on',
    async () => {
      let omissions = 0
      for (const seed of ['omit-1', 'omit-2', 'omit-4']) {
        const r = await runScenario(
          randomScenario(seed, {
            ...calm(['omit-carried', null, null, null]),
            latency: { minMs: 5, maxMs: 20 },
            faults: { loss: 0, duplicate: 0, reorder: 0 },
            wallets: 3,
            walletPeers: 2,
            payments: 12,
            doubleSpends: 1,
            issueUntil: 30_000,
            settle: 120_000,
            blocks: { intervalMs: 3_000 },
            standby: 2,
            handoffDoubleSpend: true,
            cheapRegistrations: false,
          }),
          {
            trace: (e) => {
              if (e.kind !== 'send' || e.from !== 0 || e.msg.type !== 'BlockProposal') return
              const { block, reports } = e.msg.proposal
              const confirmed = new Set(block.transactions.map((tx) => txidToHex(computeTxid(tx))))
              const reported = new Set(
                reports.flatMap((r) => r.txids.map(txidToHex)).filter((id) => !confirmed.has(id)),
              )
              if (reported.size > block.carried.length) omissions++
            },
          },
        )
        expectClean(r)
        expect(r.committeeChanges).toBeGreaterThan(3)
      }
      expect(omissions).toBeGreaterThan(0)
    },
    TIMEOUT,
  )

  it(
    'a double spend timed at the seal: the new committee never certifies the second spend',
    async () => {
      for (const seed of ['handoff-1', 'handoff-2', 'handoff-3']) {
        const r = await runScenario(handoffAttack(seed, null))
        expectClean(r)
        expect(r.committeeChanges).toBeGreaterThan(0)
        // Both spends were issued: the old committee got one, the new committee the other.
        expect(r.conflicting).toBe(2)
      }
    },
    TIMEOUT,
  )
})

describe('the oracle catches unsafe rules', () => {
  const doubleSpendHeavy = (seed: number, unsafe: Scenario['unsafe']): Scenario =>
    randomScenario(seed, {
      weights: [10, 10, 10, 10],
      byzantine: [null, null, null, null],
      doubleSpends: 4,
      payments: 2,
      partition: null,
      crashes: [],
      faults: { loss: 0, duplicate: 0, reorder: 0 },
      unsafe,
    })

  it(
    'a threshold of W/2 lets two conflicting payments finalize',
    async () => {
      // The first seed that shows the violation settles it: a caught run's oracle keeps finding
      // more, which costs minutes on a loaded machine for nothing.
      const reports = []
      for (let seed = 1; seed <= 6; seed++) {
        const r = await runScenario(doubleSpendHeavy(seed, 'half-threshold'))
        reports.push(r)
        if (r.violations.length > 0) break
      }
      const caught = reports.filter((r) => r.violations.length > 0)
      expect(caught.length).toBeGreaterThan(0)
      expect(caught[0]!.violations.join('\n')).toMatch(
        /conflicting certificates buildable|finalized by/,
      )
    },
    TIMEOUT,
  )

  it(
    'voters that Accept conflicting transactions let both be certified',
    async () => {
      const reports = []
      for (let seed = 1; seed <= 6; seed++) {
        const r = await runScenario(doubleSpendHeavy(seed, 'accept-conflicts'))
        reports.push(r)
        if (r.violations.some((v) => v.includes('conflicting certificates buildable'))) break
      }
      expect(
        reports.some((r) =>
          r.violations.some((v) => v.includes('conflicting certificates buildable')),
        ),
      ).toBe(true)
    },
    TIMEOUT,
  )

  it(
    'a handoff without seals lets the incoming committee certify a conflicting spend',
    async () => {
      const reports = []
      for (const seed of ['handoff-1', 'handoff-2', 'handoff-3'])
        reports.push(await runScenario(handoffAttack(seed, 'handoff-without-seals')))
      const caught = reports.filter((r) =>
        r.violations.some((v) => v.includes('conflicting certificates buildable')),
      )
      expect(caught.length).toBeGreaterThan(0)
    },
    TIMEOUT,
  )

  it(
    'Byzantine weight of a third or more breaks safety, and the oracle says so',
    async () => {
      const reports = []
      for (let seed = 1; seed <= 6; seed++) {
        reports.push(
          await runScenario(
            randomScenario(seed, {
              weights: [10, 10, 10, 10],
              byzantine: ['equivocate', 'equivocate', null, null],
              doubleSpends: 4,
              partition: null,
              crashes: [],
            }),
          ),
        )
      }
      expect(reports.some((r) => r.violations.length > 0)).toBe(true)
    },
    TIMEOUT,
  )
})
