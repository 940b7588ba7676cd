// The TimeLock vote of one height step by step, with exact outputs: what a member emits for each
// proposal, vote and timeout (timelock.test.ts runs it under an adversarial scheduler and checks
// the outcome). Four members of weight 10: W = 40, a quorum is 27 (three votes), more than a third
// is two votes.
import { describe, expect, it } from 'vitest'
import { NIL, TimeLockHeight, type TimeLockOutput } from '../../src/core/index.ts'
import { committeeOf } from '../support/consensus-fixture.ts'

const TIMEOUTS = { proposeMs: 100, prevoteMs: 200, precommitMs: 300, growthMs: 50 }
const committee = committeeOf(0, [10, 10, 10, 10])

/** A member that proposes at the attempts in `leads` (none by default). */
const member = (leads: readonly number[] = []) =>
  new TimeLockHeight(7, committee, (a) => leads.includes(a), TIMEOUTS)

const prevotes = (t: TimeLockHeight, attempt: number, value: string, voters: string[]) =>
  voters.flatMap((v) => t.onPrevote(attempt, v, value, 10))
const precommits = (t: TimeLockHeight, attempt: number, value: string, voters: string[]) =>
  voters.flatMap((v) => t.onPrecommit(attempt, v, value, 10))

const timeout = (
  step: 'propose' | 'prevote' | 'precommit',
  attempt: number,
  afterMs: number,
): TimeLockOutput => ({ type: 'timeout', step, attempt, afterMs })

/** A member locked on X at attempt 0 (it saw the proposal and a prevote quorum for X). */
function lockedOnX(): TimeLockHeight {
  const t = member()
  t.start()
  t.onProposal(0, 'X', -1, true)
  prevotes(t, 0, 'X', ['a', 'b', 'c'])
  expect(t.lockedValue).toBe('X')
  expect(t.lockedAttempt).toBe(0)
  return t
}

/** Moves `t` (at attempt `from`) to attempt `from + 1` by its precommit timeout. */
function nextAttempt(t: TimeLockHeight, from: number): TimeLockOutput[] {
  if (t.step === 'propose') t.onTimeout('propose', from)
  if (t.step === 'prevote') t.onTimeout('prevote', from)
  return t.onTimeout('precommit', from)
}

