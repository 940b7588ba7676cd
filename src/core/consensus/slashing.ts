/**
 * Slashing transactions: a transaction whose payload carries equivocation evidence
 * and the reporter's address. Anyone may submit one; its inputs pay the fee. Once a block holds
 * it, the next block removes the offender from the committee, keeps its collateral locked for
 * ever (burned) and pays the reporter `SLASH_BOUNTY_PERCENT` of it in that block's reward.
 * Rules: docs/PROTOCOL.md §16–§17 (evidence, payload) and §18.4 (in blocks).
 */
import { NO_SIGNATURES, type SignatureBundle } from '../crypto/signature-bundle.ts'
import { EvidenceError, PeerAction, TimeCoinError } from '../errors.ts'
import type { Amount } from '../primitives/amount.ts'
import type { Transaction } from '../primitives/transaction.ts'
import type { Committee } from './committee.ts'
import { type Evidence, evidenceOffender, evidenceSignatureBundle } from './evidence.ts'
import { EvidenceCodec } from './evidence-codec.ts'

/** Share of the burned collateral paid to the reporter, in percent. */
export const SLASH_BOUNTY_PERCENT = 5n

/** The evidence a slashing transaction carries; throws EVIDENCE_INVALID if it does not decode. */
export function slashEvidence(tx: Transaction): Evidence {
  if (tx.payload.type !== 'slash')
    throw new EvidenceError('EVIDENCE_INVALID', 'not a slashing transaction')
  try {
    return EvidenceCodec.decode(tx.payload.evidence)
  } catch (e) {
    if (!(e instanceof TimeCoinError)) throw e
    throw new EvidenceError(
      'EVIDENCE_INVALID',
      `evidence does not decode: ${e.message}`,
      PeerAction.LowToleranceError,
    )
  }
}

/** The batch signatures behind a slashing transaction's evidence (empty for other kinds). */
export function slashSignatureBundle(tx: Transaction, genesisHash: Uint8Array): SignatureBundle {
  return tx.payload.type === 'slash'
    ? evidenceSignatureBundle(slashEvidence(tx), genesisHash)
    : NO_SIGNATURES
}

/**
 * The offender a slashing transaction proves, checked against the committee of the evidence's
 * epoch (which the caller must still know: the current or previous one). Throws EVIDENCE_INVALID.
 */
export function slashOffender(
  tx: Transaction,
  committeeOf: (epoch: number) => Committee | undefined,
): Uint8Array {
  const evidence = slashEvidence(tx)
  const committee = committeeOf(evidence.entryA.header.epoch)
  if (committee === undefined) {
    throw new EvidenceError(
      'EVIDENCE_INVALID',
      `evidence of epoch ${evidence.entryA.header.epoch} is too old to judge`,
    )
  }
  return evidenceOffender(evidence, committee)
}

/** The reporter's bounty out of a burned collateral. */
export function slashBounty(collateral: bigint): Amount {
  return ((collateral * SLASH_BOUNTY_PERCENT) / 100n) as Amount
}
