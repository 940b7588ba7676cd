// The two-phase TimeLock vote, driven by an adversarial scheduler: fast-check picks the order in
// which messages arrive and timeouts fire, Byzantine members (less than a third of the weight)
// equivocate as proposers and as voters. Honest members must never decide two different blocks,
// and with an honest network they must decide.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { NIL, TimeLockHeight, type TimeLockOutput } from '../../src/core/index.ts'
import { committeeOf } from '../support/consensus-fixture.ts'

const TIMEOUTS = { proposeMs: 100, prevoteMs: 100, precommitMs: 100, growthMs: 50 }

interface Msg {
  readonly to: number
  readonly kind: 'proposal' | 'prevote' | 'precommit'
  readonly attempt: number
  readonly from: number
  readonly value: string
  readonly validAttempt: number
}

function simulate(
  n: number,
  byzantine: ReadonlySet<number>,
  choices: readonly number[],
  unsafe = false,
) {
  const weights = Array<number>(n).fill(10)
  const committee = committeeOf(0, weights)
  const proposerOf = (attempt: number) => attempt % n
  const nodes = weights.map((_, i) =>
    byzantine.has(i)
      ? null
      : new TimeLockHeight(1, committee, (a) => proposerOf(a) === i, TIMEOUTS),
  )
  const queue: Msg[] = []
  const timeouts: { node: number; step: 'propose' | 'prevote' | 'precommit'; attempt: number }[] =
    []
  const decisions = new Map<number, string>()
  const byzSeen = new Set<string>()
  const honest = [...Array(n).keys()].filter((i) => !byzantine.has(i))
  const broadcast = (m: Omit<Msg, 'to'>, to: readonly number[] = [...Array(n).keys()]) => {
    for (const t of to) queue.push({ ...m, to: t })
  }
  const byzantineAct = (attempt: number) => {
    if (byzSeen.has(`a${attempt}`)) return
    byzSeen.add(`a${attempt}`)
    const half = honest.slice(0, Math.ceil(honest.length / 2))
    const rest = honest.slice(half.length)
    for (const b of byzantine) {
      if (proposerOf(attempt) === b) {
        broadcast(
          { kind: 'proposal', attempt, from: b, value: `A${attempt}`, validAttempt: -1 },
          half,
        )
        broadcast(
          { kind: 'proposal', attempt, from: b, value: `B${attempt}`, validAttempt: -1 },
          rest,
        )
      }
      for (const kind of ['prevote', 'precommit'] as const) {
        for (const v of [`A${attempt}`, `B${attempt}`]) {
          broadcast(
            { kind, attempt, from: b, value: v, validAttempt: -1 },
            v.startsWith('A') ? half : rest,
          )
        }
      }
    }
  }
  const apply = (i: number, outs: readonly TimeLockOutput[]) => {
    for (const o of outs) {
      if (o.type === 'propose') {
        const value = o.value ?? `block-${o.attempt}-by-${i}`
        broadcast({
          kind: 'proposal',
          attempt: o.attempt,
          from: i,
          value,
          validAttempt: o.value === null ? -1 : o.validAttempt,
        })
      } else if (o.type === 'prevote' || o.type === 'precommit') {
        broadcast({
          kind: o.type,
          attempt: o.attempt,
          from: i,
          value: o.value,
          validAttempt: -1,
        })
        byzantineAct(o.attempt)
      } else if (o.type === 'timeout') timeouts.push({ node: i, step: o.step, attempt: o.attempt })
      else if (o.type === 'decide') decisions.set(i, o.value)
    }
  }
  for (const [i, node] of nodes.entries()) if (node) apply(i, node.start())
  byzantineAct(0)
  for (const c of choices) {
    if (queue.length === 0 && timeouts.length === 0) break
    // Mostly deliver messages; sometimes fire the oldest-or-chosen timeout.
    const fireTimeout = timeouts.length > 0 && (queue.length === 0 || c % 5 === 0)
    if (fireTimeout) {
      const t = timeouts.splice(c % timeouts.length, 1)[0]!
      const node = nodes[t.node]
      if (node) apply(t.node, node.onTimeout(t.step, t.attempt))
      continue
    }
    const m = queue.splice(c % queue.length, 1)[0]!
    const node = nodes[m.to]
    if (!node) continue
    if (m.kind === 'proposal' && unsafe && !byzSeen.has(`single-round ${m.to} ${m.attempt}`)) {
      // The unsafe single-round rule: precommit whatever is proposed, no prevote quorum first.
      byzSeen.add(`single-round ${m.to} ${m.attempt}`)
      broadcast({
        kind: 'precommit',
        attempt: m.attempt,
        from: m.to,
        value: m.value,
        validAttempt: -1,
      })
    }
    if (m.kind === 'proposal') {
      if (proposerOf(m.attempt) === m.from)
        apply(m.to, node.onProposal(m.attempt, m.value, m.validAttempt, true))
    } else if (m.kind === 'prevote')
      apply(m.to, node.onPrevote(m.attempt, String(m.from), m.value, 10))
    else apply(m.to, node.onPrecommit(m.attempt, String(m.from), m.value, 10))
  }
  return { decisions, pending: queue.length + timeouts.length }
}

