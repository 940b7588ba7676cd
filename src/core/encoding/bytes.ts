/**
 * Byte helpers used across the core: hex, concatenation, comparison, little-endian integers.
 * Plain `Uint8Array` only, so every function behaves the same on every runtime.
 */
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js'
import { EncodingError } from '../errors.ts'

export { bytesToHex, concatBytes, utf8ToBytes }

/** Strict hex: even length, [0-9a-fA-F] only, optional expected byte length. */
export function fromHex(hex: string, expectedLength?: number): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new EncodingError('HEX', 'hex string must have even length and only 0-9a-f')
  }
  const bytes = hexToBytes(hex)
  if (expectedLength !== undefined && bytes.length !== expectedLength) {
    throw new EncodingError('HEX', `expected ${expectedLength} bytes of hex, got ${bytes.length}`)
  }
  return bytes
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}

/** Lexicographic order, shorter-prefix first: the order of every sorted key and set. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!
    if (d !== 0) return d
  }
  return a.length - b.length
}

export function u32le(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff_ffff) {
    throw new EncodingError('OUT_OF_RANGE', `u32 out of range: ${n}`)
  }
  const out = new Uint8Array(4)
  new DataView(out.buffer).setUint32(0, n, true)
  return out
}

const keyIds = new WeakMap<Uint8Array, string>()

/**
 * `bytesToHex` of a key that is looked up many times (a voter key of a decoded batch is checked
 * by the tally, the chain and the committee): computed once per array. The array must not be
 * mutated afterwards — keys decoded from messages never are.
 */
export function keyId(key: Uint8Array): string {
  let id = keyIds.get(key)
  if (id === undefined) {
    id = bytesToHex(key)
    keyIds.set(key, id)
  }
  return id
}

/**
 * 32 bytes as 16 UTF-16 code units, then `a` and `b` (two more code units, zero by default): an
 * in-memory map key in one allocation, no hex — about 9× cheaper than `bytesToHex`. Opaque (code
 * units may be lone surrogates): never shown, logged or stored.
 */
// biome-ignore format: one argument per byte pair
export function bytes32Key(t: Uint8Array, a = 0, b = 0): string {
  return String.fromCharCode(
    t[0]! | (t[1]! << 8), t[2]! | (t[3]! << 8), t[4]! | (t[5]! << 8), t[6]! | (t[7]! << 8),
    t[8]! | (t[9]! << 8), t[10]! | (t[11]! << 8), t[12]! | (t[13]! << 8), t[14]! | (t[15]! << 8),
    t[16]! | (t[17]! << 8), t[18]! | (t[19]! << 8), t[20]! | (t[21]! << 8), t[22]! | (t[23]! << 8),
    t[24]! | (t[25]! << 8), t[26]! | (t[27]! << 8), t[28]! | (t[29]! << 8), t[30]! | (t[31]! << 8),
    a, b,
  )
}
