// LtHash16, the UTXO-set commitment: the hand-written element expansion equals keyed BLAKE3 from
// @noble/hashes, the packed lane arithmetic equals plain u16 arithmetic, and the accumulator is a
// multiset hash (order-free, remove undoes add, state round-trips).
import { blake3 } from '@noble/hashes/blake3.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  LTHASH_BYTES,
  LTHASH_LANES,
  LtHash,
  ltHashElement,
  utf8ToBytes,
} from '../../src/core/index.ts'
import { LTHASH_ELEMENT_KEY } from '../../src/core/ledger/lthash.ts'

const lanes = (bytes: Uint8Array) => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  return Array.from({ length: bytes.length / 2 }, (_, i) => view.getUint16(2 * i, true))
}

/** The state a plain u16 reference computes for these changes. */
function reference(changes: readonly { add: boolean; element: Uint8Array }[]): Uint8Array {
  const sum = new Uint16Array(LTHASH_LANES)
  for (const { add, element } of changes) {
    const v = lanes(ltHashElement(element))
    for (let i = 0; i < LTHASH_LANES; i++) sum[i] = add ? sum[i]! + v[i]! : sum[i]! - v[i]!
  }
  const out = new Uint8Array(LTHASH_BYTES)
  const view = new DataView(out.buffer)
  for (let i = 0; i < LTHASH_LANES; i++) view.setUint16(2 * i, sum[i]!, true)
  return out
}

const arbElement = fc.oneof(
  fc.uint8Array({ minLength: 64, maxLength: 64 }), // the UTXO element's size: the fast path
  fc.uint8Array({ minLength: 0, maxLength: 200 }),
)

describe('LtHash16', () => {
  it('expands an element as keyed BLAKE3 (key BLAKE3("TIMECOIN/lthash-element/v1")), 2048 bytes', () => {
    expect(LTHASH_ELEMENT_KEY).toEqual(blake3(utf8ToBytes('TIMECOIN/lthash-element/v1')))
    fc.assert(
      fc.property(arbElement, (element) => {
        expect(ltHashElement(element)).toEqual(
          blake3(element, { key: LTHASH_ELEMENT_KEY, dkLen: LTHASH_BYTES }),
        )
      }),
      { numRuns: 200 },
    )
  })

  it('adds and removes lane-wise mod 2^16, exactly as plain u16 arithmetic', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ add: fc.boolean(), element: arbElement }), { maxLength: 40 }),
        (changes) => {
          const h = new LtHash()
          for (const { add, element } of changes) {
            if (add) h.add(element)
            else h.remove(element)
          }
          expect(h.serialize()).toEqual(reference(changes))
        },
      ),
      { numRuns: 100 },
    )
  })

  it('wraps every lane at 0 and at 2^16 (removing from empty, adding past the top)', () => {
    const e = new Uint8Array(64).fill(0x5a)
    const h = new LtHash()
    for (let i = 0; i < 3; i++) h.remove(e)
    for (let i = 0; i < 70_000; i++) h.add(e)
    // 70,000 − 3 copies of e: each lane is e's lane times 69,997, mod 2^16.
    const v = lanes(ltHashElement(e))
    expect(lanes(h.serialize())).toEqual(v.map((x) => (x * 69_997) % 65_536))
  })

  it('is a multiset hash: any order, remove undoes add, combine is the union', () => {
    fc.assert(
      fc.property(
        fc.array(arbElement, { minLength: 1, maxLength: 12 }),
        fc.array(arbElement, { maxLength: 6 }),
        (set, extra) => {
          const a = new LtHash()
          for (const e of set) a.add(e)
          const b = new LtHash()
          for (const e of extra) b.add(e)
          for (const e of [...set].reverse()) b.add(e)
          for (const e of extra) b.remove(e)
          expect(b.equals(a)).toBe(true)
          expect(b.digest()).toEqual(a.digest())

          const left = new LtHash()
          const right = new LtHash()
          for (const [i, e] of set.entries()) (i % 2 === 0 ? left : right).add(e)
          left.combine(right)
          expect(left.equals(a)).toBe(true)
        },
      ),
      { numRuns: 50 },
    )
  })

  it('tells different sets apart, multiplicity included', () => {
    const x = utf8ToBytes('x')
    const once = new LtHash()
    once.add(x)
    const twice = once.clone()
    twice.add(x)
    expect(twice.equals(once)).toBe(false)
    expect(twice.digest()).not.toEqual(once.digest())
    twice.remove(x)
    expect(twice.equals(once)).toBe(true)
  })

  it('round-trips its state; any other length is refused', () => {
    const h = new LtHash()
    for (const s of ['a', 'b', 'c']) h.add(utf8ToBytes(s))
    const state = h.serialize()
    expect(state.length).toBe(LTHASH_BYTES)
    const back = LtHash.deserialize(state)!
    expect(back.equals(h)).toBe(true)
    expect(back.serialize()).toEqual(state)
    // The state is a copy: changing the accumulator afterwards leaves it alone.
    h.add(utf8ToBytes('d'))
    expect(back.serialize()).toEqual(state)
    // Into a given view: the same bytes, nothing around them touched.
    const slab = new Uint8Array(LTHASH_BYTES + 4).fill(0xee)
    expect(back.serialize(slab.subarray(2, 2 + LTHASH_BYTES))).toEqual(state)
    expect([slab[0], slab[1], slab[LTHASH_BYTES + 2], slab[LTHASH_BYTES + 3]]).toEqual([
      0xee, 0xee, 0xee, 0xee,
    ])
    expect(() => back.serialize(new Uint8Array(LTHASH_BYTES - 1))).toThrow(RangeError)
    expect(LtHash.deserialize(state.subarray(1))).toBeNull()
    expect(LtHash.deserialize(new Uint8Array(LTHASH_BYTES + 2))).toBeNull()
  })

  it('digests as BLAKE3 of the state; the empty set is all-zero lanes', () => {
    const empty = new LtHash()
    expect(empty.serialize()).toEqual(new Uint8Array(LTHASH_BYTES))
    expect(empty.digest()).toEqual(blake3(new Uint8Array(LTHASH_BYTES)))
    const h = new LtHash()
    h.add(utf8ToBytes('x'))
    expect(h.digest()).toEqual(blake3(h.serialize()))
  })
})
