/**
 * The key layout: every key in every store is one bucket byte followed by the parts of the key,
 * integers big-endian so that byte order is numeric order. Every bucket is registered here and in
 * the "Key layout" table of docs/STORAGE.md, and every key is built with `bucketKey`.
 */
import { concatBytes } from '../encoding/bytes.ts'
import { StorageError } from './errors.ts'

/**
 * Bucket bytes, one per kind of record (documented in docs/STORAGE.md, "Key layout"). Consensus
 * will add its own (vote decisions, sequence numbers, seals, blocks). A byte, once shipped, is
 * never reused for another meaning.
 */
export const Bucket = {
  /** `0x10 ‖ txid ‖ u32be(vout)` → UTXO record (output, creation height, state). */
  utxo: 0x10,
  /** `0x11 ‖ txid` → mempool record (status, voted, arrival, fee, signed transaction). */
  mempool: 0x11,
  /** `0x12 ‖ txid` → finality certificate of a final, unconfirmed transaction. */
  certificate: 0x12,
  /** `0x20 ‖ txid` → this node's vote decision on the transaction (never changes). */
  decision: 0x20,
  /** `0x21 ‖ ascii name` → node metadata (e.g. `lastSeq`, the highest vote-batch seq used). */
  nodeMeta: 0x21,
  /** `0x22 ‖ u32be(height) ‖ u32be(attempt) ‖ kind u8` → this node's block vote (block hash, zeros for nil). */
  blockVote: 0x22,
  /** `0x23 ‖ u32be(height)` → a committed block and its certificate. */
  block: 0x23,
  /**
   * `0x24 ‖ u32be(epoch)` → the committee proof step that began `epoch`: the committee-changing
   * block's header, its certificate and the new members (served to light clients).
   */
  committeeStep: 0x24,
} as const satisfies Record<string, number>

/** `bucket ‖ parts…`: the key of a record in a bucket. */
export function bucketKey(bucket: number, ...parts: readonly Uint8Array[]): Uint8Array {
  if (!Number.isInteger(bucket) || bucket < 0 || bucket > 0xff) {
    throw new StorageError('STORE_INVALID_KEY', `bucket must be a byte, got ${bucket}`)
  }
  return concatBytes(Uint8Array.of(bucket), ...parts)
}
