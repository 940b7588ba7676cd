// The virtual clock: (time, insertion) order, cancellation, runs bounded by time or by an event
// budget, and failures that name the seed.
import { describe, expect, it } from 'vitest'
import { Prng } from './prng.ts'
import { Scheduler, TimerGroup } from './scheduler.ts'
import { SimFailure } from './seed.ts'

describe('Scheduler', () => {
  it('runs events by time, and equal times in the order they were scheduled', () => {
    const s = new Scheduler({ seed: 1 })
    const order: string[] = []
    s.at(20, () => order.push('b@20'))
    s.at(10, () => {
      order.push('a@10')
      s.after(0, () => order.push('d@10 (scheduled during a)'))
      s.after(10, () => order.push('e@20 (after b)'))
    })
    s.at(10, () => order.push('c@10'))
    expect(s.pending).toBe(3)
    expect(s.runUntilIdle()).toBe(5)
    expect(order).toEqual(['a@10', 'c@10', 'd@10 (scheduled during a)', 'b@20', 'e@20 (after b)'])
    expect(s.now()).toBe(20)
    expect(s.executed).toBe(5)
  })

  it('pops 20k random events in (time, sequence) order, most of them cancelled', () => {
    const s = new Scheduler({ seed: 2 })
    const prng = Prng.fromSeed(2)
    const ran: [number, number][] = []
    const scheduled: { t: number; i: number; cancel: () => boolean }[] = []
    for (let i = 0; i < 20_000; i++) {
      const t = prng.int(500)
      const h = s.at(t, () => ran.push([t, i]))
      scheduled.push({ t, i, cancel: () => h.cancel() })
    }
    // Cancelling 80% makes the dead outnumber the live, so the heap is rebuilt mid-way.
    const kept = scheduled.filter((e) => !(prng.chance(0.8) && e.cancel()))
    expect(s.pending).toBe(kept.length)
    const expected = kept.map((e): [number, number] => [e.t, e.i])
    expected.sort((x, y) => x[0] - y[0] || x[1] - y[1])
    s.runUntilIdle()
    expect(ran).toEqual(expected)
  })

  it('cancels: a cancelled event never runs, and cancel reports whether it was pending', () => {
    const s = new Scheduler({ seed: 3 })
    const ran: string[] = []
    const h = s.after(5, () => ran.push('cancelled'))
    const kept = s.after(5, () => ran.push('kept'))
    expect(h.pending).toBe(true)
    expect(h.cancel()).toBe(true)
    expect(h.cancel()).toBe(false)
    expect(h.pending).toBe(false)
    expect(s.pending).toBe(1)
    expect(s.nextTime()).toBe(5)
    s.runUntilIdle()
    expect(ran).toEqual(['kept'])
    expect(kept.cancel()).toBe(false)
  })

  it('runUntil runs what is due, leaves the rest, and moves the clock to the target', () => {
    const s = new Scheduler({ seed: 4 })
    const ran: number[] = []
    for (const t of [5, 10, 15]) s.at(t, () => ran.push(t))
    expect(s.runUntil(10)).toBe(2)
    expect(ran).toEqual([5, 10])
    expect(s.now()).toBe(10)
    s.runUntil(12)
    expect(s.now()).toBe(12)
    expect(s.pending).toBe(1)
    expect(s.step()).toBe(true)
    expect(s.now()).toBe(15)
    expect(s.step()).toBe(false)
  })

  it('runUntil stops early when the stop condition holds, leaving the clock there', () => {
    const s = new Scheduler({ seed: 4 })
    let count = 0
    for (let t = 1; t <= 10; t++) s.at(t, () => count++)
    s.runUntil(100, { stop: () => count === 3 })
    expect(count).toBe(3)
    expect(s.now()).toBe(3)
  })

  it('refuses to schedule in the past, naming the seed', () => {
    const s = new Scheduler({ seed: 'past' })
    s.runUntil(50)
    expect(() => s.at(10, () => {})).toThrow(/SIM_SEED=past/)
    expect(() => s.after(-1, () => {})).toThrow(SimFailure)
  })

  it('fails a run that exceeds its event bound, with the seed to replay it', () => {
    const s = new Scheduler({ seed: 'livelock-1234', maxEventsPerRun: 10_000 })
    const tick = () => {
      s.after(1, tick)
    }
    s.after(1, tick)
    expect(() => s.runUntilIdle(1000)).toThrow(/more than 1000 events.*SIM_SEED=livelock-1234/)
    expect(() => s.runUntil(1e9)).toThrow(/more than 10000 events.*SIM_SEED=livelock-1234/)
  })

  it('wraps an error thrown by an event with its time and the seed, keeping the cause', () => {
    const s = new Scheduler({ seed: 99 })
    const boom = new Error('boom')
    s.at(7, () => {
      throw boom
    })
    try {
      s.runUntilIdle()
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(SimFailure)
      expect((error as SimFailure).message).toMatch(/t=7 ms threw: boom.*SIM_SEED=99/)
      expect((error as SimFailure).cause).toBe(boom)
      expect((error as SimFailure).seed).toBe(99)
    }
  })

  it('checks afterEach hooks after every event', () => {
    const s = new Scheduler({ seed: 5 })
    const seen: number[] = []
    const remove = s.afterEach(() => seen.push(s.now()))
    s.at(1, () => {})
    s.at(2, () => {})
    s.runUntil(1)
    remove()
    s.runUntilIdle()
    expect(seen).toEqual([1])
  })

  it('cancels a timer group together', () => {
    const s = new Scheduler({ seed: 6 })
    const group = new TimerGroup(s)
    const ran: string[] = []
    group.after(1, () => ran.push('fired'))
    group.after(5, () => ran.push('never'))
    const single = group.after(6, () => ran.push('never either'))
    s.runUntil(2)
    expect(group.size).toBe(2)
    expect(single.cancel()).toBe(true)
    expect(group.size).toBe(1)
    expect(group.cancelAll()).toBe(1)
    s.runUntilIdle()
    expect(ran).toEqual(['fired'])
  })
})
