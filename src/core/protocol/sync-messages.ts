/**
 * The sync protocol's messages (docs/PROTOCOL.md §19.6): a fresh or lagging node asks a peer for
 * its tip, for committed blocks by height range (each with its certificate, so every step is
 * checked) and for a UTXO snapshot at a certified height in numbered chunks (checked against the
 * header's UTXO-set commitment once complete). `u8 tag ‖ body`, tags 0x40–0x45.
 *
 * Invariants: a range answer holds consecutive blocks from the requested height and fits one
 * frame the size of a committed block with its certificate — the responder sends the longest prefix
 * of the range that fits (at least one block), so no frame grows with the range; a chunk holds at
 * most `MAX_SNAPSHOT_RECORDS` outputs.
 */
import * as P from 'micro-packed'
import { type Block, BlockCodec } from '../consensus/block.ts'
import { type BlockCertificate, BlockCertificateCodec } from '../consensus/block-certificate.ts'
import { fail } from '../encoding/codec.ts'
import { boundedArray, bytes32, limitedLength, u32 } from '../encoding/fields.ts'
import { OUTPOINT_SIZE, type OutPoint, outPointCoder } from '../primitives/outpoint.ts'
import { type TxOutput, txOutputCoder } from '../primitives/transaction.ts'
import { MAX_BLOCK_MESSAGE_SIZE } from './engine-messages.ts'
import { frameCodec, taggedUnion, variant } from './tagged-union.ts'
import { WIRE_ERROR_MAX, type WireError, wireErrorCoder } from './wire-fields.ts'

/** Blocks one range request may ask for. */
export const MAX_BLOCKS_PER_RANGE = 64
/** Outputs in one snapshot chunk (≈ 1.1 MB). */
export const MAX_SNAPSHOT_RECORDS = 16_384

/** A committed block with the certificate that commits it. */
export interface CertifiedBlock {
  readonly block: Block
  readonly certificate: BlockCertificate
}

/** One live output of a snapshot: the commitment's element (§14) and the height that created it. */
export interface SnapshotRecord {
  readonly outpoint: OutPoint
  readonly output: TxOutput
  readonly height: number
}

export type SyncMessage =
  /** A node's tip: sent by both sides when a sync stream opens. */
  | { readonly type: 'Status'; readonly height: number; readonly hash: Uint8Array }
  /** Blocks `from` … `from + count − 1`, 1 ≤ count ≤ MAX_BLOCKS_PER_RANGE. */
  | { readonly type: 'BlocksByRangeRequest'; readonly from: number; readonly count: number }
  /** Consecutive blocks from the requested height; fewer than asked: ask again from the next. */
  | { readonly type: 'BlocksByRangeAnswer'; readonly blocks: readonly CertifiedBlock[] }
  /** Chunk `index` of the snapshot of the live outputs after the block at `height`. */
  | { readonly type: 'SnapshotChunkRequest'; readonly height: number; readonly index: number }
  | {
      readonly type: 'SnapshotChunk'
      readonly height: number
      readonly index: number
      /** How many chunks the snapshot at this height has. */
      readonly total: number
      readonly records: readonly SnapshotRecord[]
    }
  /** A request this peer cannot answer (a snapshot it does not keep, a range above its tip …). */
  | { readonly type: 'SyncError'; readonly error: WireError }

export type SyncMessageType = SyncMessage['type']

const rangeCount = P.validate(limitedLength(u32, MAX_BLOCKS_PER_RANGE, 'range count'), (n) =>
  n === 0 ? fail('INVALID_VALUE', 'a range of no blocks') : n,
)

/** The largest range answer: one committed block of the largest size, with its certificate. */
export const MAX_RANGE_ANSWER_SIZE = 2 + 4 + MAX_BLOCK_MESSAGE_SIZE + BlockCertificateCodec.maxSize

const certifiedBlock = P.struct({
  block: P.prefix(limitedLength(u32, MAX_BLOCK_MESSAGE_SIZE, 'block size'), BlockCodec.coder),
  certificate: BlockCertificateCodec.coder,
})

const snapshotRecord = P.struct({ outpoint: outPointCoder, output: txOutputCoder, height: u32 })
const SNAPSHOT_RECORD_SIZE = OUTPOINT_SIZE + 8 + 20 + 4

export const SyncMessageCodec = taggedUnion<SyncMessage>('SyncMessage', {
  Status: variant(0x40, { height: u32, hash: bytes32 }, 36),
  BlocksByRangeRequest: variant(0x41, { from: u32, count: rangeCount }, 8),
  BlocksByRangeAnswer: variant(
    0x42,
    { blocks: boundedArray(MAX_BLOCKS_PER_RANGE, certifiedBlock, 'range blocks') },
    MAX_RANGE_ANSWER_SIZE,
  ),
  SnapshotChunkRequest: variant(0x43, { height: u32, index: u32 }, 8),
  SnapshotChunk: variant(
    0x44,
    {
      height: u32,
      index: u32,
      total: u32,
      records: boundedArray(MAX_SNAPSHOT_RECORDS, snapshotRecord, 'snapshot records'),
    },
    12 + 2 + MAX_SNAPSHOT_RECORDS * SNAPSHOT_RECORD_SIZE,
  ),
  SyncError: variant(0x45, { error: wireErrorCoder }, WIRE_ERROR_MAX),
})

/** Frames the syncing node (the dialer) sends. */
export const SYNC_REQUEST_FRAMES = frameCodec('sync (request)', SyncMessageCodec, [
  'Status',
  'BlocksByRangeRequest',
  'SnapshotChunkRequest',
])
/** Frames the serving peer sends. */
export const SYNC_ANSWER_FRAMES = frameCodec('sync (answer)', SyncMessageCodec, [
  'Status',
  'BlocksByRangeAnswer',
  'SnapshotChunk',
  'SyncError',
])

/**
 * The answer to a range request from `blocks` (consecutive, from the requested height): the longest
 * prefix that fits one frame, at least the first block. Empty when there is nothing to send.
 */
export function rangeAnswer(
  blocks: readonly CertifiedBlock[],
): Extract<SyncMessage, { type: 'BlocksByRangeAnswer' }> {
  const fitting: CertifiedBlock[] = []
  let size = 1 + 2
  for (const b of blocks.slice(0, MAX_BLOCKS_PER_RANGE)) {
    size += certifiedBlock.encode(b).length
    if (size > SyncMessageCodec.maxSize && fitting.length > 0) break
    fitting.push(b)
  }
  return { type: 'BlocksByRangeAnswer', blocks: fitting }
}

export function encodeSyncMessage(message: SyncMessage): Uint8Array {
  return SyncMessageCodec.encode(message)
}

export function decodeSyncMessage(bytes: Uint8Array): SyncMessage {
  return SyncMessageCodec.decode(bytes)
}