describe('TimeLock step by step', () => {
  it('a member waits for the proposal; the proposer proposes a new block', () => {
    const t = member()
    expect([t.attempt, t.step, t.decision]).toEqual([0, 'propose', null])
    expect(t.start()).toEqual([timeout('propose', 0, 100)])
    expect([t.attempt, t.step]).toEqual([0, 'propose'])
    expect(member([0]).start()).toEqual([
      { type: 'propose', attempt: 0, value: null, validAttempt: -1 },
    ])
  })

  it('prevotes a valid proposal, nil for an invalid one, and only the first proposal of an attempt', () => {
    const t = member()
    t.start()
    expect(t.onProposal(0, 'X', -1, true)).toEqual([{ type: 'prevote', attempt: 0, value: 'X' }])
    expect(t.step).toBe('prevote')
    expect(t.onProposal(0, 'Y', -1, true)).toEqual([])
    const u = member()
    u.start()
    expect(u.onProposal(0, 'X', -1, false)).toEqual([{ type: 'prevote', attempt: 0, value: NIL }])
  })

  it('precommits and locks after a prevote quorum, and decides on a precommit quorum', () => {
    const t = member()
    t.start()
    t.onProposal(0, 'X', -1, true)
    expect(prevotes(t, 0, 'X', ['a', 'b'])).toEqual([])
    expect(t.step).toBe('prevote')
    expect(prevotes(t, 0, 'X', ['c'])).toEqual([
      timeout('prevote', 0, 200),
      { type: 'precommit', attempt: 0, value: 'X' },
    ])
    expect([t.step, t.lockedValue, t.lockedAttempt, t.validValue, t.validAttempt]).toEqual([
      'precommit',
      'X',
      0,
      'X',
      0,
    ])
    expect(precommits(t, 0, 'X', ['a', 'b'])).toEqual([])
    expect(t.decision).toBeNull()
    expect(t.precommitWeight(0, 'X')).toBe(20)
    expect(precommits(t, 0, 'X', ['c'])).toEqual([{ type: 'decide', attempt: 0, value: 'X' }])
    expect([t.decision, t.step]).toEqual(['X', 'decided'])
    expect(t.precommitWeight(0, 'X')).toBe(30)
    expect(t.precommitWeight(0, 'Y')).toBe(0)
    expect(t.precommitWeight(1, 'X')).toBe(0)
    // Decided: nothing moves it any more.
    expect(t.onTimeout('precommit', 0)).toEqual([])
    expect(precommits(t, 0, 'X', ['d'])).toEqual([])
  })

  it('counts a voter once per attempt and step, its first vote', () => {
    const t = member()
    t.start()
    precommits(t, 0, 'X', ['a', 'a'])
    t.onPrecommit(0, 'a', 'Y', 10)
    expect(t.precommitWeight(0, 'X')).toBe(10)
    expect(t.precommitWeight(0, 'Y')).toBe(0)
    // The same voter counts again at another attempt.
    t.onPrecommit(1, 'a', 'X', 10)
    expect(t.precommitWeight(1, 'X')).toBe(10)
  })

  it('decides only a value proposed as valid, and at the attempt of its precommits', () => {
    const t = member()
    t.start()
    expect(precommits(t, 0, 'X', ['a', 'b', 'c'])).toEqual([timeout('precommit', 0, 300)])
    expect(t.decision).toBeNull()
    expect(t.onProposal(0, 'X', -1, false)).toEqual([{ type: 'prevote', attempt: 0, value: NIL }])
    expect(t.decision).toBeNull()
    // A quorum of nil precommits decides nothing either.
    const u = member()
    u.start()
    precommits(u, 0, NIL, ['a', 'b', 'c'])
    u.onProposal(0, NIL, -1, true)
    expect(u.decision).toBeNull()
    // A valid proposal of X at a later attempt completes the decision of attempt 0.
    const v = member()
    v.start()
    precommits(v, 0, 'X', ['a', 'b', 'c'])
    nextAttempt(v, 0)
    expect(v.onProposal(1, 'X', -1, true)).toEqual([{ type: 'decide', attempt: 0, value: 'X' }])
  })

  it('times out step by step: nil prevote, nil precommit, the next attempt with longer timeouts', () => {
    const t = member()
    t.start()
    expect(t.onTimeout('prevote', 0)).toEqual([]) // not at that step yet
    expect(t.onTimeout('propose', 0)).toEqual([{ type: 'prevote', attempt: 0, value: NIL }])
    expect(t.onTimeout('propose', 0)).toEqual([]) // already past it
    expect(t.onTimeout('prevote', 0)).toEqual([{ type: 'precommit', attempt: 0, value: NIL }])
    expect(t.onTimeout('prevote', 0)).toEqual([])
    expect(t.onTimeout('precommit', 1)).toEqual([]) // an attempt not reached
    expect(t.onTimeout('precommit', 0)).toEqual([timeout('propose', 1, 150)])
    expect([t.attempt, t.step]).toEqual([1, 'propose'])
    expect(t.onTimeout('propose', 0)).toEqual([]) // a stale timeout
    expect(t.onTimeout('propose', 1)).toEqual([{ type: 'prevote', attempt: 1, value: NIL }])
    t.onTimeout('prevote', 1)
    expect(t.onTimeout('precommit', 1)).toEqual([timeout('propose', 2, 200)])
    // At attempt 2 the vote timeouts have grown by two steps as well.
    expect(prevotes(t, 2, 'Z', ['a', 'b', 'c'])).toEqual([])
    expect(t.onTimeout('propose', 2)).toEqual([
      { type: 'prevote', attempt: 2, value: NIL },
      timeout('prevote', 2, 300),
    ])
    expect(precommits(t, 2, 'Z', ['a', 'b', 'c'])).toEqual([timeout('precommit', 2, 400)])
  })

  it('a nil prevote quorum precommits nil; the prevote and precommit timeouts are armed once', () => {
    const t = member()
    t.start()
    t.onProposal(0, 'X', -1, true)
    expect(prevotes(t, 0, NIL, ['a', 'b'])).toEqual([])
    expect(prevotes(t, 0, 'X', ['c'])).toEqual([timeout('prevote', 0, 200)])
    expect(prevotes(t, 0, NIL, ['d'])).toEqual([{ type: 'precommit', attempt: 0, value: NIL }])
    expect(precommits(t, 0, NIL, ['a', 'b'])).toEqual([])
    expect(precommits(t, 0, 'X', ['c'])).toEqual([timeout('precommit', 0, 300)])
    expect(precommits(t, 0, 'Y', ['d'])).toEqual([])
    expect(t.lockedValue).toBeNull()
  })

  it('a member that prevoted nil still precommits and locks a block that reaches a prevote quorum', () => {
    const t = member()
    t.start()
    t.onTimeout('propose', 0)
    t.onProposal(0, 'X', -1, true)
    expect(prevotes(t, 0, 'X', ['a', 'b', 'c'])).toEqual([
      timeout('prevote', 0, 200),
      { type: 'precommit', attempt: 0, value: 'X' },
    ])
    expect([t.lockedValue, t.lockedAttempt]).toEqual(['X', 0])
  })

  it('one that precommitted nil only learns the valid value, and re-proposes it as leader', () => {
    const t = member()
    t.start()
    t.onTimeout('propose', 0)
    t.onTimeout('prevote', 0)
    t.onProposal(0, 'X', -1, true)
    expect(prevotes(t, 0, 'X', ['a', 'b', 'c'])).toEqual([])
    expect([t.step, t.lockedValue, t.lockedAttempt, t.validValue, t.validAttempt]).toEqual([
      'precommit',
      null,
      -1,
      'X',
      0,
    ])
    const leader = new TimeLockHeight(7, committee, (a) => a === 1, TIMEOUTS)
    leader.start()
    leader.onTimeout('propose', 0)
    leader.onTimeout('prevote', 0)
    leader.onProposal(0, 'X', -1, true)
    prevotes(leader, 0, 'X', ['a', 'b', 'c'])
    expect(leader.onTimeout('precommit', 0)).toEqual([
      { type: 'propose', attempt: 1, value: 'X', validAttempt: 0 },
    ])
  })

  it('a locked member prevotes only its block, unless a later prevote quorum names another', () => {
    let t = lockedOnX()
    nextAttempt(t, 0)
    expect(t.onProposal(1, 'Y', -1, true)).toEqual([{ type: 'prevote', attempt: 1, value: NIL }])
    t = lockedOnX()
    nextAttempt(t, 0)
    expect(t.onProposal(1, 'X', -1, true)).toEqual([{ type: 'prevote', attempt: 1, value: 'X' }])
    // A proposal of Y claiming a prevote quorum at attempt 1: it waits until it sees that quorum.
    t = lockedOnX()
    nextAttempt(t, 0)
    t.onTimeout('propose', 1)
    t.onTimeout('prevote', 1)
    nextAttempt(t, 1)
    expect(t.onProposal(2, 'Y', 1, true)).toEqual([])
    expect(prevotes(t, 1, 'Y', ['a', 'b'])).toEqual([])
    expect(prevotes(t, 1, 'Y', ['c'])).toEqual([{ type: 'prevote', attempt: 2, value: 'Y' }])
    // A claimed quorum must be of an earlier attempt: one of the proposal's own is not honoured.
    t = lockedOnX()
    nextAttempt(t, 0)
    prevotes(t, 1, 'Y', ['a', 'b', 'c'])
    expect(t.onProposal(1, 'Y', 1, true)).toEqual([])
    // An invalid block is never prevoted, whatever quorum it claims.
    t = lockedOnX()
    nextAttempt(t, 0)
    t.onTimeout('propose', 1)
    t.onTimeout('prevote', 1)
    nextAttempt(t, 1)
    prevotes(t, 1, 'Y', ['a', 'b', 'c'])
    expect(t.onProposal(2, 'Y', 1, false)).toEqual([{ type: 'prevote', attempt: 2, value: NIL }])
  })

  it('a lock newer than the claimed quorum keeps it prevoting nil for another block', () => {
    // Locked on X at attempt 1; Y claims a prevote quorum at attempt 0.
    const t = member()
    t.start()
    t.onTimeout('propose', 0)
    prevotes(t, 0, 'Y', ['a', 'b', 'c'])
    t.onTimeout('prevote', 0)
    t.onTimeout('precommit', 0)
    t.onProposal(1, 'X', -1, true)
    prevotes(t, 1, 'X', ['a', 'b', 'c'])
    expect([t.lockedValue, t.lockedAttempt]).toEqual(['X', 1])
    nextAttempt(t, 1)
    expect(t.onProposal(2, 'Y', 0, true)).toEqual([{ type: 'prevote', attempt: 2, value: NIL }])
    // X, its own lock, it prevotes whatever attempt the proposal claims.
    const u = member()
    u.start()
    u.onTimeout('propose', 0)
    prevotes(u, 0, 'X', ['a', 'b', 'c'])
    u.onTimeout('prevote', 0)
    u.onTimeout('precommit', 0)
    u.onProposal(1, 'X', -1, true)
    prevotes(u, 1, 'X', ['a', 'b', 'c'])
    nextAttempt(u, 1)
    expect(u.onProposal(2, 'X', 0, true)).toEqual([{ type: 'prevote', attempt: 2, value: 'X' }])
  })

  it('a claimed quorum at the very attempt of its lock is honoured (lockedAttempt ≤ validAttempt)', () => {
    // Locked on X at attempt 1, then a prevote quorum for Y at that same attempt (only possible
    // with equivocators, as in Tendermint's rule the lock does not outrank it).
    const t = member()
    t.start()
    nextAttempt(t, 0)
    t.onProposal(1, 'X', -1, true)
    prevotes(t, 1, 'X', ['a', 'b', 'c'])
    expect([t.lockedValue, t.lockedAttempt]).toEqual(['X', 1])
    prevotes(t, 1, 'Y', ['d', 'e', 'f'])
    nextAttempt(t, 1)
    expect(t.onProposal(2, 'Y', 1, true)).toEqual([{ type: 'prevote', attempt: 2, value: 'Y' }])
  })

  it('skips to a later attempt once more than a third of the weight votes there', () => {
    const t = member()
    t.start()
    expect(prevotes(t, 3, 'X', ['a'])).toEqual([])
    expect(t.attempt).toBe(0)
    // Any step counts toward participation, each voter once.
    expect(precommits(t, 3, 'X', ['a'])).toEqual([])
    expect(precommits(t, 3, 'X', ['b'])).toEqual([timeout('propose', 3, 250)])
    expect([t.attempt, t.step]).toEqual([3, 'propose'])
    // Votes of an earlier attempt never move it back.
    expect(prevotes(t, 1, 'X', ['a', 'b', 'c', 'd'])).toEqual([])
    expect(t.attempt).toBe(3)
  })

  it('participation is weighed, not counted', () => {
    const heavy = committeeOf(0, [50, 10, 10, 10]) // W = 80: more than a third is > 26.67
    const t = new TimeLockHeight(7, heavy, () => false, TIMEOUTS)
    t.start()
    expect(t.onPrevote(2, 'b', 'X', 10)).toEqual([])
    expect(t.onPrevote(2, 'c', 'X', 10)).toEqual([])
    expect(t.onPrevote(2, 'd', 'X', 10)).toEqual([timeout('propose', 2, 200)])
    const u = new TimeLockHeight(7, heavy, () => false, TIMEOUTS)
    u.start()
    expect(u.onPrecommit(1, 'a', 'X', 50)).toEqual([timeout('propose', 1, 150)])
    // Exactly a third is not more than a third.
    const third = new TimeLockHeight(7, committeeOf(0, [10, 10, 10]), () => false, TIMEOUTS)
    third.start()
    expect(third.onPrevote(1, 'a', 'X', 10)).toEqual([])
  })

  it('resumes from its own votes: attempt, step and lock, arming only the running timeout', () => {
    expect(member().resume([])).toEqual([timeout('propose', 0, 100)])
    expect(member([0]).resume([])).toEqual([
      { type: 'propose', attempt: 0, value: null, validAttempt: -1 },
    ])

    const t = member()
    expect(
      t.resume([
        { attempt: 0, kind: 'prevote', value: 'X' },
        { attempt: 1, kind: 'prevote', value: NIL },
      ]),
    ).toEqual([timeout('prevote', 1, 250)])
    expect([t.attempt, t.step, t.lockedValue, t.lockedAttempt]).toEqual([1, 'prevote', null, -1])
    // It never prevotes again at that attempt.
    expect(t.onProposal(1, 'X', -1, true)).toEqual([])
    // A precommit at an earlier attempt makes a lock, not the step of the last one.
    const w = member()
    expect(
      w.resume([
        { attempt: 0, kind: 'precommit', value: 'X' },
        { attempt: 1, kind: 'prevote', value: 'X' },
      ]),
    ).toEqual([timeout('prevote', 1, 250)])
    expect([w.attempt, w.step, w.lockedValue, w.lockedAttempt]).toEqual([1, 'prevote', 'X', 0])

    const u = member()
    expect(
      u.resume([
        { attempt: 2, kind: 'precommit', value: 'Y' },
        { attempt: 0, kind: 'precommit', value: 'X' },
        { attempt: 3, kind: 'prevote', value: NIL },
        { attempt: 3, kind: 'precommit', value: NIL },
        { attempt: 1, kind: 'precommit', value: 'Z' },
      ]),
    ).toEqual([timeout('precommit', 3, 450)])
    expect([u.attempt, u.step, u.lockedValue, u.lockedAttempt]).toEqual([3, 'precommit', 'Y', 2])
    // A nil precommit is no lock; the lock holds at the next attempt.
    expect(u.onTimeout('precommit', 3)).toEqual([timeout('propose', 4, 300)])
    expect(u.onProposal(4, 'X', -1, true)).toEqual([{ type: 'prevote', attempt: 4, value: NIL }])
  })

  it('keeps the first proposal of an attempt: a second one locks nothing', () => {
    const t = member()
    t.start()
    t.onProposal(0, 'X', -1, true)
    expect(t.onProposal(0, 'Y', -1, true)).toEqual([])
    expect(prevotes(t, 0, 'Y', ['a', 'b', 'c'])).toEqual([timeout('prevote', 0, 200)])
    expect([t.step, t.lockedValue, t.validValue]).toEqual(['prevote', null, null])
  })

  it('decides only on precommits for the value of a valid proposal', () => {
    const t = member()
    t.start()
    t.onProposal(0, 'X', -1, true)
    expect(precommits(t, 0, 'Y', ['a', 'b', 'c'])).toEqual([timeout('precommit', 0, 300)])
    expect(t.decision).toBeNull()
  })

  it('follows one input through every step it unlocks', () => {
    // The proposal of attempt 2 is here already; votes of attempt 2 then move the member there,
    // and in the same call it prevotes that proposal.
    const t = member()
    t.start()
    t.onProposal(2, 'Z', -1, true)
    expect(prevotes(t, 2, 'Z', ['a'])).toEqual([])
    expect(prevotes(t, 2, 'Z', ['b'])).toEqual([
      timeout('propose', 2, 200),
      { type: 'prevote', attempt: 2, value: 'Z' },
    ])
  })

  it('arms the vote timeouts and takes a lock anew at every attempt', () => {
    const t = member()
    t.start()
    t.onProposal(0, 'X', -1, true)
    prevotes(t, 0, 'X', ['a', 'b', 'c'])
    expect(precommits(t, 0, NIL, ['a', 'b', 'c'])).toEqual([timeout('precommit', 0, 300)])
    expect(t.onTimeout('precommit', 0)).toEqual([timeout('propose', 1, 150)])
    expect(t.onProposal(1, 'X', -1, true)).toEqual([{ type: 'prevote', attempt: 1, value: 'X' }])
    expect(prevotes(t, 1, 'X', ['a', 'b', 'c'])).toEqual([
      timeout('prevote', 1, 250),
      { type: 'precommit', attempt: 1, value: 'X' },
    ])
    expect([t.lockedValue, t.lockedAttempt, t.validAttempt]).toEqual(['X', 1, 1])
    expect(precommits(t, 1, NIL, ['a', 'b', 'c'])).toEqual([timeout('precommit', 1, 350)])
  })

  it('a prevote quorum seen before its own prevote locks once it prevotes', () => {
    // Y claims a quorum at attempt 0 that this member never saw: it waits in the propose step
    // while the prevotes for Y arrive, then prevotes nil on the timeout — and only then precommits
    // Y and locks it.
    const t = member()
    t.start()
    nextAttempt(t, 0)
    expect(t.onProposal(1, 'Y', 0, true)).toEqual([])
    expect(prevotes(t, 1, 'Y', ['a', 'b', 'c'])).toEqual([])
    expect([t.step, t.validValue]).toEqual(['propose', null])
    expect(t.onTimeout('propose', 1)).toEqual([
      { type: 'prevote', attempt: 1, value: NIL },
      timeout('prevote', 1, 250),
      { type: 'precommit', attempt: 1, value: 'Y' },
    ])
    expect([t.lockedValue, t.lockedAttempt]).toEqual(['Y', 1])
  })

  it('reports the size of its maps', () => {
    const t = member()
    expect(t.sizes()).toEqual({
      'height.proposals': 0,
      'height.prevotes': 0,
      'height.precommits': 0,
      'height.done': 0,
    })
    t.start()
    t.onProposal(0, 'X', -1, true)
    prevotes(t, 0, 'X', ['a', 'b', 'c'])
    prevotes(t, 1, 'X', ['a'])
    precommits(t, 0, 'X', ['a', 'b'])
    expect(t.sizes()).toEqual({
      'height.proposals': 1,
      'height.prevotes': 4,
      'height.precommits': 2,
      'height.done': 2,
    })
  })
})
