// The simulated network: replayable delivery schedules, and each fault doing what it says —
// loss, duplication, reordering, partitions (drop and hold), crashes, per-link overrides and
// the adversary's filter — with every message accounted for.
import { describe, expect, it } from 'vitest'
import { createSim, type Sim, type SimOptions } from './harness.ts'
import { regionLatency } from './latency.ts'
import { type NodeId, SimNetwork, type WireCodec } from './network.ts'
import { Prng } from './prng.ts'
import { azureRegionRtt } from './regions.ts'
import { Scheduler } from './scheduler.ts'
import type { Seed } from './seed.ts'

type Delivery = [time: number, from: NodeId, to: NodeId, msg: string]

interface Rig {
  readonly sim: Sim<string>
  readonly log: Delivery[]
}

/** A sim whose nodes log every delivery; env is empty so SIM_SEED cannot change these seeds. */
function rig(seed: Seed, options: Partial<SimOptions> = {}): Rig {
  const sim = createSim<string>({
    seed,
    nodes: 6,
    latency: { minMs: 20, maxMs: 80 },
    env: {},
    ...options,
  })
  const log: Delivery[] = []
  for (const id of sim.nodeIds) {
    sim.network.register(id, (from, msg) => log.push([sim.scheduler.now(), from, id, msg]))
  }
  return { sim, log }
}

/** `count` messages between random distinct nodes at random times in [0, spanMs). */
function traffic(sim: Sim<string>, count: number, spanMs: number): void {
  const prng = sim.prng.fork('traffic')
  const n = sim.nodeIds.length
  for (let i = 0; i < count; i++) {
    const from = prng.int(n)
    const to = (from + 1 + prng.int(n - 1)) % n
    sim.scheduler.at(prng.range(0, spanMs), () => sim.network.send(from, to, `m${i}`))
  }
}

/** Sends `count` messages from → to, one every `everyMs`, starting now. */
function stream(sim: Sim<string>, from: NodeId, to: NodeId, count: number, everyMs = 1): void {
  for (let i = 0; i < count; i++) {
    sim.scheduler.after(i * everyMs, () => sim.network.send(from, to, `${from}>${to}#${i}`))
  }
}

const faulty = { loss: 0.1, duplicate: 0.1, reorder: 0.1 }

function traceOf(seed: Seed): Delivery[] {
  const { sim, log } = rig(seed, { faults: faulty })
  traffic(sim, 2000, 1000)
  sim.scheduler.runUntilIdle()
  return log
}

function idleAndBalanced<M>(sim: Sim<M>): void {
  sim.scheduler.runUntilIdle()
  expect(sim.network.inFlight).toBe(0)
  sim.network.checkAccounting()
}

