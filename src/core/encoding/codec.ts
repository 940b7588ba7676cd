/**
 * A Codec is the only way bytes become protocol objects and back. Decoding is strict: the input
 * must be consumed exactly, every length is checked against its limit before anything is read,
 * and every failure is an EncodingError with a machine code — so every valid object has exactly
 * one encoding and a malformed frame costs the sender, never the receiver.
 */
import type * as P from 'micro-packed'
import { EncodingError, type EncodingErrorCode, PeerAction } from '../errors.ts'

export interface Codec<T> {
  /** Name used in error messages and docs. */
  readonly name: string
  /** Largest valid encoding in bytes; longer input is refused before parsing. */
  readonly maxSize: number
  encode(value: T): Uint8Array
  decode(bytes: Uint8Array): T
  /** The underlying composable coder, for embedding in larger schemas. */
  readonly coder: P.CoderType<T>
}

const CODE_MARK = /\[(TRUNCATED|TRAILING_BYTES|OUT_OF_RANGE|LIMIT_EXCEEDED|INVALID_VALUE)\]/

/** Maps micro-packed's contextual error messages (and our own marked ones) to machine codes. */
export function classifyError(message: string): EncodingErrorCode {
  const marked = CODE_MARK.exec(message)
  if (marked) return marked[1] as EncodingErrorCode
  if (/left after unpack/.test(message)) return 'TRAILING_BYTES'
  if (/end of buffer/i.test(message)) return 'TRUNCATED'
  if (/out of (unsigned )?bounds|out of range/i.test(message)) return 'OUT_OF_RANGE'
  return 'INVALID_VALUE'
}

/** Throw inside a coder to give the failure a precise code (recovered by classifyError). */
export function fail(code: EncodingErrorCode, message: string): never {
  throw new Error(`[${code}] ${message}`)
}

export function codec<T>(name: string, coder: P.CoderType<T>, maxSize: number): Codec<T> {
  return {
    name,
    maxSize,
    coder,
    encode(value: T): Uint8Array {
      let bytes: Uint8Array
      try {
        bytes = coder.encode(value)
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e)
        throw new EncodingError(classifyError(message), `${name}: cannot encode: ${message}`)
      }
      if (bytes.length > maxSize) {
        throw new EncodingError(
          'LIMIT_EXCEEDED',
          `${name}: encoding is ${bytes.length} bytes, limit ${maxSize}`,
        )
      }
      return bytes
    },
    decode(bytes: Uint8Array): T {
      if (!(bytes instanceof Uint8Array)) {
        throw new EncodingError('INVALID_VALUE', `${name}: expected Uint8Array`)
      }
      if (bytes.length > maxSize) {
        throw new EncodingError(
          'LIMIT_EXCEEDED',
          `${name}: ${bytes.length} bytes exceeds limit ${maxSize}`,
          PeerAction.LowToleranceError,
        )
      }
      try {
        return coder.decode(bytes)
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e)
        throw new EncodingError(
          classifyError(message),
          `${name}: ${message}`,
          PeerAction.LowToleranceError,
          { cause: e },
        )
      }
    },
  }
}
