/**
 * MuHash3072: an incremental multiset hash (as bitcoind's `gettxoutsetinfo muhash`). Each element
 * maps to a number mod p = 2^3072 − 1103717; the set's value is the product of its elements', so
 * adding or removing one element is one multiplication and the order of changes never matters.
 * Removals multiply a separate denominator; `digest()` divides once. Security rests on the
 * discrete-log hardness of the multiplicative group mod p, unlike additive hashes mod 2^n.
 */
import { blake3 } from '@noble/hashes/blake3.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { utf8ToBytes } from '../encoding/bytes.ts'

const BITS = 3072n
const C = 1103717n
const P = (1n << BITS) - C
const MASK = (1n << BITS) - 1n
const ELEMENT_BYTES = 384
/** Key of the keyed BLAKE3 that expands elements: BLAKE3("TIMECOIN/muhash-element/v1"). */
const EXPAND_KEY = blake3(utf8ToBytes('TIMECOIN/muhash-element/v1'))

/** x mod p for 0 ≤ x < p², using 2^3072 ≡ c (mod p). */
function reduce(x: bigint): bigint {
  let r = (x >> BITS) * C + (x & MASK)
  r = (r >> BITS) * C + (r & MASK)
  return r >= P ? r - P : r
}

function modInverse(a: bigint): bigint {
  // Fermat would need a 3072-bit exponentiation; extended Euclid is far cheaper here.
  let [oldR, r] = [a, P]
  let [oldS, s] = [1n, 0n]
  while (r !== 0n) {
    const q = oldR / r
    ;[oldR, r] = [r, oldR - q * r]
    ;[oldS, s] = [s, oldS - q * s]
  }
  return ((oldS % P) + P) % P
}

function bigFromBytesBE(bytes: Uint8Array): bigint {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let n = 0n
  for (let i = 0; i < bytes.length; i += 8) n = (n << 64n) | view.getBigUint64(i)
  return n
}

/**
 * Maps element bytes to a number in [1, p): 384 bytes of keyed BLAKE3 output (key EXPAND_KEY)
 * read big-endian, minus p if not below it (a 384-byte value is below 2p), and 0 maps to 1.
 */
export function muhashElement(data: Uint8Array): bigint {
  const x = bigFromBytesBE(blake3(data, { key: EXPAND_KEY, dkLen: ELEMENT_BYTES }))
  const n = x >= P ? x - P : x
  return n === 0n ? 1n : n
}

function toBytesBE(value: bigint): Uint8Array {
  const bytes = new Uint8Array(ELEMENT_BYTES)
  const view = new DataView(bytes.buffer)
  let rest = value
  for (let i = ELEMENT_BYTES - 8; i >= 0; i -= 8) {
    view.setBigUint64(i, rest & 0xffff_ffff_ffff_ffffn)
    rest >>= 64n
  }
  return bytes
}

export class MuHash {
  #numerator = 1n
  #denominator = 1n

  add(element: Uint8Array): void {
    this.#numerator = reduce(this.#numerator * muhashElement(element))
  }

  remove(element: Uint8Array): void {
    this.#denominator = reduce(this.#denominator * muhashElement(element))
  }

  /** Folds in another accumulator (the union of two disjoint multisets). */
  combine(other: MuHash): void {
    this.#numerator = reduce(this.#numerator * other.#numerator)
    this.#denominator = reduce(this.#denominator * other.#denominator)
  }

  /** Whether both accumulators hold the same set: n1 · d2 ≡ n2 · d1 (no inversion needed). */
  equals(other: MuHash): boolean {
    return (
      reduce(this.#numerator * other.#denominator) === reduce(other.#numerator * this.#denominator)
    )
  }

  /** The accumulator's state (numerator ‖ denominator, 384 bytes each, big-endian), to persist. */
  serialize(): Uint8Array {
    const out = new Uint8Array(2 * ELEMENT_BYTES)
    out.set(toBytesBE(this.#numerator), 0)
    out.set(toBytesBE(this.#denominator), ELEMENT_BYTES)
    return out
  }

  /** Restores `serialize()`d state; null when the bytes are not a valid state. */
  static deserialize(bytes: Uint8Array): MuHash | null {
    if (bytes.length !== 2 * ELEMENT_BYTES) return null
    const numerator = bigFromBytesBE(bytes.subarray(0, ELEMENT_BYTES))
    const denominator = bigFromBytesBE(bytes.subarray(ELEMENT_BYTES))
    if (numerator === 0n || denominator === 0n || numerator >= P || denominator >= P) return null
    const m = new MuHash()
    m.#numerator = numerator
    m.#denominator = denominator
    return m
  }

  /** 32-byte commitment: SHA-256 of the 384-byte big-endian value of the set. */
  digest(): Uint8Array {
    // No normalisation here: the accumulator's state (persisted as is) must not depend on when
    // a summary was taken.
    const value = reduce(this.#numerator * modInverse(this.#denominator))
    return sha256(toBytesBE(value))
  }
}