describe('TimeLock two-phase vote', () => {
  it('decides the proposal when everyone is honest and messages arrive', () => {
    const { decisions } = simulate(
      4,
      new Set(),
      // Choices never ≡ 0 (mod 5): timeouts fire only when no message is left to deliver.
      Array<number>(500).fill(1),
    )
    expect(new Set(decisions.values())).toEqual(new Set(['block-0-by-0']))
    expect(decisions.size).toBe(4)
  })

  it('honest members never decide two blocks, whatever the order, with < 1/3 Byzantine weight', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(4, 5, 7),
        fc.array(fc.nat(), { minLength: 50, maxLength: 1500 }),
        (n, choices) => {
          const f = Math.floor((n - 1) / 3)
          const byzantine = new Set(Array.from({ length: f }, (_, i) => i)) // includes proposer of attempt 0
          const { decisions } = simulate(n, byzantine, choices)
          expect(new Set(decisions.values()).size).toBeLessThanOrEqual(1)
          for (const v of decisions.values()) expect(v).not.toBe(NIL)
        },
      ),
      { numRuns: 300 },
    )
  })

  it('a single-round commit (precommit on sight of the proposal) lets an equivocating proposer split the decision', () => {
    let split = false
    fc.assert(
      fc.property(fc.array(fc.nat(), { minLength: 200, maxLength: 1500 }), (choices) => {
        const { decisions } = simulate(4, new Set([0]), choices, true)
        if (new Set(decisions.values()).size > 1) split = true
      }),
      { numRuns: 300 },
    )
    expect(split).toBe(true)
  })

  it('with a third or more Byzantine weight the same adversary can split the decision (the check can fail)', () => {
    let split = false
    fc.assert(
      fc.property(fc.array(fc.nat(), { minLength: 200, maxLength: 1500 }), (choices) => {
        const { decisions } = simulate(4, new Set([0, 1]), choices)
        if (new Set(decisions.values()).size > 1) split = true
      }),
      { numRuns: 300 },
    )
    expect(split).toBe(true)
  })
})

describe('TimeLock resume after a restart', () => {
  const committee = committeeOf(0, [10, 10, 10, 10])
  const make = () => new TimeLockHeight(1, committee, () => false, TIMEOUTS)

  it('keeps the lock of its last precommit and never prevotes against it', () => {
    const t = make()
    t.resume([
      { attempt: 0, kind: 'prevote', value: 'A' },
      { attempt: 0, kind: 'precommit', value: 'A' },
    ])
    expect([t.lockedValue, t.lockedAttempt, t.step]).toEqual(['A', 0, 'precommit'])
    // Attempt 1 proposes B with no prevote quorum for it: prevote nil, not B.
    t.onTimeout('precommit', 0)
    const out = t.onProposal(1, 'B', -1, true)
    expect(out).toContainEqual({ type: 'prevote', attempt: 1, value: NIL })
  })

  it('does not vote again at an attempt and step it already voted at', () => {
    const t = make()
    t.resume([{ attempt: 2, kind: 'prevote', value: 'C' }])
    expect(t.onProposal(2, 'D', -1, true).filter((o) => o.type === 'prevote')).toEqual([])
  })
})
