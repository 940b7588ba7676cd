// The driver: one seed (or SIM_SEED) determines a whole run, failures name that seed, and
// replaying the named seed reproduces the failure exactly.
import { describe, expect, it } from 'vitest'
import { createSim, type SimOptions } from './harness.ts'
import { parseSeed, resolveSeed, type Seed, SimFailure, simSeeds } from './seed.ts'

const base: SimOptions = { seed: 1, nodes: 4, latency: { minMs: 10, maxMs: 50 }, env: {} }

/**
 * A toy protocol with an invariant that some seeds break: every node pings every other
 * every 10 ms, and a ping must arrive within 55 ms. Returns the failure, if any.
 */
function pingRun(seed: Seed, env: Record<string, string> = {}): string | undefined {
  const sim = createSim<number>({ ...base, seed, env })
  let late: string | undefined
  for (const id of sim.nodeIds) {
    sim.network.register(id, (from, sentAt) => {
      const delay = sim.scheduler.now() - sentAt
      if (delay > 55) late = `ping ${from}→${id} took ${delay.toFixed(3)} ms`
    })
    const tick = () => {
      for (const to of sim.nodeIds) if (to !== id) sim.network.send(id, to, sim.scheduler.now())
      sim.timers(id).after(10, tick)
    }
    sim.timers(id).after(sim.prng.fork(`start ${id}`).range(0, 10), tick)
  }
  sim.invariant('pings arrive within 55 ms', () => late)
  try {
    sim.scheduler.runUntil(500)
    return undefined
  } catch (error) {
    if (error instanceof SimFailure) return error.message
    throw error
  }
}

describe('createSim', () => {
  it('wires prng, scheduler and network from one seed', () => {
    const sim = createSim<string>(base)
    expect(sim.seed).toBe(1)
    expect(sim.nodeIds).toEqual([0, 1, 2, 3])
    expect(sim.placement).toBeUndefined()
    expect(sim.scheduler.seed).toBe(1)
    expect(sim.prng.path).toBe('1')
    expect(() => createSim({ ...base, nodes: 0 })).toThrow(RangeError)
  })

  it('places nodes in regions when asked', () => {
    const sim = createSim<string>({ ...base, nodes: 10, latency: 'regions' })
    expect(sim.placement?.map((p) => p.id)).toEqual(sim.nodeIds)
    expect(new Set(sim.placement?.map((p) => p.region)).size).toBe(10)
    const again = createSim<string>({ ...base, nodes: 10, latency: 'regions' })
    expect(again.placement).toEqual(sim.placement)
  })

  it('takes SIM_SEED from the environment over the seed it was given', () => {
    expect(createSim({ ...base, env: { SIM_SEED: '77' } }).seed).toBe(77)
    expect(createSim({ ...base, env: { SIM_SEED: 'nightly-3' } }).seed).toBe('nightly-3')
    expect(createSim({ ...base, env: {} }).seed).toBe(1)
    expect(parseSeed(' 12 ')).toBe(12)
    expect(() => resolveSeed(1, { SIM_SEED: '' })).toThrow(/empty/)
    expect(() => resolveSeed(-1, {})).toThrow(RangeError)
    expect(simSeeds(3, 10, {})).toEqual([10, 11, 12])
    expect(simSeeds(3, 10, { SIM_SEED: '5' })).toEqual([5])
  })

  it('fails with the seed to replay in the message', () => {
    const sim = createSim<string>({ ...base, seed: 'replay-me' })
    expect(() => sim.failWithSeed('two certificates for one input')).toThrow(
      /two certificates for one input \[replay: SIM_SEED=replay-me\]/,
    )
    try {
      sim.failWithSeed('x')
    } catch (error) {
      expect(error).toBeInstanceOf(SimFailure)
      expect((error as SimFailure).seed).toBe('replay-me')
    }
  })

  it('bounds the events of a run and reports the seed', () => {
    const sim = createSim<string>({ ...base, seed: 4242, maxEventsPerRun: 100 })
    const spin = () => {
      sim.scheduler.after(0, spin)
    }
    spin()
    expect(() => sim.scheduler.runUntil(10)).toThrow(/livelock.*SIM_SEED=4242/)
  })

  it('cancels a node’s timers when it crashes', () => {
    const sim = createSim<string>(base)
    for (const id of sim.nodeIds) sim.network.register(id, () => {})
    const fired: number[] = []
    for (const id of sim.nodeIds) sim.timers(id).after(10, () => fired.push(id))
    sim.crash(2)
    sim.scheduler.runUntilIdle()
    expect(fired).toEqual([0, 1, 3])
    expect(sim.network.isUp(2)).toBe(false)
  })

  it('checks invariants after every event, and a failing seed replays to the same failure', () => {
    const outcomes = simSeeds(40, 1, {}).map((seed) => ({ seed, failure: pingRun(seed) }))
    const failing = outcomes.find((o) => o.failure !== undefined)
    expect(failing).toBeDefined()
    expect(outcomes.some((o) => o.failure === undefined)).toBe(true)
    const message = failing?.failure as string
    expect(message).toMatch(/invariant "pings arrive within 55 ms" violated at t=[\d.]+ ms: ping/)
    const replay = /SIM_SEED=(\S+)\]/.exec(message)?.[1] as string
    expect(replay).toBe(String(failing?.seed))
    // As a developer would: the seed in the code is ignored, the environment's is used.
    expect(pingRun('some other seed', { SIM_SEED: replay })).toBe(message)
  })
})
