/**
 * Slashing evidence: proof that one committee member signed two statements that cannot both be
 * honest — Accepts for two transactions spending one output, or precommits for two blocks at one
 * (height, attempt). Anyone may submit it; anyone holding the epoch's committee verifies it alone.
 */
import { type Ed25519Verifier, ed25519 } from '../crypto/ed25519.ts'
import { type SignatureBundle, verifyBundle } from '../crypto/signature-bundle.ts'
import { equalBytes } from '../encoding/bytes.ts'
import { EvidenceError, PeerAction } from '../errors.ts'
import { outPointToString } from '../primitives/outpoint.ts'
import { computeTxid, type Transaction } from '../primitives/transaction.ts'
import type { Committee } from './committee.ts'
import { rootFromPath } from './merkle.ts'
import { type CertificateEntry, entriesSignatureBundle } from './quorum-proof.ts'
import { leafHash, type VoteLeaf } from './vote-leaf.ts'

export type Evidence =
  | {
      readonly kind: 'conflictingAccepts'
      readonly txA: Transaction
      readonly txB: Transaction
      readonly entryA: CertificateEntry
      readonly entryB: CertificateEntry
    }
  | {
      readonly kind: 'conflictingPrecommits'
      readonly height: number
      readonly attempt: number
      readonly blockHashA: Uint8Array
      readonly blockHashB: Uint8Array
      readonly entryA: CertificateEntry
      readonly entryB: CertificateEntry
    }

function invalid(message: string): never {
  // Submitting false evidence is an attempt to get an honest member slashed.
  throw new EvidenceError('EVIDENCE_INVALID', message, PeerAction.MidToleranceError)
}

function proves(entry: CertificateEntry, leaf: VoteLeaf): boolean {
  const root = rootFromPath(leafHash(leaf), entry.leafIndex, entry.header.leafCount, entry.path)
  return root !== null && equalBytes(root, entry.header.root)
}

/** The two leaves the evidence claims were signed; throws if the statements do not conflict. */
function conflictingLeaves(e: Evidence): [VoteLeaf, VoteLeaf] {
  if (e.kind === 'conflictingAccepts') {
    const a = computeTxid(e.txA)
    const b = computeTxid(e.txB)
    if (equalBytes(a, b)) invalid('the two Accepts are for the same transaction')
    const spentByA = new Set(e.txA.inputs.map((i) => outPointToString(i.outpoint)))
    if (!e.txB.inputs.some((i) => spentByA.has(outPointToString(i.outpoint)))) {
      invalid('the two transactions spend no common output')
    }
    return [
      { kind: 'txAccept', txid: a },
      { kind: 'txAccept', txid: b },
    ]
  }
  if (equalBytes(e.blockHashA, e.blockHashB)) invalid('the two precommits are for the same block')
  const at = { height: e.height, attempt: e.attempt }
  return [
    { kind: 'precommit', ...at, blockHash: e.blockHashA },
    { kind: 'precommit', ...at, blockHash: e.blockHashB },
  ]
}

/**
 * Checks everything but the signatures of `evidence` against `committee` (C_epoch of the signed
 * batches) and returns the offender's key; throws EVIDENCE_INVALID otherwise. Synchronous, for
 * the engine: shells verify `evidenceSignatureBundle` before a transaction carrying it arrives.
 */
export function evidenceOffender(evidence: Evidence, committee: Committee): Uint8Array {
  const { entryA, entryB } = evidence
  const offender = entryA.header.voterKey
  if (!equalBytes(offender, entryB.header.voterKey))
    invalid('the statements are signed by different voters')
  if (entryA.header.epoch !== committee.epoch || entryB.header.epoch !== committee.epoch) {
    invalid(`the statements must both be of epoch ${committee.epoch}`)
  }
  if ((committee.weightOf(offender) ?? 0) === 0)
    invalid('the signer is not a voting member of that committee')
  const [leafA, leafB] = conflictingLeaves(evidence)
  if (!proves(entryA, leafA) || !proves(entryB, leafB))
    invalid('a statement is not in its signed batch')
  return offender
}

/** The two batch signatures the evidence rests on. Needs no committee (stateless). */
export function evidenceSignatureBundle(
  evidence: Evidence,
  genesisHash: Uint8Array,
): SignatureBundle {
  return entriesSignatureBundle([evidence.entryA, evidence.entryB], genesisHash)
}

/**
 * Verifies `evidence` against `committee` (C_epoch of the signed batches) and resolves to the
 * offender's key; throws EVIDENCE_INVALID (or a signature error) otherwise.
 */
export async function verifyEvidence(
  evidence: Evidence,
  committee: Committee,
  genesisHash: Uint8Array,
  verifier: Ed25519Verifier = ed25519,
): Promise<Uint8Array> {
  const offender = evidenceOffender(evidence, committee)
  await verifyBundle(evidenceSignatureBundle(evidence, genesisHash), verifier)
  return offender
}
