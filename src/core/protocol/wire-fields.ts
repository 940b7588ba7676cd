/**
 * Field coders the wire messages share beyond the consensus schemas: a transaction as
 * `u32 size ‖ signed transaction` (decoded with its txid taken from the received bytes), request
 * ids, and bounded text (an error code, a UTF-8 message).
 *
 * Invariants: as everywhere in the encoding layer, every limit is checked before the bytes it
 * covers are read, and every decoded value has exactly one encoding — text is valid UTF-8 that
 * re-encodes to the same bytes (no byte-order mark stripped, no lone surrogate written).
 */
import * as P from 'micro-packed'
import { fail } from '../encoding/codec.ts'
import { boundedBytes, limitedLength, u32 } from '../encoding/fields.ts'
import { EncodingError, type TimeCoinError } from '../errors.ts'
import {
  decodeTransaction,
  MAX_TX_SIZE,
  signedBytes,
  type Transaction,
} from '../primitives/transaction.ts'

/** Re-raises a typed encoding error inside a coder with its code intact. */
function keepCode(e: unknown): never {
  if (e instanceof EncodingError) fail(e.code, e.message)
  throw e
}

const txSize = limitedLength(u32, MAX_TX_SIZE, 'transaction size')

/**
 * `u32 size ‖ signed transaction` (docs/PROTOCOL.md §7.1). Decoding derives the txid from the
 * unsigned prefix of the received bytes (`decodeTransaction`), so a receiver never re-encodes a
 * transaction to learn its id; encoding reuses the object's cached signed bytes.
 */
export const sizedTransaction = P.wrap<Transaction>({
  encodeStream(w, tx) {
    let bytes: Uint8Array
    try {
      bytes = signedBytes(tx)
    } catch (e) {
      keepCode(e)
    }
    txSize.encodeStream(w, bytes.length)
    w.bytes(bytes)
  },
  decodeStream(r) {
    const bytes = r.bytes(txSize.decodeStream(r))
    try {
      return decodeTransaction(bytes).tx
    } catch (e) {
      keepCode(e)
    }
  },
})

/** Largest `sizedTransaction` encoding. */
export const SIZED_TX_MAX = 4 + MAX_TX_SIZE

/** A request's id, echoed by its answer (the wallet protocol multiplexes one stream). */
export const requestId = u32

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
const utf8Encoder = new TextEncoder()

/** `u32 length ‖ UTF-8`, at most `max` bytes, valid UTF-8 only. */
export function boundedText(max: number, what: string): P.CoderType<string> {
  const inner = boundedBytes(max, what)
  return P.wrap<string>({
    encodeStream(w, text) {
      if (typeof text !== 'string') fail('INVALID_VALUE', `${what}: not a string`)
      const bytes = utf8Encoder.encode(text)
      // A lone surrogate would be written as U+FFFD: the bytes would not decode to this text.
      if (utf8.decode(bytes) !== text) fail('INVALID_VALUE', `${what}: not well-formed Unicode`)
      inner.encodeStream(w, bytes)
    },
    decodeStream(r) {
      const bytes = inner.decodeStream(r)
      try {
        return utf8.decode(bytes)
      } catch {
        fail('INVALID_VALUE', `${what}: not valid UTF-8`)
      }
    },
  })
}

/** The longest prefix of `text` whose UTF-8 encoding fits `maxBytes` (whole code points). */
export function fitText(text: string, maxBytes: number): string {
  if (utf8Encoder.encode(text).length <= maxBytes) return text
  let out = ''
  let size = 0
  for (const ch of text) {
    const n = utf8Encoder.encode(ch).length
    if (size + n > maxBytes) break
    out += ch
    size += n
  }
  return out
}

export const MAX_ERROR_CODE_LENGTH = 64
export const MAX_ERROR_MESSAGE_BYTES = 512
const CODE_PATTERN = /^[A-Z][A-Z0-9_]*$/

/** An error code as in src/core/error-codes.ts: `[A-Z][A-Z0-9_]*`, at most 64 bytes. */
const errorCode = P.validate(boundedText(MAX_ERROR_CODE_LENGTH, 'error code'), (code) =>
  CODE_PATTERN.test(code) ? code : fail('INVALID_VALUE', `error code ${code} is not A-Z0-9_`),
)

/** A typed error as a peer sees it: the code of the project's error table and a short message. */
export interface WireError {
  readonly code: string
  readonly message: string
}

export const wireErrorCoder = P.struct({
  code: errorCode,
  message: boundedText(MAX_ERROR_MESSAGE_BYTES, 'error message'),
}) as unknown as P.CoderType<WireError>

export const WIRE_ERROR_MAX = 4 + MAX_ERROR_CODE_LENGTH + 4 + MAX_ERROR_MESSAGE_BYTES

/** A typed error's code and message, the message cut to fit the wire. */
export function wireError(error: TimeCoinError): WireError {
  return { code: error.code, message: fitText(error.message, MAX_ERROR_MESSAGE_BYTES) }
}
