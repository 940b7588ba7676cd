// Every seed a simulator campaign ever failed on, replayed as the scenario it drew then
// (test/sim/consensus/regressions.ts says what each one caught), in wire mode like every run.
import { describe, expect, it } from 'vitest'
import { REGRESSIONS } from './consensus/regressions.ts'
import { runScenario } from './consensus/run.ts'

describe('seeds campaigns failed on', () => {
  for (const { name, scenario } of REGRESSIONS) {
    it(`${name}: replays clean`, async () => {
      const r = await runScenario(scenario)
      expect({
        violations: r.violations,
        liveness: r.liveness,
        unencodable: r.unencodable,
      }).toEqual({ violations: [], liveness: [], unencodable: 0 })
      expect(r.issued).toBeGreaterThan(0)
    }, 300_000)
  }
})
