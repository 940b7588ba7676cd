/**
 * Store encodings of mempool and certificate records (docs/STORAGE.md, buckets 0x11 and 0x12).
 * A mempool record keeps the signed transaction, so a restarted node still holds every
 * transaction it locked inputs for or voted on.
 */
import * as P from 'micro-packed'
import { codec, fail } from '../encoding/codec.ts'
import { bool, rangedU64, u8, u64 } from '../encoding/fields.ts'
import { type Amount, MAX_AMOUNT } from '../primitives/amount.ts'
import { decodeTransaction, encodeTransaction, MAX_TX_SIZE } from '../primitives/transaction.ts'
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
  tx: P.bytes(null),
})

const MempoolRecordCodec = codec('MempoolRecord', recordCoder, MAX_TX_SIZE + 64)

export function mempoolKey(txid: Txid): Uint8Array {
  return bucketKey(Bucket.mempool, txid)
}

export function certificateKey(txid: Txid): Uint8Array {
  return bucketKey(Bucket.certificate, txid)
}

export function encodeMempoolRecord(e: MempoolEntry): Uint8Array {
  return MempoolRecordCodec.encode({
    status: e.status,
    voted: e.voted,
    arrivedAt: BigInt(e.arrivedAt),
    fee: e.fee,
    tx: encodeTransaction(e.tx),
  })
}

export function decodeMempoolRecord(value: Uint8Array): MempoolEntry {
  const r = MempoolRecordCodec.decode(value)
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
