// Mutation testing only (vitest.mutation.config.ts; `npm test` runs the full scenario in
// test/sim/consensus.test.ts): one seed of the simulator's committee-change scenario, so the
// engine's epoch paths — votes of the next epoch buffered and replayed, tallies of old epochs
// dropped, the handoff's carried locks, certificates of the previous epoch — face every mutant
// of the engine files. It takes a second or two, where the whole simulator campaign would take
// minutes per mutant. docs/TESTING.md, "Mutation testing".
import { expect, it } from 'vitest'
import { runScenario } from '../sim/consensus/run.ts'
import { randomScenario } from '../sim/consensus/scenario.ts'
import { simSeeds } from '../sim/seed.ts'

it('members join and leave every few blocks; payments finalize across the handoffs', async () => {
  const [seed] = simSeeds(1, 1500)
  const r = await runScenario(
    randomScenario(seed!, {
      weights: Array<number>(7).fill(10),
      byzantine: ['withhold-release', null, null, null, null, 'silent', null],
      partition: null,
      crashes: [],
      faults: { loss: 0.05, duplicate: 0.02, reorder: 0.05 },
      blocks: { intervalMs: 4_000 },
      standby: 3,
      issueUntil: 40_000,
      settle: 120_000,
    }),
  )
  expect({ violations: r.violations, liveness: r.liveness }).toEqual({
    violations: [],
    liveness: [],
  })
  expect(r.committeeChanges).toBeGreaterThanOrEqual(3)
  expect(r.registrations).toBeGreaterThanOrEqual(3)
  expect(Math.max(...r.tips) - Math.min(...r.tips)).toBeLessThanOrEqual(1)
}, 60_000)
