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

/**
 * Outpoint order: the order of their 36-byte encodings (txid, then `u32le(vout)` byte by byte),
 * without encoding them — the order of snapshots and of a wallet's outputs (PROTOCOL.md §19).
 */
export function compareOutPoints(a: OutPoint, b: OutPoint): number {
  const x = a.txid
  const y = b.txid
  for (let i = 0; i < 32; i++) if (x[i] !== y[i]) return x[i]! - y[i]!
  for (let shift = 0; shift < 32; shift += 8) {
    const d = ((a.vout >>> shift) & 0xff) - ((b.vout >>> shift) & 0xff)
    if (d !== 0) return d
  }
  return 0
}
