/**
 * "Already relayed" for the direct paths (DESIGN §5): a rotating Bloom filter. Items go into the
 * newest of a few generations; a lookup asks all of them; when the newest holds `capacity` items
 * or is `maxAgeMs` old, the oldest generation is dropped and an empty one begins. So an item is
 * remembered for at least one generation's span and at most `generations` of them, in a fixed
 * number of bytes. Pure: the caller hands in the time and the hash key (random per process, so
 * no peer can craft items that collide here).
 *
 * Invariants: memory is `generations × bitsPerGeneration / 8` bytes, fixed at construction; no
 * false negatives while an item's generation lives; a false positive (rate ≈ `falsePositiveRate`
 * per generation asked) only ever skips a relay — callers never use this to judge validity.
 */
import { sha256 } from '@noble/hashes/sha2.js'

export interface RotatingBloomOptions {
  /** Items per generation before it rotates. */
  readonly capacity: number
  /** Wanted false-positive rate of one full generation (e.g. 1e-4). */
  readonly falsePositiveRate: number
  /** Generations kept (default 2, at least 2). */
  readonly generations?: number
  /** A generation older than this rotates too (default: never by age). */
  readonly maxAgeMs?: number
  /** Keys the hash: random bytes per process (e.g. `crypto.getRandomValues(new Uint8Array(16))`). */
  readonly seed: Uint8Array
}

/** The largest filter allowed: 64 MiB over all generations. */
export const MAX_BLOOM_BYTES = 64 * 1024 * 1024

export interface RotatingBloomStats {
  readonly generations: number
  readonly bytes: number
  readonly hashes: number
  /** Items added to the newest generation. */
  readonly current: number
  readonly rotations: number
}

export class RotatingBloomFilter {
  readonly #bits: Uint8Array[]
  readonly #bitCount: number
  readonly #hashes: number
  readonly #capacity: number
  readonly #maxAgeMs: number
  readonly #seed: Uint8Array
  /** Index of the newest generation in `#bits` (a ring). */
  #newest = 0
  #count = 0
  #startedAt: number | undefined
  #rotations = 0

  constructor(options: RotatingBloomOptions) {
    const { capacity, falsePositiveRate: p, generations = 2, maxAgeMs = Infinity } = options
    if (!(Number.isSafeInteger(capacity) && capacity >= 1))
      throw new RangeError('a Bloom filter needs a capacity of at least one item')
    if (!(p > 0 && p < 1)) throw new RangeError('the false-positive rate is between 0 and 1')
    if (!(Number.isSafeInteger(generations) && generations >= 2))
      throw new RangeError('a rotating Bloom filter keeps at least two generations')
    if (!(maxAgeMs > 0)) throw new RangeError('a generation lives a positive time')
    // m = −n·ln p / (ln 2)², k = (m / n)·ln 2: the sizes that reach p at n items.
    const bits = Math.max(64, Math.ceil((-capacity * Math.log(p)) / Math.LN2 ** 2 / 8) * 8)
    if ((generations * bits) / 8 > MAX_BLOOM_BYTES)
      throw new RangeError(`a Bloom filter of more than ${MAX_BLOOM_BYTES} bytes`)
    this.#bitCount = bits
    this.#hashes = Math.min(32, Math.max(1, Math.round((bits / capacity) * Math.LN2)))
    this.#bits = Array.from({ length: generations }, () => new Uint8Array(bits / 8))
    this.#capacity = capacity
    this.#maxAgeMs = maxAgeMs
    this.#seed = options.seed.slice()
  }

  /** Whether `item` may have been added (never false for one added within the live generations). */
  has(item: Uint8Array, now: number): boolean {
    this.#age(now)
    const positions = this.#positions(item)
    return this.#holds(positions)
  }

  add(item: Uint8Array, now: number): void {
    this.#age(now)
    this.#set(this.#positions(item), now)
  }

  /** Adds `item`; true when it was not there yet (the caller relays it), false to skip. */
  addIfNew(item: Uint8Array, now: number): boolean {
    this.#age(now)
    const positions = this.#positions(item)
    if (this.#holds(positions)) return false
    this.#set(positions, now)
    return true
  }

  /** Starts a new generation now, dropping the oldest. */
  rotate(now: number): void {
    this.#newest = (this.#newest + 1) % this.#bits.length
    this.#bits[this.#newest]!.fill(0)
    this.#count = 0
    this.#startedAt = now
    this.#rotations++
  }

  get bytes(): number {
    return (this.#bits.length * this.#bitCount) / 8
  }

  stats(): RotatingBloomStats {
    return {
      generations: this.#bits.length,
      bytes: this.bytes,
      hashes: this.#hashes,
      current: this.#count,
      rotations: this.#rotations,
    }
  }

  #set(positions: readonly number[], now: number): void {
    if (this.#count >= this.#capacity) this.rotate(now)
    const bits = this.#bits[this.#newest]!
    for (const i of positions) bits[i >>> 3]! |= 1 << (i & 7)
    this.#count++
  }

  #holds(positions: readonly number[]): boolean {
    return this.#bits.some((bits) =>
      positions.every((i) => (bits[i >>> 3]! & (1 << (i & 7))) !== 0),
    )
  }

  /**
   * Rotates once for every `maxAgeMs` the newest generation has outlived (the clock starts at the
   * first call), so an item is gone `generations` spans after its own began, however few calls
   * came in between.
   */
  #age(now: number): void {
    if (this.#startedAt === undefined) {
      this.#startedAt = now
      return
    }
    const began = this.#startedAt
    const spans = Math.floor((now - began) / this.#maxAgeMs)
    if (!(spans >= 1)) return
    for (let i = Math.min(spans, this.#bits.length); i > 0; i--) this.rotate(now)
    this.#startedAt = began + spans * this.#maxAgeMs
  }

  /** k bit positions by double hashing (Kirsch–Mitzenmacher) of one keyed SHA-256. */
  #positions(item: Uint8Array): number[] {
    const h = sha256.create().update(this.#seed).update(item).digest()
    const view = new DataView(h.buffer, h.byteOffset, h.byteLength)
    const m = this.#bitCount
    const a = view.getUint32(0, true) % m
    // An odd step never cycles early when m is a power of two; any non-zero step works otherwise.
    const b = (view.getUint32(4, true) % m) | 1
    const out = new Array<number>(this.#hashes)
    for (let i = 0; i < this.#hashes; i++) out[i] = (a + i * b) % m
    return out
  }
}
