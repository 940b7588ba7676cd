/**
 * An OutPoint names one output of one transaction: (txid, vout). Its 36-byte encoding is also
 * its identity as a map or store key.
 */
import * as P from 'micro-packed'
import { bytesToHex } from '../encoding/bytes.ts'
import { codec } from '../encoding/codec.ts'
import { bytes32, u32 } from '../encoding/fields.ts'
import type { Txid } from './txid.ts'

export interface OutPoint {
  readonly txid: Txid
  readonly vout: number
}

export const OUTPOINT_SIZE = 36

export const outPointCoder = P.struct({
  txid: bytes32,
  vout: u32,
}) as unknown as P.CoderType<OutPoint>

export const OutPointCodec = codec('OutPoint', outPointCoder, OUTPOINT_SIZE)

/** "txidhex:vout" — stable text key for maps and logs. */
export function outPointToString(op: OutPoint): string {
  return `${bytesToHex(op.txid)}:${op.vout}`
}
