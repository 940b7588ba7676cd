/**
 * The wire form of slashing evidence (evidence.ts), as carried by a slash payload:
 *   u8 kind = 1 (conflictingAccepts):    u32 size ‖ signed txA ‖ u32 size ‖ signed txB ‖ entryA ‖ entryB
 *   u8 kind = 2 (conflictingPrecommits): u32 height ‖ u32 attempt ‖ blockHashA (32) ‖ blockHashB (32) ‖ entryA ‖ entryB
 * Entries are certificate entries (§12 of docs/PROTOCOL.md, quorum-proof.ts). Decoding is strict.
 */
import * as P from 'micro-packed'
import { codec, fail } from '../encoding/codec.ts'
import { bytes32, limitedLength, u8, u32 } from '../encoding/fields.ts'
import { MAX_TX_SIZE, TransactionCodec } from '../primitives/transaction.ts'
import type { Evidence } from './evidence.ts'
import { certificateEntryCoder, MAX_ENTRY_SIZE } from './quorum-proof.ts'

/** The u8 kind of each evidence variant. */
export const EVIDENCE_KINDS = { conflictingAccepts: 1, conflictingPrecommits: 2 } as const

/** Largest evidence encoding: two transactions of the largest size and two entries. */
export const MAX_EVIDENCE_ENCODING_SIZE = 1 + 2 * (4 + MAX_TX_SIZE) + 2 * MAX_ENTRY_SIZE

const sizedTransaction = P.prefix(
  limitedLength(u32, MAX_TX_SIZE, 'evidence transaction size'),
  TransactionCodec.coder,
)

const acceptsCoder = P.struct({
  txA: sizedTransaction,
  txB: sizedTransaction,
  entryA: certificateEntryCoder,
  entryB: certificateEntryCoder,
})

const precommitsCoder = P.struct({
  height: u32,
  attempt: u32,
  blockHashA: bytes32,
  blockHashB: bytes32,
  entryA: certificateEntryCoder,
  entryB: certificateEntryCoder,
})

export const evidenceCoder = P.wrap<Evidence>({
  encodeStream(w, evidence) {
    switch (evidence?.kind) {
      case 'conflictingAccepts':
        u8.encodeStream(w, EVIDENCE_KINDS.conflictingAccepts)
        acceptsCoder.encodeStream(w, evidence)
        return
      case 'conflictingPrecommits':
        u8.encodeStream(w, EVIDENCE_KINDS.conflictingPrecommits)
        precommitsCoder.encodeStream(w, evidence)
        return
      default:
        fail('INVALID_VALUE', 'unknown evidence kind')
    }
  },
  decodeStream(r): Evidence {
    const kind = u8.decodeStream(r)
    switch (kind) {
      case EVIDENCE_KINDS.conflictingAccepts:
        return { kind: 'conflictingAccepts', ...acceptsCoder.decodeStream(r) }
      case EVIDENCE_KINDS.conflictingPrecommits:
        return { kind: 'conflictingPrecommits', ...precommitsCoder.decodeStream(r) }
      default:
        fail('INVALID_VALUE', `unknown evidence kind ${kind}`)
    }
  },
})

export const EvidenceCodec = codec('Evidence', evidenceCoder, MAX_EVIDENCE_ENCODING_SIZE)
