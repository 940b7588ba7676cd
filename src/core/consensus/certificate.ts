/**
 * Finality certificates: for one txid and ONE epoch, at most one entry per voter, each entry a
 * signed batch header plus the Merkle path of that voter's txAccept leaf. Anyone holding the
 * epoch's committee verifies a certificate alone: weights and the threshold come from that
 * committee, never from the certificate or the verifier's present committee.
 */
import * as P from 'micro-packed'
import { type Ed25519Verifier, ed25519 } from '../crypto/ed25519.ts'
import { type SignatureBundle, verifyBundle } from '../crypto/signature-bundle.ts'
import { codec } from '../encoding/codec.ts'
import { boundedArray, bytes32, u32 } from '../encoding/fields.ts'
import type { Txid } from '../primitives/txid.ts'
import { type Committee, MAX_COMMITTEE_SIZE } from './committee.ts'
import {
  type CertificateEntry,
  certificateEntryCoder,
  checkQuorumEntries,
  entriesSignatureBundle,
  MAX_ENTRY_SIZE,
  reject,
} from './quorum-proof.ts'
import { leafHash } from './vote-leaf.ts'

export interface FinalityCertificate {
  readonly txid: Txid
  readonly epoch: number
  readonly entries: readonly CertificateEntry[]
}

const certificateCoder = P.struct({
  txid: bytes32,
  epoch: u32,
  entries: boundedArray(MAX_COMMITTEE_SIZE, certificateEntryCoder, 'certificate entries'),
}) as unknown as P.CoderType<FinalityCertificate>

export const FinalityCertificateCodec = codec(
  'FinalityCertificate',
  certificateCoder,
  32 + 4 + 2 + MAX_COMMITTEE_SIZE * MAX_ENTRY_SIZE,
)

export interface CertificateCheck {
  readonly genesisHash: Uint8Array
  readonly verifier?: Ed25519Verifier
  /**
   * The verifier's current epoch. A certificate for an unconfirmed transaction must be from this
   * epoch or the one before; older transactions are proven by inclusion in a certified block.
   */
  readonly currentEpoch?: number
}

/**
 * Everything about `cert` except the signatures, against `committee` (C_epoch of the
 * certificate): epochs, one entry per known voter, leaf positions and paths, and quorum weight.
 * Synchronous, so the engine can run it; returns the Accept weight proven.
 */
export function checkCertificate(
  cert: FinalityCertificate,
  committee: Committee,
  currentEpoch?: number,
): number {
  if (cert.epoch !== committee.epoch) {
    reject(
      'CERT_EPOCH_MISMATCH',
      `certificate epoch ${cert.epoch}, committee epoch ${committee.epoch}`,
    )
  }
  if (currentEpoch !== undefined && (cert.epoch > currentEpoch || cert.epoch + 1 < currentEpoch)) {
    reject(
      'CERT_STALE_EPOCH',
      `certificate epoch ${cert.epoch} is not the current (${currentEpoch}) or previous one`,
    )
  }
  return checkQuorumEntries(
    leafHash({ kind: 'txAccept', txid: cert.txid }),
    cert.epoch,
    cert.entries,
    committee,
  )
}

/** The batch signatures of every entry, as a bundle. Needs no committee (stateless). */
export function certificateSignatureBundle(
  cert: FinalityCertificate,
  genesisHash: Uint8Array,
): SignatureBundle {
  return entriesSignatureBundle(cert.entries, genesisHash)
}

export async function verifyCertificateSignatures(
  cert: FinalityCertificate,
  genesisHash: Uint8Array,
  verifier: Ed25519Verifier = ed25519,
): Promise<void> {
  return verifyBundle(certificateSignatureBundle(cert, genesisHash), verifier)
}

/**
 * Verifies `cert` completely against `committee` (which must be C_epoch of the certificate).
 * Resolves to the Accept weight proven; throws a ConsensusError naming the first broken rule.
 */
export async function verifyCertificate(
  cert: FinalityCertificate,
  committee: Committee,
  check: CertificateCheck,
): Promise<{ readonly weight: number }> {
  const weight = checkCertificate(cert, committee, check.currentEpoch)
  await verifyCertificateSignatures(cert, check.genesisHash, check.verifier)
  return { weight }
}
