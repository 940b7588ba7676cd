/**
 * This node's vote decisions and vote sequence, as store records (docs/STORAGE.md buckets 0x20
 * and 0x21). A decision, once persisted, never changes; `lastSeq` only grows, so a restarted
 * node never reuses a batch sequence number.
 */
import * as P from 'micro-packed'
import { codec, fail } from '../encoding/codec.ts'
import { bytes32, u8, u32, u64Number } from '../encoding/fields.ts'
import { EncodingError } from '../errors.ts'
import type { Txid } from '../primitives/txid.ts'
import { Bucket, bucketKey } from '../storage/keys.ts'
import { MetaKey } from '../storage/meta-keys.ts'
import type { BatchOp, Store } from '../storage/store.ts'

export type Decision =
  | { readonly kind: 'accept'; readonly txid: Txid; readonly epoch: number }
  | {
      readonly kind: 'reject'
      readonly txid: Txid
      readonly epoch: number
      readonly conflictingTxid: Txid
    }

const decisionCoder = P.wrap<Omit<Decision, 'txid'> & { conflictingTxid?: Txid }>({
  encodeStream(w, d) {
    u8.encodeStream(w, d.kind === 'accept' ? 0 : 1)
    u32.encodeStream(w, d.epoch)
    if (d.kind === 'reject') bytes32.encodeStream(w, d.conflictingTxid!)
  },
  decodeStream(r) {
    const kind = u8.decodeStream(r)
    const epoch = u32.decodeStream(r)
    if (kind === 0) return { kind: 'accept', epoch }
    if (kind === 1)
      return { kind: 'reject', epoch, conflictingTxid: bytes32.decodeStream(r) as Txid }
    return fail('INVALID_VALUE', `unknown decision kind ${kind}`)
  },
})

const DecisionCodec = codec('Decision', decisionCoder, 1 + 4 + 32)
const SeqCodec = codec('Seq', u64Number, 8)

export function decisionOp(d: Decision): BatchOp {
  return { type: 'put', key: bucketKey(Bucket.decision, d.txid), value: DecisionCodec.encode(d) }
}

/** Deletes a decision record that binds no longer (its transaction settled, its epoch gone). */
export function decisionDeleteOp(txid: Txid): BatchOp {
  return { type: 'del', key: bucketKey(Bucket.decision, txid) }
}

export function lastSeqOp(seq: number): BatchOp {
  return { type: 'put', key: MetaKey.lastSeq, value: SeqCodec.encode(seq) }
}

export interface StoredVotingState {
  readonly decisions: Decision[]
  readonly lastSeq: number
}

export async function loadVotingState(store: Store): Promise<StoredVotingState> {
  const decisions: Decision[] = []
  for await (const [key, value] of store.iterate({ prefix: Uint8Array.of(Bucket.decision) })) {
    const d = DecisionCodec.decode(value)
    if (key.length !== 33)
      throw new EncodingError('INVALID_VALUE', `decision record: ${key.length}-byte key`)
    const txid = key.slice(1) as Txid
    decisions.push(
      d.kind === 'accept'
        ? { kind: 'accept', txid, epoch: d.epoch }
        : { kind: 'reject', txid, epoch: d.epoch, conflictingTxid: d.conflictingTxid! },
    )
  }
  const seq = await store.get(MetaKey.lastSeq)
  return { decisions, lastSeq: seq === undefined ? 0 : SeqCodec.decode(seq) }
}
