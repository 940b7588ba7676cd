/**
 * The messages engines exchange (the seed's names). Objects here; their wire encodings belong to
 * the protocol layer. Every message an engine receives has been pre-verified (preverify.ts):
 * transaction and batch signatures are checked before the engine sees them.
 */
import type { Block } from '../consensus/block.ts'
import type { BlockCertificate } from '../consensus/block-certificate.ts'
import type { FinalityCertificate } from '../consensus/certificate.ts'
import type { LockReport } from '../consensus/lock-report.ts'
import type { Proposal } from '../consensus/proposal.ts'
import type { VoteBatch } from '../consensus/vote-batch.ts'
import type { Transaction } from '../primitives/transaction.ts'
import type { Txid } from '../primitives/txid.ts'

/** A peer's identity as the engine sees it: masternodes are named by their voting key (hex). */
export type PeerId = string

export type Message =
  /** A new transaction, relayed or submitted. */
  | { readonly type: 'TransactionBroadcast'; readonly tx: Transaction }
  /** "Please vote on this transaction" (carries it, so the receiver can decide at once). */
  | { readonly type: 'InstantFinalityRequest'; readonly tx: Transaction }
  /** A signed vote batch. */
  | { readonly type: 'InstantFinalityVote'; readonly batch: VoteBatch }
  /** A final transaction with its certificate. */
  | {
      readonly type: 'FinalityCertificate'
      readonly tx: Transaction
      readonly certificate: FinalityCertificate
    }
  /** Asks for a transaction (and its certificate, if final). */
  | { readonly type: 'TransactionRequest'; readonly txid: Txid }
  /** A signed block proposal for (height, attempt). */
  | { readonly type: 'BlockProposal'; readonly proposal: Proposal }
  /** Asks for the committed block at `height` (answered with BlockCommit). */
  | { readonly type: 'BlockRequest'; readonly height: number }
  /** A committed block with its certificate (lets members that missed the votes catch up). */
  | { readonly type: 'BlockCommit'; readonly block: Block; readonly certificate: BlockCertificate }
  /**
   * A member's sealed lock report for a committee-changing block, with the full transactions it
   * names (sent to every member: the leader of any attempt needs it).
   */
  | {
      readonly type: 'LockReport'
      readonly report: LockReport
      readonly txs: readonly Transaction[]
    }

export type MessageType = Message['type']
