// The simulator's only source of randomness: sfc32 keyed by SHA-256 of the seed. Streams are
// named: `fork(label)` derives a child from the parent's key and the label alone, never from the
// parent's position, so draws in one component cannot shift another's stream.
import { sha256 } from '@noble/hashes/sha2.js'
import { assertSeed, type Seed } from './seed.ts'

const TWO_32 = 2 ** 32
const encoder = new TextEncoder()

export class Prng {
  readonly seed: Seed
  /** Human-readable stream name, e.g. `42/network/link 3->5`, for reports. */
  readonly path: string
  readonly #key: Uint8Array
  #a = 0
  #b = 0
  #c = 0
  #d = 0

  private constructor(seed: Seed, path: string, key: Uint8Array) {
    this.seed = seed
    this.path = path
    this.#key = key
    const v = new DataView(key.buffer, key.byteOffset, key.byteLength)
    this.#a = v.getUint32(0, true)
    this.#b = v.getUint32(4, true)
    this.#c = v.getUint32(8, true)
    this.#d = v.getUint32(12, true)
    for (let i = 0; i < 12; i++) this.next()
  }

  static fromSeed(seed: Seed): Prng {
    assertSeed(seed)
    return new Prng(seed, String(seed), sha256(encoder.encode(`timecoin-sim-seed:${String(seed)}`)))
  }

  /**
   * An independent stream named by `label`. Pure: the same label from the same parent always
   * gives the same stream, whatever either has drawn; distinct labels give unrelated streams.
   */
  fork(label: string): Prng {
    const label8 = encoder.encode(label)
    const input = new Uint8Array(this.#key.length + label8.length)
    input.set(this.#key)
    input.set(label8, this.#key.length)
    return new Prng(this.seed, `${this.path}/${label}`, sha256(input))
  }

  /** A uniform uint32 (sfc32). */
  next(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0
    this.#d = (this.#d + 1) | 0
    this.#a = this.#b ^ (this.#b >>> 9)
    this.#b = (this.#c + (this.#c << 3)) | 0
    this.#c = (this.#c << 21) | (this.#c >>> 11)
    this.#c = (this.#c + t) | 0
    return t >>> 0
  }

  /** Uniform in [0, 1), 32 bits of resolution. */
  float(): number {
    return this.next() / TWO_32
  }

  /** Uniform integer in [0, n), unbiased (rejection sampling); 1 ≤ n ≤ 2³². */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > TWO_32) throw new RangeError(`int(${n})`)
    const limit = TWO_32 - (TWO_32 % n)
    for (;;) {
      const x = this.next()
      if (x < limit) return x % n
    }
  }

  /** Uniform integer in [lo, hi], both ends included. */
  intIn(lo: number, hi: number): number {
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || hi < lo) {
      throw new RangeError(`intIn(${lo}, ${hi})`)
    }
    return lo + this.int(hi - lo + 1)
  }

  /** Uniform real in [lo, hi). */
  range(lo: number, hi: number): number {
    if (!(Number.isFinite(lo) && Number.isFinite(hi) && hi >= lo)) {
      throw new RangeError(`range(${lo}, ${hi})`)
    }
    return lo + this.float() * (hi - lo)
  }

  /** True with probability p. Always draws once, so the stream does not depend on p. */
  chance(p: number): boolean {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`chance(${p})`)
    return this.float() < p
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty array')
    return items[this.int(items.length)] as T
  }

  /** Fisher–Yates, in place; returns `items`. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1)
      const tmp = items[i] as T
      items[i] = items[j] as T
      items[j] = tmp
    }
    return items
  }

  /** Gaussian (Box–Muller; two draws, no cached spare so each call costs the same). */
  normal(mean = 0, sd = 1): number {
    const u1 = 1 - this.float()
    const u2 = this.float()
    return mean + sd * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2)
  }

  /** exp(N(mu, sigma)): median e^mu, right-skewed like real network delay. */
  lognormal(mu: number, sigma: number): number {
    return Math.exp(this.normal(mu, sigma))
  }

  /** Exponential with the given mean (≥ 0). */
  exponential(mean: number): number {
    if (!(mean >= 0)) throw new RangeError(`exponential(${mean})`)
    return -mean * Math.log(1 - this.float())
  }
}