describe('SimNetwork', () => {
  it('replays: the same seed gives the same delivery trace, another seed a different one', () => {
    const a = traceOf(1)
    expect(a.length).toBeGreaterThan(1500)
    expect(traceOf(1)).toEqual(a)
    expect(traceOf(2)).not.toEqual(a)
  })

  it('fixes a base delay per link in the range and adds non-negative jitter per message', () => {
    const { sim, log } = rig(3, { jitterFraction: 0 })
    for (const from of sim.nodeIds)
      for (const to of sim.nodeIds) if (from !== to) stream(sim, from, to, 3, 10)
    idleAndBalanced(sim)
    for (const [time, from, to, msg] of log) {
      const i = Number(msg.split('#')[1])
      const delay = time - i * 10
      expect(delay).toBe(sim.latency.base(from, to))
      expect(delay).toBeGreaterThanOrEqual(20)
      expect(delay).toBeLessThan(80)
      expect(sim.latency.base(to, from)).toBe(delay)
    }
    const jittered = rig(3)
    stream(jittered.sim, 0, 1, 200, 0)
    jittered.sim.scheduler.runUntilIdle()
    const base = jittered.sim.latency.base(0, 1)
    expect(jittered.log.every(([t]) => t >= base)).toBe(true)
    expect(new Set(jittered.log.map(([t]) => t)).size).toBe(200)
  })

  it('loses messages at the configured rate', () => {
    const { sim, log } = rig(4, { faults: { loss: 0.2 } })
    stream(sim, 0, 1, 20_000)
    idleAndBalanced(sim)
    const { sent, dropped } = sim.network.stats
    expect(sent).toBe(20_000)
    expect(dropped.loss / sent).toBeGreaterThan(0.19)
    expect(dropped.loss / sent).toBeLessThan(0.21)
    expect(log.length + dropped.loss).toBe(sent)
  })

  it('duplicates messages, each copy with its own delay', () => {
    const { sim, log } = rig(5, { faults: { duplicate: 0.25 } })
    stream(sim, 0, 1, 10_000)
    idleAndBalanced(sim)
    const { sent, delivered, duplicated } = sim.network.stats
    expect(duplicated / sent).toBeGreaterThan(0.24)
    expect(duplicated / sent).toBeLessThan(0.26)
    expect(delivered).toBe(sent + duplicated)
    const times = new Map<string, number[]>()
    for (const [t, , , msg] of log) times.set(msg, [...(times.get(msg) ?? []), t])
    const twice = [...times.values()].filter((ts) => ts.length === 2)
    expect(twice).toHaveLength(duplicated)
    expect(twice.some(([x, y]) => x !== y)).toBe(true)
  })

  it('reorders through jitter and the reorder fault, and never with fifo', () => {
    const inversions = (log: Delivery[]) => {
      const seq = log.map(([, , , msg]) => Number(msg.split('#')[1]))
      return seq.filter((x, i) => i > 0 && x < (seq[i - 1] as number)).length
    }
    const run = (options: Partial<SimOptions>) => {
      const { sim, log } = rig(6, options)
      stream(sim, 0, 1, 1000)
      idleAndBalanced(sim)
      return inversions(log)
    }
    expect(run({})).toBeGreaterThan(50)
    expect(run({ fifo: true })).toBe(0)
    expect(run({ jitterFraction: 0 })).toBe(0)
    expect(run({ jitterFraction: 0, faults: { reorder: 0.2, reorderMaxMs: 50 } })).toBeGreaterThan(
      50,
    )
    expect(run({ fifo: true, faults: { reorder: 0.5, duplicate: 0.5 } })).toBe(0)
  })

  it('drops messages across a partition until it heals', () => {
    const { sim, log } = rig(7)
    sim.network.partition(
      [
        [0, 1, 2],
        [3, 4, 5],
      ],
      { healAt: 1000 },
    )
    traffic(sim, 3000, 2000)
    idleAndBalanced(sim)
    const cross = (from: NodeId, to: NodeId) => from < 3 !== to < 3
    const crossLog = log.filter(([, from, to]) => cross(from, to))
    expect(crossLog.length).toBeGreaterThan(500)
    expect(crossLog.every(([t]) => t >= 1000)).toBe(true)
    expect(log.some(([t, from, to]) => t < 1000 && !cross(from, to))).toBe(true)
    const { dropped, sent, delivered } = sim.network.stats
    expect(dropped.partition).toBeGreaterThan(300)
    expect(delivered + dropped.partition).toBe(sent)
  })

  it('in hold mode delivers every cross-partition message after the heal', () => {
    const { sim, log } = rig(8)
    const heldAt = new Map<string, number>()
    sim.network.observe((e) => {
      if (e.kind === 'hold') heldAt.set(e.msg, e.time)
    })
    sim.network.partition(
      [
        [0, 1, 2],
        [3, 4, 5],
      ],
      { healAt: 1000, mode: 'hold' },
    )
    traffic(sim, 3000, 2000)
    sim.scheduler.runUntil(999)
    expect(sim.network.heldNow).toBeGreaterThan(300)
    expect(sim.network.separated(0, 3)).toBe(true)
    sim.network.checkAccounting()
    idleAndBalanced(sim)
    const { dropped, sent, delivered, held } = sim.network.stats
    expect(delivered).toBe(sent)
    expect(dropped.partition).toBe(0)
    expect(sim.network.heldNow).toBe(0)
    expect(held).toBe(heldAt.size)
    // Nothing crosses before the heal; a held message leaves at the heal and takes a full delay.
    expect(log.some(([t, from, to]) => t < 1000 && from < 3 !== to < 3)).toBe(false)
    for (const [t, from, to, msg] of log) {
      if (heldAt.has(msg)) expect(t).toBeGreaterThanOrEqual(1000 + sim.latency.base(from, to))
    }
  })

  it('puts unlisted nodes in one group, and a replaced partition ignores the old heal time', () => {
    const { sim } = rig(9)
    sim.network.partition([[0]], { healAt: 100 })
    expect(sim.network.separated(0, 1)).toBe(true)
    expect(sim.network.separated(1, 2)).toBe(false)
    sim.network.partition([[0, 1]])
    sim.scheduler.runUntil(200)
    expect(sim.network.separated(1, 2)).toBe(true)
    sim.network.heal()
    expect(sim.network.separated(1, 2)).toBe(false)
    expect(() => sim.network.partition([[0], [0, 1]])).toThrow(/two partition groups/)
  })

  it('drops messages in flight to a crashed node, even after it restarts', () => {
    const { sim, log } = rig(10, { jitterFraction: 0 })
    const base = sim.latency.base(0, 1)
    sim.network.send(0, 1, 'in flight at the crash')
    sim.scheduler.runUntil(5)
    sim.crash(1)
    expect(sim.network.isUp(1)).toBe(false)
    sim.network.send(0, 1, 'sent while down')
    sim.network.send(1, 0, 'sent by the dead')
    sim.scheduler.runUntil(10)
    sim.network.restart(1, (from, msg) => log.push([sim.scheduler.now(), from, 1, msg]))
    sim.network.send(0, 1, 'after restart')
    idleAndBalanced(sim)
    expect(log).toEqual([[10 + base, 0, 1, 'after restart']])
    const { dropped } = sim.network.stats
    expect(dropped['receiver-down']).toBe(2)
    expect(dropped['sender-down']).toBe(1)
    expect(() => sim.network.restart(1, () => {})).toThrow(/running/)
    expect(() => sim.network.register(1, () => {})).toThrow(/already registered/)
  })

  it('applies a per-link override to one direction only, and removes it', () => {
    const { sim, log } = rig(11)
    sim.network.setLinkFaults(3, 5, { loss: 1 })
    stream(sim, 3, 5, 100)
    stream(sim, 5, 3, 100)
    idleAndBalanced(sim)
    expect(log.filter(([, from]) => from === 3)).toHaveLength(0)
    expect(log.filter(([, from]) => from === 5)).toHaveLength(100)
    sim.network.setLinkFaults(3, 5, undefined)
    stream(sim, 3, 5, 100)
    idleAndBalanced(sim)
    expect(log.filter(([, from]) => from === 3)).toHaveLength(100)
  })

  it('changes faults during a run', () => {
    const { sim, log } = rig(12)
    stream(sim, 0, 1, 200)
    sim.scheduler.at(99.5, () => sim.network.setFaults({ loss: 1 }))
    idleAndBalanced(sim)
    const sentAt = log.map(([, , , msg]) => Number(msg.split('#')[1]))
    expect(sentAt).toHaveLength(100)
    expect(Math.max(...sentAt)).toBe(99)
    expect(sim.network.faults.loss).toBe(1)
  })

  it('lets an adversary drop or delay chosen messages', () => {
    const { sim, log } = rig(13, { jitterFraction: 0 })
    sim.network.setFilter((from, _to, msg) =>
      msg.includes('evil') ? 'drop' : from === 0 ? 500 : 'deliver',
    )
    sim.network.send(2, 1, 'evil')
    sim.network.send(0, 1, 'slow')
    sim.network.send(2, 1, 'plain')
    idleAndBalanced(sim)
    expect(log.map(([t, , , msg]) => [msg, t])).toEqual([
      ['plain', sim.latency.base(2, 1)],
      ['slow', 500 + sim.latency.base(0, 1)],
    ])
    expect(sim.network.stats.dropped.filter).toBe(1)
    sim.network.setFilter(() => -1)
    expect(() => sim.network.send(0, 1, 'x')).toThrow(/SIM_SEED=13/)
  })

  it('delivers a node its own messages at once, whatever the faults', () => {
    const { sim, log } = rig(14, { faults: { loss: 1 } })
    sim.network.partition([[0], [1]])
    sim.scheduler.runUntil(3)
    sim.network.send(0, 0, 'note to self')
    idleAndBalanced(sim)
    expect(log).toEqual([[3, 0, 0, 'note to self']])
  })

  it('tells its observers about every send, hold, delivery and drop', () => {
    const { sim } = rig(15, { faults: faulty })
    const kinds = new Map<string, number>()
    const stop = sim.network.observe((e) => kinds.set(e.kind, (kinds.get(e.kind) ?? 0) + 1))
    traffic(sim, 500, 100)
    idleAndBalanced(sim)
    stop()
    const { sent, delivered, dropped } = sim.network.stats
    expect(kinds.get('send')).toBe(sent)
    expect(kinds.get('deliver')).toBe(delivered)
    expect(kinds.get('drop')).toBe(dropped.loss)
  })
})

