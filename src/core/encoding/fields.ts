/**
 * Field coders every schema is built from: fixed-width little-endian integers, fixed-size byte
 * strings, and length-prefixed arrays whose prefix is fixed-width (so no length has two
 * encodings) and checked against a per-field limit before any element is read.
 *
 * Every decoded byte string owns its bytes: it is a copy, never a view into the input (see
 * `ownedBytes`), so a caller may reuse or overwrite its receive buffer as soon as `decode`
 * returns without changing a key, txid or signature the engine keeps.
 */
import * as P from 'micro-packed'
import { EncodingError } from '../errors.ts'
import { fail } from './codec.ts'

export const u8 = P.U8
export const u16 = P.U16LE
export const u32 = P.U32LE
export const u64 = P.U64LE

/**
 * `P.bytes(len)` whose decoded value is a copy. micro-packed hands back a subarray of the input;
 * decoded keys, txids, signatures, roots and paths outlive the input (the engine keeps them, and
 * `keyId` caches by array), so one slice per field here keeps them intact when a shell reuses
 * its receive buffers. Every byte field of every schema goes through this coder.
 */
export function ownedBytes(len: P.Length): P.CoderType<Uint8Array> {
  const inner = P.bytes(len)
  return P.wrap<Uint8Array>({
    ...(inner.size === undefined ? {} : { size: inner.size }),
    encodeStream: (w, value) => inner.encodeStream(w, value),
    // A fixed size is read directly (the hot case: keys, txids, signatures, hashes).
    decodeStream:
      typeof len === 'number' ? (r) => r.bytes(len).slice() : (r) => inner.decodeStream(r).slice(),
  })
}

export const bytes20 = ownedBytes(20)
export const bytes32 = ownedBytes(32)
export const bytes64 = ownedBytes(64)

/** Strict boolean: exactly 0x00 or 0x01. */
export const bool = P.bool

/** A fixed-width length prefix that refuses (on decode and encode) any value above `max`. */
export function limitedLength(prefix: P.CoderType<number>, max: number, what: string) {
  return P.validate(prefix, (n) => {
    if (n > max) fail('LIMIT_EXCEEDED', `${what}: ${n} exceeds limit ${max}`)
    return n
  })
}

/** `u16 count ‖ items`, count ≤ max. */
export function boundedArray<T>(max: number, inner: P.CoderType<T>, what: string) {
  return P.array(limitedLength(u16, max, what), inner)
}

/** `u32 count ‖ items`, count ≤ max: for lists that may pass 65,535 items. */
export function boundedList<T>(max: number, inner: P.CoderType<T>, what: string) {
  return P.array(limitedLength(u32, max, what), inner)
}

/** `u32 length ‖ bytes`, length ≤ max. */
export function boundedBytes(max: number, what: string) {
  return ownedBytes(limitedLength(u32, max, what))
}

/** u64 restricted to [min, max]. */
export function rangedU64(min: bigint, max: bigint, what: string) {
  return P.validate(u64, (n) => {
    if (n < min || n > max) fail('OUT_OF_RANGE', `${what}: ${n} not in [${min}, ${max}]`)
    return n
  })
}

/** u16 restricted to an allowed set (e.g. known versions). */
export function oneOfU16(allowed: readonly number[], what: string) {
  return P.validate(u16, (n) => {
    if (!allowed.includes(n)) fail('INVALID_VALUE', `${what}: unknown value ${n}`)
    return n
  })
}

/** u64 on the wire, a safe-integer `number` in memory (sequence numbers, millisecond times). */
export const u64Number = P.wrap<number>({
  encodeStream(w, n) {
    if (!Number.isSafeInteger(n) || n < 0) fail('OUT_OF_RANGE', `not a safe u64: ${n}`)
    u64.encodeStream(w, BigInt(n))
  },
  decodeStream(r) {
    const n = u64.decodeStream(r)
    if (n > BigInt(Number.MAX_SAFE_INTEGER)) fail('OUT_OF_RANGE', `u64 ${n} above 2^53 − 1`)
    return Number(n)
  },
})

/** u64 on the wire, an integer `number` in [0, max] in memory (`max` ≤ 2^53 − 1): weights. */
export function rangedU64Number(max: number, what: string) {
  if (!Number.isSafeInteger(max) || max < 0)
    throw new EncodingError('OUT_OF_RANGE', `${what}: bound ${max} is not a safe u64`)
  const limit = BigInt(max)
  return P.wrap<number>({
    encodeStream(w, n) {
      if (!Number.isSafeInteger(n) || n < 0 || n > max)
        fail('OUT_OF_RANGE', `${what}: ${n} not an integer in [0, ${max}]`)
      u64.encodeStream(w, BigInt(n))
    },
    decodeStream(r) {
      const n = u64.decodeStream(r)
      if (n > limit) fail('OUT_OF_RANGE', `${what}: ${n} above ${max}`)
      return Number(n)
    },
  })
}
