/**
 * The finality certificate in the exact bytes of `FinalityCertificateCodec`, written directly:
 * every masternode encodes one certificate per payment it finalizes, so this runs on the hot path
 * (a property test checks it against the codec byte for byte). Anything out of range goes to the
 * codec, which raises its typed error. Layout (docs/PROTOCOL.md §12): txid 32 ‖ u32 epoch ‖
 * u16 count ‖ per entry: header (u32 epoch ‖ voter key 32 ‖ u64 seq ‖ u32 leaf count ‖ root 32 ‖
 * u64 timestamp) ‖ signature 64 ‖ u32 leaf index ‖ u8 path length ‖ path hashes of 32.
 */

import { type FinalityCertificate, FinalityCertificateCodec } from './certificate.ts'
import { MAX_COMMITTEE_SIZE } from './committee.ts'
import { MAX_PATH_LENGTH } from './quorum-proof.ts'
import { HEADER_SIZE, MAX_BATCH_LEAVES } from './vote-batch.ts'

const U32 = 0xffff_ffff

function inRange(c: FinalityCertificate): boolean {
  if (c.txid.length !== 32 || !Number.isInteger(c.epoch) || c.epoch < 0 || c.epoch > U32)
    return false
  if (c.entries.length > MAX_COMMITTEE_SIZE) return false
  for (const e of c.entries) {
    const h = e.header
    const ok =
      Number.isInteger(h.epoch) &&
      h.epoch >= 0 &&
      h.epoch <= U32 &&
      h.voterKey.length === 32 &&
      Number.isSafeInteger(h.seq) &&
      h.seq >= 0 &&
      Number.isInteger(h.leafCount) &&
      h.leafCount >= 1 &&
      h.leafCount <= MAX_BATCH_LEAVES &&
      h.root.length === 32 &&
      Number.isSafeInteger(h.timestamp) &&
      h.timestamp >= 0 &&
      e.signature.length === 64 &&
      Number.isInteger(e.leafIndex) &&
      e.leafIndex >= 0 &&
      e.leafIndex <= U32 &&
      e.path.length <= MAX_PATH_LENGTH &&
      e.path.every((p) => p.length === 32)
    if (!ok) return false
  }
  return true
}

export function encodeFinalityCertificate(c: FinalityCertificate): Uint8Array {
  if (!inRange(c)) return FinalityCertificateCodec.encode(c) // the codec's typed error
  let size = 38
  for (const e of c.entries) size += HEADER_SIZE + 64 + 4 + 1 + 32 * e.path.length
  const out = new Uint8Array(size)
  const view = new DataView(out.buffer)
  out.set(c.txid, 0)
  view.setUint32(32, c.epoch, true)
  view.setUint16(36, c.entries.length, true)
  let at = 38
  for (const e of c.entries) {
    const h = e.header
    view.setUint32(at, h.epoch, true)
    out.set(h.voterKey, at + 4)
    view.setBigUint64(at + 36, BigInt(h.seq), true)
    view.setUint32(at + 44, h.leafCount, true)
    out.set(h.root, at + 48)
    view.setBigUint64(at + 80, BigInt(h.timestamp), true)
    at += HEADER_SIZE
    out.set(e.signature, at)
    view.setUint32(at + 64, e.leafIndex, true)
    out[at + 68] = e.path.length
    at += 69
    for (const p of e.path) {
      out.set(p, at)
      at += 32
    }
  }
  return out
}
