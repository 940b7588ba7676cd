// The PRNG: replayable across runs and versions, named forks independent of each other's draws,
// and distributions close enough to their definitions (fixed seeds, so the bounds never flake).
import { describe, expect, it } from 'vitest'
import { Prng } from './prng.ts'

const draws = (prng: Prng, n: number) => Array.from({ length: n }, () => prng.next())

describe('Prng', () => {
  it('gives the same stream for the same seed, and "42" is the seed 42', () => {
    expect(draws(Prng.fromSeed(42), 1000)).toEqual(draws(Prng.fromSeed(42), 1000))
    expect(draws(Prng.fromSeed('42'), 10)).toEqual(draws(Prng.fromSeed(42), 10))
    expect(draws(Prng.fromSeed(43), 10)).not.toEqual(draws(Prng.fromSeed(42), 10))
  })

  it('keeps its algorithm: old failing seeds must still replay', () => {
    expect(draws(Prng.fromSeed(1), 4)).toEqual(GOLDEN_SEED_1)
  })

  it('forks by name, independent of what the parent or a sibling has drawn', () => {
    const a = Prng.fromSeed(7)
    const b = Prng.fromSeed(7)
    draws(b, 500)
    draws(b.fork('other'), 500)
    expect(draws(a.fork('net'), 100)).toEqual(draws(b.fork('net'), 100))
    expect(a.fork('net').path).toBe('7/net')
    // Different names, depth and parents give unrelated streams.
    const streams = [
      a,
      a.fork('net'),
      a.fork('disk'),
      a.fork('net').fork('net'),
      Prng.fromSeed(8).fork('net'),
    ]
    const firsts = streams.map((p) => draws(p, 4).join(','))
    expect(new Set(firsts).size).toBe(streams.length)
  })

  it('draws int(10) uniformly: chi-square over 100k draws under the 0.1% critical value', () => {
    const prng = Prng.fromSeed('uniformity')
    const counts = new Array<number>(10).fill(0)
    const n = 100_000
    for (let i = 0; i < n; i++) {
      const k = prng.int(10)
      counts[k] = (counts[k] ?? 0) + 1
    }
    const expected = n / 10
    const chi2 = counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0)
    expect(chi2).toBeLessThan(27.88) // 9 degrees of freedom, p = 0.001
  })

  it('keeps every helper in its range', () => {
    const prng = Prng.fromSeed(3)
    let floatSum = 0
    const seen = new Set<number>()
    for (let i = 0; i < 20_000; i++) {
      const f = prng.float()
      expect(f >= 0 && f < 1).toBe(true)
      floatSum += f
      const r = prng.range(-5, 5)
      expect(r >= -5 && r < 5).toBe(true)
      seen.add(prng.intIn(2, 4))
    }
    expect(floatSum / 20_000).toBeCloseTo(0.5, 2)
    expect([...seen].sort()).toEqual([2, 3, 4])
    expect(prng.int(1)).toBe(0)
    expect(prng.int(2 ** 32)).toBeLessThan(2 ** 32)
    expect(() => prng.int(0)).toThrow(RangeError)
    expect(() => prng.int(1.5)).toThrow(RangeError)
    expect(prng.chance(0)).toBe(false)
    expect(prng.chance(1)).toBe(true)
    expect(() => prng.chance(1.1)).toThrow(RangeError)
    expect(() => prng.pick([])).toThrow(RangeError)
  })

  it('shuffles into a permutation, and pick reaches every element', () => {
    const prng = Prng.fromSeed(5)
    const items = Array.from({ length: 50 }, (_, i) => i)
    const shuffled = prng.shuffle([...items])
    expect(shuffled).not.toEqual(items)
    expect([...shuffled].sort((a, b) => a - b)).toEqual(items)
    const picked = new Set(Array.from({ length: 500 }, () => prng.pick(['a', 'b', 'c'])))
    expect(picked.size).toBe(3)
  })

  it('draws normal, lognormal and exponential with the right moments', () => {
    const prng = Prng.fromSeed(11)
    const n = 50_000
    const normal = Array.from({ length: n }, () => prng.normal(10, 2))
    const mean = normal.reduce((a, b) => a + b, 0) / n
    const sd = Math.sqrt(normal.reduce((a, b) => a + (b - mean) ** 2, 0) / n)
    expect(mean).toBeCloseTo(10, 1)
    expect(sd).toBeCloseTo(2, 1)
    const exp = Array.from({ length: n }, () => prng.exponential(5))
    expect(exp.every((x) => x >= 0)).toBe(true)
    expect(exp.reduce((a, b) => a + b, 0) / n).toBeCloseTo(5, 0)
    const logn = Array.from({ length: n }, () => prng.lognormal(Math.log(50), 0.3)).sort(
      (a, b) => a - b,
    )
    expect(logn[n / 2]).toBeGreaterThan(49)
    expect(logn[n / 2]).toBeLessThan(51)
  })
})

const GOLDEN_SEED_1 = [1631953712, 2253141697, 1556498026, 1115295217]
