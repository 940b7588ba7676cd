/**
 * Store encodings of mempool and certificate records (docs/STORAGE.md, buckets 0x11 and 0x12).
 * A mempool record keeps the signed transaction, so a restarted node still holds every
 * transaction it locked inputs for or voted on.
 */
import * as P from 'micro-packed'
import { codec, fail } from '../encoding/codec.ts'
import { bool, ownedBytes, rangedU64, u8, u64 } from '../encoding/fields.ts'
import { EncodingError } from '../errors.ts'
import { type Amount, MAX_AMOUNT } from '../primitives/amount.ts'
import { decodeTransaction, MAX_TX_SIZE, signedBytes } from '../primitives/transaction.ts'
import type { Txid } from '../primitives/txid.ts'
import { Bucket, bucketKey } from '../storage/keys.ts'
import type { MempoolEntry, MempoolStatus } from './mempool.ts'

const STATUSES: readonly MempoolStatus[] = ['pending', 'finalized']

const statusCoder = P.wrap<MempoolStatus>({
  encodeStream: (w, s) => u8.encodeStream(w, STATUSES.indexOf(s)),
  decodeStream: (r) =>
    STATUSES[u8.decodeStream(r)] ?? fail('INVALID_VALUE', 'unknown mempool status'),
})

const recordCoder = P.struct({
  status: statusCoder,
  voted: bool,
  arrivedAt: u64,
  fee: rangedU64(0n, MAX_AMOUNT, 'fee'),
  tx: ownedBytes(null),
})

export const MempoolRecordCodec = codec('MempoolRecord', recordCoder, MAX_TX_SIZE + 64)

/** status u8 ‖ voted u8 ‖ arrivedAt u64 ‖ fee u64, then the signed transaction. */
const HEADER_BYTES = 18

export function mempoolKey(txid: Txid): Uint8Array {
  return bucketKey(Bucket.mempool, txid)
}

export function certificateKey(txid: Txid): Uint8Array {
  return bucketKey(Bucket.certificate, txid)
}

/** Whether `e`'s fields fit the record's ranges (else the codec encodes it, raising its error). */
function inRange(e: MempoolEntry, tx: Uint8Array): boolean {
  return (
    STATUSES.includes(e.status) &&
    e.fee >= 0n &&
    e.fee <= MAX_AMOUNT &&
    Number.isSafeInteger(e.arrivedAt) &&
    e.arrivedAt >= 0 &&
    HEADER_BYTES + tx.length <= MempoolRecordCodec.maxSize
  )
}

/** Bytes of the record `encodeMempoolRecord` writes for `e`, or -1 when the codec must. */
export function mempoolRecordSize(e: MempoolEntry): number {
  const tx = signedBytes(e.tx)
  return inRange(e, tx) ? HEADER_BYTES + tx.length : -1
}

/**
 * The record in the exact bytes of `MempoolRecordCodec`, written directly with the transaction's
 * encoding reused (a test checks it against the codec) — into `out` when given (exactly
 * `mempoolRecordSize(e)` bytes); anything out of range goes through the codec for its typed
 * error.
 */
export function encodeMempoolRecord(e: MempoolEntry, out?: Uint8Array): Uint8Array {
  const tx = signedBytes(e.tx)
  if (!inRange(e, tx)) {
    return MempoolRecordCodec.encode({
      status: e.status,
      voted: e.voted,
      arrivedAt: BigInt(e.arrivedAt),
      fee: e.fee,
      tx,
    })
  }
  const size = HEADER_BYTES + tx.length
  if (out !== undefined && out.length !== size) {
    throw new EncodingError(
      'INVALID_VALUE',
      `mempool record needs ${size} bytes, got ${out.length}`,
    )
  }
  const o = out ?? new Uint8Array(size)
  const view = new DataView(o.buffer, o.byteOffset, size)
  o[0] = STATUSES.indexOf(e.status)
  o[1] = e.voted ? 1 : 0
  view.setBigUint64(2, BigInt(e.arrivedAt), true)
  view.setBigUint64(10, e.fee, true)
  o.set(tx, HEADER_BYTES)
  return o
}

export function decodeMempoolRecord(value: Uint8Array): MempoolEntry {
  const r = MempoolRecordCodec.decode(value)
  if (r.arrivedAt > BigInt(Number.MAX_SAFE_INTEGER))
    throw new EncodingError('OUT_OF_RANGE', `mempool record: arrival ${r.arrivedAt} above 2^53 − 1`)
  const { tx, txid, size } = decodeTransaction(r.tx)
  return {
    txid,
    tx,
    size,
    fee: r.fee as Amount,
    status: r.status,
    voted: r.voted,
    arrivedAt: Number(r.arrivedAt),
  }
}