describe('wire mode', () => {
  /** Messages are objects; the wire is JSON bytes, and `{ bad: true }` has no encoding. */
  const wire: WireCodec<{ n: number }> = {
    encode: (m) => {
      if ('bad' in m) throw new Error('no encoding')
      return new TextEncoder().encode(JSON.stringify(m))
    },
    decode: (b) => JSON.parse(new TextDecoder().decode(b)),
  }

  function wired(seed: Seed, decode = wire.decode) {
    const sim = createSim<{ n: number }>({
      seed,
      nodes: 3,
      latency: { minMs: 5, maxMs: 10 },
      env: {},
      faults: { duplicate: 0.5 },
      wire: { encode: wire.encode, decode },
    })
    const got: { from: NodeId; to: NodeId; msg: { n: number } }[] = []
    for (const id of sim.nodeIds)
      sim.network.register(id, (from, msg) => got.push({ from, to: id, msg }))
    return { sim, got }
  }

  it('delivers a decoded copy to each receiver, never the sent object; to itself, the object', () => {
    const { sim, got } = wired(20)
    const sent = { n: 7 }
    for (let i = 0; i < 40; i++) {
      sim.network.send(0, 1, sent)
      sim.network.send(0, 2, sent)
    }
    sim.network.send(0, 0, sent)
    idleAndBalanced(sim)
    expect(sim.network.stats.duplicated).toBeGreaterThan(0)
    const others = got.filter((g) => g.to !== 0)
    expect(others.length).toBe(80 + sim.network.stats.duplicated)
    for (const g of others) {
      expect(g.msg).toEqual(sent)
      expect(g.msg).not.toBe(sent)
    }
    expect(new Set(others.map((g) => g.msg)).size).toBe(others.length)
    expect(got.find((g) => g.to === 0)?.msg).toBe(sent)
  })

  it('drops a message that has no encoding, and accounts for it', () => {
    const { sim, got } = wired(21)
    sim.network.send(0, 1, { bad: true } as never)
    sim.network.send(0, 1, { n: 1 })
    idleAndBalanced(sim)
    expect(sim.network.stats.dropped.unencodable).toBe(1)
    expect(got.map((g) => g.msg)).toEqual([{ n: 1 }])
  })

  it('fails the run with its seed if what was encoded does not decode', () => {
    const { sim } = wired(22, () => {
      throw new Error('codec bug')
    })
    sim.network.send(0, 1, { n: 1 })
    expect(() => sim.scheduler.runUntilIdle()).toThrow(/does not decode.*SIM_SEED=22/)
  })
})

