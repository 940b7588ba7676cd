// The retry schedule behind the engine's one retry timer (src/core/engine/retry-schedule.ts):
// checked against a plain model of "each key's next due time", and for the memory it keeps.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { RetrySchedule } from '../../src/core/engine/retry-schedule.ts'
import type { Txid } from '../../src/core/index.ts'

const txid = (n: number) => new Uint8Array(32).fill(n) as Txid

describe('the retry schedule', () => {
  it('returns what is due, earliest first within a delay, each once', () => {
    const s = new RetrySchedule()
    s.add('a', txid(1), 1_000, 0)
    s.add('b', txid(2), 1_000, 10)
    s.add('c', txid(3), 4_000, 5)
    expect(s.nextDue()).toBe(1_000)
    expect(s.due(999)).toEqual([])
    expect(s.due(1_010).map((r) => r.key)).toEqual(['a', 'b'])
    expect(s.due(1_010)).toEqual([])
    expect(s.nextDue()).toBe(4_005)
    const [c] = s.due(5_000)
    expect(c).toEqual({ key: 'c', txid: txid(3), delay: 4_000, due: 4_005 })
    expect(s.nextDue()).toBeUndefined()
    expect(s.size).toBe(0)
  })

  it('never returns a cancelled retry, and a key added again keeps only its new one', () => {
    const s = new RetrySchedule()
    s.add('a', txid(1), 1_000, 0)
    s.add('b', txid(2), 1_000, 1)
    s.cancel('a')
    expect(s.has('a')).toBe(false)
    expect(s.nextDue()).toBe(1_001)
    s.add('b', txid(2), 2_000, 500)
    expect(s.nextDue()).toBe(2_500)
    expect(s.due(2_000)).toEqual([])
    expect(s.due(2_500).map((r) => [r.key, r.delay])).toEqual([['b', 2_000]])
  })

  it('holds a bounded number of cancelled entries however many come and go', () => {
    const s = new RetrySchedule()
    s.add('kept', txid(0), 1_000, 0)
    for (let i = 0; i < 100_000; i++) {
      s.add(`k${i}`, txid(1), 1_000, 0)
      s.cancel(`k${i}`)
    }
    expect(s.size).toBe(1)
    expect(s.held).toBeLessThanOrEqual(257)
    expect(s.due(1_000).map((r) => r.key)).toEqual(['kept'])
    expect(s.held).toBe(0)
  })

  it('agrees with a model of each key`s next due time', () => {
    type Op =
      | { kind: 'add'; key: number; delay: number }
      | { kind: 'cancel'; key: number }
      | { kind: 'advance'; by: number }
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({
        kind: fc.constant('add' as const),
        key: fc.nat(12),
        delay: fc.constantFrom(1_000, 2_000, 4_000, 60_000),
      }),
      fc.record({ kind: fc.constant('cancel' as const), key: fc.nat(12) }),
      fc.record({ kind: fc.constant('advance' as const), by: fc.nat(5_000) }),
    )
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const s = new RetrySchedule()
        const model = new Map<string, { delay: number; due: number }>()
        let now = 0
        for (const o of ops) {
          if (o.kind === 'add') {
            s.add(`${o.key}`, txid(o.key), o.delay, now)
            model.set(`${o.key}`, { delay: o.delay, due: now + o.delay })
          } else if (o.kind === 'cancel') {
            s.cancel(`${o.key}`)
            model.delete(`${o.key}`)
          } else {
            now += o.by
            const due = s.due(now).map((r) => `${r.key}@${r.due}/${r.delay}`)
            const expected = [...model]
              .filter(([, m]) => m.due <= now)
              .map(([k, m]) => `${k}@${m.due}/${m.delay}`)
            expect(due.sort()).toEqual(expected.sort())
            for (const [k, m] of [...model]) if (m.due <= now) model.delete(k)
          }
          expect(s.size).toBe(model.size)
          const next = Math.min(...[...model.values()].map((m) => m.due))
          expect(s.nextDue()).toBe(model.size === 0 ? undefined : next)
        }
      }),
    )
  })
})
