/**
 * A quorum proof: entries of signed vote-batch headers, each with the Merkle path of ONE given
 * leaf (a txAccept for a finality certificate, a precommit for a block certificate). The checks
 * here are shared by every certificate kind: one epoch, one entry per known voter, exact path
 * lengths, the leaf really under each signed root, and weight from the committee of that epoch.
 */
import * as P from 'micro-packed'
import { weakKeyError } from '../crypto/public-key-rule.ts'
import type { SignatureBundle } from '../crypto/signature-bundle.ts'
import { bytesToHex, equalBytes } from '../encoding/bytes.ts'
import { bytes32, bytes64, limitedLength, u8, u32 } from '../encoding/fields.ts'
import { ConsensusError, type ConsensusErrorCode, PeerAction } from '../errors.ts'
import type { Committee } from './committee.ts'
import { pathInLevels, rootFromPath } from './merkle.ts'
import {
  batchHeaderCoder,
  batchLevels,
  batchSigningMessage,
  type VoteBatch,
  type VoteBatchHeader,
} from './vote-batch.ts'

/** Deepest path a batch of MAX_BATCH_LEAVES leaves can need. */
export const MAX_PATH_LENGTH = 12

/** Largest encoded entry: header 88, signature 64, leaf index 4, path count 1, 12 hashes. */
export const MAX_ENTRY_SIZE = 88 + 64 + 4 + 1 + 32 * MAX_PATH_LENGTH

export interface CertificateEntry {
  readonly header: VoteBatchHeader
  readonly signature: Uint8Array
  readonly leafIndex: number
  readonly path: readonly Uint8Array[]
}

export const certificateEntryCoder = P.struct({
  header: batchHeaderCoder,
  signature: bytes64,
  leafIndex: u32,
  path: P.array(limitedLength(u8, MAX_PATH_LENGTH, 'Merkle path'), bytes32),
}) as unknown as P.CoderType<CertificateEntry>

/** The entry proving that `batch` contains its leaf at `leafIndex`. */
export function certificateEntry(batch: VoteBatch, leafIndex: number): CertificateEntry {
  return batchEntries(batch)(leafIndex)
}

/** Entries for any leaf of `batch`, building its tree once (a batch may hold thousands). */
export function batchEntries(batch: VoteBatch): (leafIndex: number) => CertificateEntry {
  const levels = batchLevels(batch)
  return (leafIndex) => ({
    header: batch.header,
    signature: batch.signature,
    leafIndex,
    path: pathInLevels(levels, leafIndex),
  })
}

export function reject(code: ConsensusErrorCode, message: string): never {
  throw new ConsensusError(code, message, PeerAction.LowToleranceError)
}

/** CERT_VOTER_KEY unless every entry's voter key is strong (docs/PROTOCOL.md §3.1). */
function checkVoterKeys(entries: readonly CertificateEntry[]): void {
  for (let i = 0; i < entries.length; i++) {
    const weak = weakKeyError(entries[i]!.header.voterKey, `entry ${i}: voter key`)
    if (weak !== null) {
      throw new ConsensusError('CERT_VOTER_KEY', weak.message, PeerAction.LowToleranceError, {
        cause: weak,
      })
    }
  }
}

/**
 * Checks every entry against `leaf` (a leaf hash) and `committee` (which must be C_epoch) and
 * returns the weight proven; throws unless it reaches the quorum. Signatures are separate.
 */
export function checkQuorumEntries(
  leaf: Uint8Array,
  epoch: number,
  entries: readonly CertificateEntry[],
  committee: Committee,
): number {
  if (epoch !== committee.epoch) {
    reject('CERT_EPOCH_MISMATCH', `certificate epoch ${epoch}, committee epoch ${committee.epoch}`)
  }
  checkVoterKeys(entries)
  const voters = new Set<string>()
  let weight = 0
  for (const [i, e] of entries.entries()) {
    if (e.header.epoch !== epoch) {
      reject('CERT_MIXED_EPOCHS', `entry ${i} is a batch of epoch ${e.header.epoch}, not ${epoch}`)
    }
    const voter = bytesToHex(e.header.voterKey)
    if (voters.has(voter))
      reject('CERT_DUPLICATE_VOTER', `entry ${i}: voter ${voter} appears twice`)
    voters.add(voter)
    const w = committee.weightOf(e.header.voterKey)
    if (w === undefined)
      reject('CERT_UNKNOWN_VOTER', `entry ${i}: ${voter} is not in the epoch-${epoch} committee`)
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
      reject('CERT_ROOT_MISMATCH', `entry ${i}: the certified leaf is not in the signed batch`)
    }
    weight += w
  }
  if (!committee.isQuorum(weight)) {
    reject(
      'CERT_INSUFFICIENT_WEIGHT',
      `weight ${weight} below threshold ${committee.threshold} of ${committee.totalWeight}`,
    )
  }
  return weight
}

/**
 * The batch signatures of `entries`, as a bundle, after refusing any weak voter key (a signature
 * by one proves nothing). Needs no committee (stateless).
 */
export function entriesSignatureBundle(
  entries: readonly CertificateEntry[],
  genesisHash: Uint8Array,
): SignatureBundle {
  checkVoterKeys(entries)
  return {
    checks: entries.map((e) => ({
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