describe('region latency', () => {
  const matrix = azureRegionRtt()
  // West Europe ↔ East US: 85 and 83 ms in the CSV, so RTT 84 and one way 42 ms.
  const placement = [
    { id: 0, region: 'West Europe', accessMs: 3 },
    { id: 1, region: 'East US', accessMs: 5 },
  ]
  const expectedBase = 84 / 2 + 3 + 5

  function meanOneWay(jitterFraction: number): number {
    const scheduler = new Scheduler({ seed: 'regions' })
    const network = new SimNetwork<number>({
      scheduler,
      prng: Prng.fromSeed('regions'),
      latency: regionLatency(matrix, placement, { jitterFraction }),
    })
    let total = 0
    let count = 0
    network.register(0, () => {})
    network.register(1, (_from, sentAt) => {
      total += scheduler.now() - sentAt
      count++
    })
    for (let i = 0; i < 20_000; i++) scheduler.at(i, () => network.send(0, 1, i))
    scheduler.runUntilIdle()
    expect(count).toBe(20_000)
    return total / count
  }

  it('is RTT/2 plus both access delays, exactly without jitter', () => {
    expect(meanOneWay(0)).toBe(expectedBase)
  })

  it('averages RTT/2 + access delays + the jitter mean with jitter on', () => {
    const mean = meanOneWay(0.1)
    expect(Math.abs(mean - expectedBase * 1.1) / (expectedBase * 1.1)).toBeLessThan(0.01)
  })

  it('gives a 100-node sim over all regions a spread of link delays from the data', () => {
    const sim = createSim<string>({ seed: 16, nodes: 100, latency: 'regions', env: {} })
    const placed = sim.placement ?? []
    expect(placed).toHaveLength(100)
    const rtts: number[] = []
    for (const a of placed) {
      for (const b of placed) {
        if (a.id >= b.id) continue
        const base = sim.latency.base(a.id, b.id)
        expect(base).toBe(matrix.rtt(a.region, b.region) / 2 + a.accessMs + b.accessMs)
        rtts.push(2 * base)
      }
    }
    rtts.sort((x, y) => x - y)
    const median = rtts[rtts.length >> 1] as number
    expect(median).toBeGreaterThan(120)
    expect(median).toBeLessThan(220)
  })
})
