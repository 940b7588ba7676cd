/**
 * The key layout: every key in every store is one bucket byte followed by the parts of the key,
 * integers big-endian so that byte order is numeric order. Every bucket is registered here and in
 * the "Key layout" table of docs/STORAGE.md, and every key is built with `bucketKey`.
 */
import { concatBytes } from '../encoding/bytes.ts'
import { StorageError } from './errors.ts'

/**
 * Bucket bytes, one per kind of record. Empty until the ledger and consensus register theirs
 * (UTXO entries and their states, locks and vote decisions, certificates, blocks, the node's own
 * vote sequence and seals). A byte, once shipped, is never reused for another meaning.
 */
export const Bucket = {} as const satisfies Record<string, number>

/** `bucket ‖ parts…`: the key of a record in a bucket. */
export function bucketKey(bucket: number, ...parts: readonly Uint8Array[]): Uint8Array {
  if (!Number.isInteger(bucket) || bucket < 0 || bucket > 0xff) {
    throw new StorageError('INVALID_KEY', `bucket must be a byte, got ${bucket}`)
  }
  return concatBytes(Uint8Array.of(bucket), ...parts)
}
