// The committee of one epoch on its own: which member lists it takes, its order, its weights, the
// quorum and the minimum size (docs/ARCHITECTURE.md §3.5, §3.9).
import { describe, expect, it } from 'vitest'
import {
  Committee,
  committeeHash,
  compareBytes,
  DomainTags,
  MAX_COMMITTEE_SIZE,
  MIN_VOTING_MEMBERS,
  taggedHash,
} from '../../src/core/index.ts'
import { committeeOf, voterKey } from '../support/consensus-fixture.ts'

const codeOf = (f: () => unknown) => {
  try {
    f()
    return 'ok'
  } catch (e) {
    return (e as { code?: string }).code ?? String(e)
  }
}

describe('Committee', () => {
  it('takes any u32 epoch and nothing else', () => {
    const members = [{ key: voterKey(0).publicKey, weight: 1 }]
    expect(new Committee(0, members).epoch).toBe(0)
    expect(new Committee(0xffff_ffff, members).epoch).toBe(0xffff_ffff)
    for (const epoch of [-1, 0x1_0000_0000, 1.5, Number.NaN]) {
      expect(codeOf(() => new Committee(epoch, members))).toBe('COMMITTEE_INVALID')
    }
  })

  it(`holds at most ${MAX_COMMITTEE_SIZE} members`, () => {
    const members = Array.from({ length: MAX_COMMITTEE_SIZE + 1 }, (_, i) => ({
      key: voterKey(i).publicKey,
      weight: 1,
    }))
    expect(new Committee(0, members.slice(0, MAX_COMMITTEE_SIZE)).totalWeight).toBe(
      MAX_COMMITTEE_SIZE,
    )
    expect(codeOf(() => new Committee(0, members))).toBe('COMMITTEE_INVALID')
  })

  it('refuses keys that are not 32 bytes', () => {
    for (const key of [new Uint8Array(31), new Uint8Array(33)]) {
      expect(codeOf(() => new Committee(0, [{ key, weight: 1 }]))).toBe('COMMITTEE_INVALID')
    }
  })

  it('keeps members in key order, whatever the input order, and weighs each by key', () => {
    const keys = [0, 1, 2, 3, 4].map((i) => voterKey(i).publicKey)
    const c = new Committee(
      2,
      keys.map((key, i) => ({ key, weight: 10 * (i + 1) })),
    )
    const sorted = [...keys].sort(compareBytes)
    expect(c.members.map((m) => m.key)).toEqual(sorted)
    const reversed = new Committee(
      2,
      [...keys].reverse().map((key) => ({ key, weight: 10 * (keys.indexOf(key) + 1) })),
    )
    expect(reversed.members).toEqual(c.members)
    expect(committeeHash(reversed)).toEqual(committeeHash(c))
    keys.forEach((key, i) => {
      expect(c.weightOf(key)).toBe(10 * (i + 1))
    })
    expect(c.weightOf(voterKey(9).publicKey)).toBeUndefined()
    expect(c.totalWeight).toBe(150)
    expect(c.threshold).toBe(101)
  })

  it('counts only members with weight as voters, and finalizes only with enough of them', () => {
    const c = committeeOf(0, [0, 10, 0, 10, 10])
    expect(c.voters.map((m) => m.weight)).toEqual([10, 10, 10])
    expect(c.members.length).toBe(5)
    expect(c.canFinalize('devnet')).toBe(true)
    expect(c.canFinalize('testnet')).toBe(true)
    expect(c.canFinalize('mainnet')).toBe(false)
    expect(MIN_VOTING_MEMBERS).toEqual({ mainnet: 10, testnet: 3, devnet: 3 })
    expect(committeeOf(0, Array(10).fill(1)).canFinalize('mainnet')).toBe(true)
    expect(committeeOf(0, [10, 10, 0]).canFinalize('testnet')).toBe(false)
    expect(committeeOf(0, []).canFinalize('devnet')).toBe(false)
  })

  it('a quorum is reached at the threshold exactly, with the rule it was given', () => {
    const c = committeeOf(0, [10, 10, 10]) // W = 30, threshold 21
    expect(c.threshold).toBe(21)
    expect(c.isQuorum(21)).toBe(true)
    expect(c.isQuorum(20)).toBe(false)
    expect(c.isQuorum(30)).toBe(true)
    const half = new Committee(
      0,
      c.members.map((m) => ({ key: m.key, weight: m.weight })),
      (w) => Math.floor(w / 2) + 1,
    )
    expect(half.threshold).toBe(16)
    expect(half.isQuorum(16)).toBe(true)
    expect(half.quorum(100)).toBe(51)
    expect(c.quorum(100)).toBe(67)
  })

  it('hashes "TIMECOIN/committee/v1" ‖ u32le epoch ‖ u32le count ‖ (key ‖ u64le weight)… in key order', () => {
    const c = committeeOf(0x0102_0304, [5, 0x1_0000])
    const body = new Uint8Array(8 + 2 * 40)
    const view = new DataView(body.buffer)
    view.setUint32(0, 0x0102_0304, true)
    view.setUint32(4, 2, true)
    c.members.forEach((m, i) => {
      body.set(m.key, 8 + 40 * i)
      view.setBigUint64(8 + 40 * i + 32, BigInt(m.weight), true)
    })
    expect(committeeHash(c)).toEqual(taggedHash(DomainTags.committee, body))
    expect(committeeHash(committeeOf(0x0102_0304, [5, 0x1_0001]))).not.toEqual(committeeHash(c))
    expect(committeeHash(committeeOf(0x0102_0305, [5, 0x1_0000]))).not.toEqual(committeeHash(c))
  })
})
