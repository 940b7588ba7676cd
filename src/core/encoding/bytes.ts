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
