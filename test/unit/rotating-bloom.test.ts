// The rotating Bloom filter that marks what was already relayed (src/core/net/rotating-bloom.ts):
// no false negatives while a generation lives, a false-positive rate near the one asked for, fixed
// memory, rotation by count and by age (an item is forgotten after `generations` spans), and a key
// that makes two filters disagree on their false positives. Runs in Node and Chromium.
import { describe, expect, it } from 'vitest'
import { MAX_BLOOM_BYTES, RotatingBloomFilter } from '../../src/core/net/rotating-bloom.ts'

const seed = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8)

function item(n: number, tag = 0): Uint8Array {
  const out = new Uint8Array(8)
  new DataView(out.buffer).setUint32(0, n, true)
  out[4] = tag
  return out
}

describe('rotating Bloom filter', () => {
  it('remembers every item of the live generations and refuses them a second time', () => {
    const f = new RotatingBloomFilter({ capacity: 1_000, falsePositiveRate: 1e-3, seed })
    for (let n = 0; n < 1_000; n++) expect(f.addIfNew(item(n), 0)).toBe(true)
    for (let n = 0; n < 1_000; n++) {
      expect(f.has(item(n), 0)).toBe(true)
      expect(f.addIfNew(item(n), 0)).toBe(false)
    }
    expect(f.stats().rotations).toBe(0)
  })

  it('has about the false-positive rate asked for, in the bytes that rate needs', () => {
    const f = new RotatingBloomFilter({ capacity: 10_000, falsePositiveRate: 1e-2, seed })
    for (let n = 0; n < 10_000; n++) f.add(item(n), 0)
    let positives = 0
    for (let n = 0; n < 20_000; n++) if (f.has(item(n, 1), 0)) positives++
    // Two generations asked, one full: ≈ 1%; allow for chance.
    expect(positives / 20_000).toBeLessThan(0.02)
    // m = −n·ln p / ln²2 ≈ 9.59 bits per item, per generation, two generations.
    expect(f.bytes).toBe(2 * 11_982)
    expect(f.stats().hashes).toBe(7)
  })

  it('rotates by count: an item lives at least one generation and at most `generations`', () => {
    const f = new RotatingBloomFilter({ capacity: 100, falsePositiveRate: 1e-6, seed })
    f.add(item(0), 0)
    for (let n = 1; n < 100; n++) f.add(item(n), 0)
    expect(f.stats().current).toBe(100)
    // The 101st item starts the second generation; the first is still asked.
    f.add(item(100), 0)
    expect(f.stats()).toMatchObject({ rotations: 1, current: 1 })
    expect(f.has(item(0), 0)).toBe(true)
    for (let n = 101; n < 200; n++) f.add(item(n), 0)
    expect(f.has(item(0), 0)).toBe(true)
    // The 201st drops the first generation, and with it items 0…99.
    f.add(item(200), 0)
    expect(f.stats().rotations).toBe(2)
    let remembered = 0
    for (let n = 0; n < 100; n++) if (f.has(item(n), 0)) remembered++
    expect(remembered).toBe(0)
    for (let n = 100; n <= 200; n++) expect(f.has(item(n), 0)).toBe(true)
  })

  it('rotates by age: forgotten `generations` spans after it was added', () => {
    const f = new RotatingBloomFilter({
      capacity: 1_000,
      falsePositiveRate: 1e-6,
      generations: 3,
      maxAgeMs: 1_000,
      seed,
    })
    f.add(item(7), 0)
    expect(f.has(item(7), 999)).toBe(true)
    expect(f.has(item(7), 1_000)).toBe(true) // second generation began
    expect(f.has(item(7), 2_000)).toBe(true) // third
    expect(f.stats().rotations).toBe(2)
    expect(f.has(item(7), 3_000)).toBe(false) // its own generation dropped
    expect(f.addIfNew(item(7), 3_000)).toBe(true)
    // However few calls come in between: three spans later it is gone.
    expect(f.has(item(7), 6_500)).toBe(false)
    f.add(item(8), 6_500)
    expect(f.has(item(8), 7_999)).toBe(true) // its span began at 6,000
    expect(f.has(item(8), 9_000)).toBe(false)
  })

  it('keeps its size fixed however many items pass', () => {
    const f = new RotatingBloomFilter({ capacity: 64, falsePositiveRate: 1e-3, seed })
    const bytes = f.bytes
    for (let n = 0; n < 10_000; n++) f.add(item(n), n)
    expect(f.bytes).toBe(bytes)
    expect(f.stats().rotations).toBeGreaterThan(100)
    expect(f.stats().current).toBeLessThanOrEqual(64)
  })

  it('is keyed: another seed has other false positives', () => {
    const a = new RotatingBloomFilter({ capacity: 200, falsePositiveRate: 0.1, seed })
    const b = new RotatingBloomFilter({
      capacity: 200,
      falsePositiveRate: 0.1,
      seed: Uint8Array.of(9, 9, 9),
    })
    for (let n = 0; n < 200; n++) {
      a.add(item(n), 0)
      b.add(item(n), 0)
    }
    const fpA: number[] = []
    const fpB: number[] = []
    for (let n = 0; n < 2_000; n++) {
      if (a.has(item(n, 2), 0)) fpA.push(n)
      if (b.has(item(n, 2), 0)) fpB.push(n)
    }
    expect(fpA.length).toBeGreaterThan(0)
    expect(fpA).not.toEqual(fpB)
  })

  it('refuses settings it cannot keep', () => {
    const ok = { capacity: 10, falsePositiveRate: 0.01, seed }
    expect(() => new RotatingBloomFilter({ ...ok, capacity: 0 })).toThrow(RangeError)
    expect(() => new RotatingBloomFilter({ ...ok, falsePositiveRate: 1 })).toThrow(RangeError)
    expect(() => new RotatingBloomFilter({ ...ok, generations: 1 })).toThrow(RangeError)
    expect(() => new RotatingBloomFilter({ ...ok, maxAgeMs: 0 })).toThrow(RangeError)
    expect(
      () => new RotatingBloomFilter({ ...ok, capacity: 100_000_000, falsePositiveRate: 1e-9 }),
    ).toThrow(`more than ${MAX_BLOOM_BYTES} bytes`)
  })
})
