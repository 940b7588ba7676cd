/**
 * Finality certificates: for one txid and ONE epoch, at most one entry per voter, each entry a
 * signed batch header plus the Merkle path of that voter's txAccept leaf. Anyone holding the
 * epoch's committee verifies a certificate alone: weights and the threshold come from that
 * committee, never from the certificate or the verifier's present committee.
 */
import * as P from 'micro-packed'
import { type Ed25519Verifier, ed25519 } from '../crypto/ed25519.ts'
import { type SignatureBundle, verifyBundle } from '../crypto/signature-bundle.ts'
import { bytesToHex, equalBytes } from '../encoding/bytes.ts'
import { codec } from '../encoding/codec.ts'
import { boundedArray, bytes32, bytes64, limitedLength, u8, u32 } from '../encoding/fields.ts'
import { ConsensusError, type ConsensusErrorCode, PeerAction } from '../errors.ts'
import type { Txid } from '../primitives/txid.ts'
import { type Committee, MAX_COMMITTEE_SIZE } from './committee.ts'
import { merklePath, rootFromPath } from './merkle.ts'
import {
  batchHeaderCoder,
  batchSigningMessage,
  type VoteBatch,
  type VoteBatchHeader,
} from './vote-batch.ts'
import { leafHash } from './vote-leaf.ts'

/** Deepest path a batch of MAX_BATCH_LEAVES leaves can need. */
export const MAX_PATH_LENGTH = 12

export interface CertificateEntry {
  readonly header: VoteBatchHeader
  readonly signature: Uint8Array
  readonly leafIndex: number
  readonly path: readonly Uint8Array[]
}

export interface FinalityCertificate {
  readonly txid: Txid
  readonly epoch: number
  readonly entries: readonly CertificateEntry[]
}

const entryCoder = P.struct({
  header: batchHeaderCoder,
  signature: bytes64,
  leafIndex: u32,
  path: P.array(limitedLength(u8, MAX_PATH_LENGTH, 'Merkle path'), bytes32),
}) as unknown as P.CoderType<CertificateEntry>

const certificateCoder = P.struct({
  txid: bytes32,
  epoch: u32,
  entries: boundedArray(MAX_COMMITTEE_SIZE, entryCoder, 'certificate entries'),
}) as unknown as P.CoderType<FinalityCertificate>

export const FinalityCertificateCodec = codec(
  'FinalityCertificate',
  certificateCoder,
  32 + 4 + 2 + MAX_COMMITTEE_SIZE * (88 + 64 + 4 + 1 + 32 * MAX_PATH_LENGTH),
)

/** The certificate entry proving that `batch` accepts `txid` (its leaf at `leafIndex`). */
export function certificateEntry(batch: VoteBatch, leafIndex: number): CertificateEntry {
  return {
    header: batch.header,
    signature: batch.signature,
    leafIndex,
    path: merklePath(batch.leaves.map(leafHash), leafIndex),
  }
}

export interface CertificateCheck {
  readonly genesisHash: Uint8Array
  readonly verifier?: Ed25519Verifier
  /**
   * The verifier's current epoch. A certificate for an unconfirmed transaction must be from this
   * epoch or the one before; older transactions are proven by inclusion in a certified block.
   */
  readonly currentEpoch?: number
}

function reject(code: ConsensusErrorCode, message: string): never {
  throw new ConsensusError(code, message, PeerAction.LowToleranceError)
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
  const leaf = leafHash({ kind: 'txAccept', txid: cert.txid })
  const voters = new Set<string>()
  let weight = 0
  for (const [i, e] of cert.entries.entries()) {
    if (e.header.epoch !== cert.epoch) {
      reject(
        'CERT_MIXED_EPOCHS',
        `entry ${i} is a batch of epoch ${e.header.epoch}, not ${cert.epoch}`,
      )
    }
    const voter = bytesToHex(e.header.voterKey)
    if (voters.has(voter))
      reject('CERT_DUPLICATE_VOTER', `entry ${i}: voter ${voter} appears twice`)
    voters.add(voter)
    const w = committee.weightOf(e.header.voterKey)
    if (w === undefined)
      reject(
        'CERT_UNKNOWN_VOTER',
        `entry ${i}: ${voter} is not in the epoch-${cert.epoch} committee`,
      )
    if (e.leafIndex >= e.header.leafCount) {
      reject('CERT_LEAF_INDEX', `entry ${i}: leaf ${e.leafIndex} of ${e.header.leafCount}`)
    }
    const root = rootFromPath(leaf, e.leafIndex, e.header.leafCount, e.path)
    if (root === null) {
      reject(
        'CERT_PATH_LENGTH',
        `entry ${i}: path of ${e.path.length} does not fit leaf ${e.leafIndex} of ${e.header.leafCount}`,
      )
    }
    if (!equalBytes(root, e.header.root)) {
      reject(
        'CERT_ROOT_MISMATCH',
        `entry ${i}: the txAccept leaf for this txid is not in the signed batch`,
      )
    }
    weight += w
  }
  if (!committee.isQuorum(weight)) {
    reject(
      'CERT_INSUFFICIENT_WEIGHT',
      `accept weight ${weight} below threshold ${committee.threshold} of ${committee.totalWeight}`,
    )
  }
  return weight
}

/** The batch signatures of every entry, as a bundle. Needs no committee (stateless). */
export function certificateSignatureBundle(
  cert: FinalityCertificate,
  genesisHash: Uint8Array,
): SignatureBundle {
  return {
    checks: cert.entries.map((e) => ({
      signature: e.signature,
      message: batchSigningMessage(genesisHash, e.header),
      publicKey: e.header.voterKey,
    })),
    failure: (i) =>
      new ConsensusError(
        'CERT_SIGNATURE',
        `entry ${i}: batch signature does not verify on this network`,
        PeerAction.LowToleranceError,
      ),
  }
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
