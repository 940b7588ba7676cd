/**
 * The engine's messages on the wire (docs/PROTOCOL.md §19.4): one canonical encoding per
 * `Message`, `u8 tag ‖ body`, every body made of the consensus codecs' own coders. What decodes is
 * exactly what the engine's objects hold — no field is lost or added — so a decoded message is
 * handled as the sender's object would have been.
 *
 * Bounds: a block travels in a proposal, so a committed block, like a proposal, fits the
 * proposal's 64 MiB (`ProposalCodec.maxSize`); so does a lock report with its transactions (the
 * block that carries them must fit a proposal too). Every other body is bounded by its codec.
 */
import * as P from 'micro-packed'
import { BlockCodec, MAX_CARRIED_TRANSACTIONS } from '../consensus/block.ts'
import { BlockCertificateCodec } from '../consensus/block-certificate.ts'
import { FinalityCertificateCodec } from '../consensus/certificate.ts'
import { LockReportCodec } from '../consensus/lock-report.ts'
import { ProposalCodec } from '../consensus/proposal.ts'
import { VoteBatchCodec } from '../consensus/vote-batch.ts'
import { boundedArray, bytes32, limitedLength, u32 } from '../encoding/fields.ts'
import type { Message } from '../engine/messages.ts'
import { taggedUnion, variant } from './tagged-union.ts'
import { SIZED_TX_MAX, sizedTransaction } from './wire-fields.ts'

/** A proposal's limit (64 MiB), which bounds a block on the wire too: every block was proposed. */
export const MAX_BLOCK_MESSAGE_SIZE = ProposalCodec.maxSize

const sizedBlock = P.prefix(
  limitedLength(u32, MAX_BLOCK_MESSAGE_SIZE, 'block size'),
  BlockCodec.coder,
)

export const ENGINE_MESSAGE_TAGS = {
  TransactionBroadcast: 0x01,
  InstantFinalityRequest: 0x02,
  InstantFinalityVote: 0x03,
  FinalityCertificate: 0x04,
  TransactionRequest: 0x05,
  BlockProposal: 0x06,
  BlockRequest: 0x07,
  BlockCommit: 0x08,
  LockReport: 0x09,
} as const satisfies Record<Message['type'], number>

const T = ENGINE_MESSAGE_TAGS

/** Every engine message, `u8 tag ‖ body`. */
export const EngineMessageCodec = taggedUnion<Message>('EngineMessage', {
  TransactionBroadcast: variant(T.TransactionBroadcast, { tx: sizedTransaction }, SIZED_TX_MAX),
  InstantFinalityRequest: variant(T.InstantFinalityRequest, { tx: sizedTransaction }, SIZED_TX_MAX),
  InstantFinalityVote: variant(
    T.InstantFinalityVote,
    { batch: VoteBatchCodec.coder },
    VoteBatchCodec.maxSize,
  ),
  FinalityCertificate: variant(
    T.FinalityCertificate,
    { tx: sizedTransaction, certificate: FinalityCertificateCodec.coder },
    SIZED_TX_MAX + FinalityCertificateCodec.maxSize,
  ),
  TransactionRequest: variant(T.TransactionRequest, { txid: bytes32 }, 32),
  BlockProposal: variant(
    T.BlockProposal,
    { proposal: ProposalCodec.coder },
    MAX_BLOCK_MESSAGE_SIZE,
  ),
  BlockRequest: variant(T.BlockRequest, { height: u32 }, 4),
  BlockCommit: variant(
    T.BlockCommit,
    { block: sizedBlock, certificate: BlockCertificateCodec.coder },
    4 + MAX_BLOCK_MESSAGE_SIZE + BlockCertificateCodec.maxSize,
  ),
  LockReport: variant(
    T.LockReport,
    {
      report: LockReportCodec.coder,
      txs: boundedArray(MAX_CARRIED_TRANSACTIONS, sizedTransaction, 'reported transactions'),
    },
    // The reported transactions fit a proposal, as the block carrying them must.
    LockReportCodec.maxSize + 2 + MAX_BLOCK_MESSAGE_SIZE,
  ),
})

/** The canonical encoding of an engine message. Throws an EncodingError for one out of range. */
export function encodeMessage(message: Message): Uint8Array {
  return EngineMessageCodec.encode(message)
}

/**
 * Decodes an engine message. Throws an EncodingError (with the `low-tolerance` peer action) for
 * anything but the canonical encoding of a message.
 */
export function decodeMessage(bytes: Uint8Array): Message {
  return EngineMessageCodec.decode(bytes)
}
