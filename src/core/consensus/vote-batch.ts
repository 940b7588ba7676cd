/**
 * Vote batches: one signature over many votes. The signature covers
 * "TIMECOIN/vote-batch/v1" ‖ genesisHash ‖ header, and the header commits to the Merkle root of
 * the leaves and their count. `seq` only de-duplicates (batches may arrive in any order); the
 * timestamp is informational and never decides validity.
 */
import * as P from 'micro-packed'
import { DomainTags } from '../crypto/domain.ts'
import {
  type Ed25519Verifier,
  ed25519,
  type KeyPair,
  keySigner,
  type Signer,
  sign,
} from '../crypto/ed25519.ts'
import { weakKeyError } from '../crypto/public-key-rule.ts'
import { domainMessage } from '../crypto/sha256.ts'
import { type SignatureBundle, verifyBundle } from '../crypto/signature-bundle.ts'
import { equalBytes } from '../encoding/bytes.ts'
import { codec, fail } from '../encoding/codec.ts'
import {
  boundedArray,
  bytes32,
  bytes64,
  limitedLength,
  u32,
  u64Number,
} from '../encoding/fields.ts'
import { ConsensusError, PeerAction } from '../errors.ts'
import { merkleLevels } from './merkle.ts'
import { leafHash, MAX_LEAF_SIZE, type VoteLeaf, voteLeafCoder } from './vote-leaf.ts'

export const MAX_BATCH_LEAVES = 4096

const treeOf = new WeakMap<VoteBatch, Uint8Array[][]>()

/**
 * The Merkle tree of a batch's leaves, built once per batch object: checking the root and
 * extracting certificate entries both need it, and batches are immutable once received.
 */
export function batchLevels(batch: VoteBatch): Uint8Array[][] {
  let levels = treeOf.get(batch)
  if (levels === undefined) {
    if (batch.leaves.length === 0)
      throw new ConsensusError('BATCH_INVALID', 'a batch has at least one leaf')
    levels = merkleLevels(batch.leaves.map(leafHash))
    treeOf.set(batch, levels)
  }
  return levels
}

/** A secret key, a key pair or a signer, as a signer. */
export function toSigner(key: Uint8Array | KeyPair | Signer): Signer {
  if (key instanceof Uint8Array) return keySigner(key)
  if ('sign' in key) return key
  return { publicKey: key.publicKey, sign: (message) => sign(message, key.secretKey) }
}

export interface VoteBatchHeader {
  readonly epoch: number
  readonly voterKey: Uint8Array
  readonly seq: number
  readonly leafCount: number
  readonly root: Uint8Array
  /** Milliseconds since the Unix epoch, informational only. */
  readonly timestamp: number
}

export interface SignedBatchHeader {
  readonly header: VoteBatchHeader
  readonly signature: Uint8Array
}

export interface VoteBatch extends SignedBatchHeader {
  readonly leaves: readonly VoteLeaf[]
}

export const batchHeaderCoder = P.struct({
  epoch: u32,
  voterKey: bytes32,
  seq: u64Number,
  leafCount: P.validate(limitedLength(u32, MAX_BATCH_LEAVES, 'leaf count'), (n) =>
    n === 0 ? fail('INVALID_VALUE', 'a batch has at least one leaf') : n,
  ),
  root: bytes32,
  timestamp: u64Number,
}) as unknown as P.CoderType<VoteBatchHeader>

export const HEADER_SIZE = 4 + 32 + 8 + 4 + 32 + 8

export const VoteBatchHeaderCodec = codec('VoteBatchHeader', batchHeaderCoder, HEADER_SIZE)

const voteBatchCoder = P.struct({
  header: batchHeaderCoder,
  signature: bytes64,
  leaves: boundedArray(MAX_BATCH_LEAVES, voteLeafCoder, 'batch leaves'),
}) as unknown as P.CoderType<VoteBatch>

/** Wire form: header ‖ signature ‖ u16 count ‖ leaves; the limit is the largest batch exactly. */
export const VoteBatchCodec = codec(
  'VoteBatch',
  voteBatchCoder,
  HEADER_SIZE + 64 + 2 + MAX_BATCH_LEAVES * MAX_LEAF_SIZE,
)

export function batchSigningMessage(genesisHash: Uint8Array, header: VoteBatchHeader): Uint8Array {
  return domainMessage(DomainTags.voteBatch, genesisHash, VoteBatchHeaderCodec.encode(header))
}

export interface BatchParams {
  readonly epoch: number
  readonly seq: number
  readonly timestamp: number
}

/** Builds and signs a batch over `leaves` with the voter's key (a key pair, or its secret key). */
export function signVoteBatch(
  leaves: readonly VoteLeaf[],
  params: BatchParams,
  key: Uint8Array | KeyPair | Signer,
  genesisHash: Uint8Array,
): VoteBatch {
  // A key pair or signer spares deriving the public key (a scalar multiplication) per batch.
  const signer = toSigner(key)
  const publicKey = signer.publicKey
  if (leaves.length === 0 || leaves.length > MAX_BATCH_LEAVES) {
    throw new ConsensusError(
      'BATCH_INVALID',
      `a batch holds 1..${MAX_BATCH_LEAVES} leaves, got ${leaves.length}`,
    )
  }
  // The tree is kept for the batch, so the sender's own certificate entries do not rebuild it.
  const levels = merkleLevels(leaves.map(leafHash))
  const header: VoteBatchHeader = {
    epoch: params.epoch,
    voterKey: publicKey,
    seq: params.seq,
    leafCount: leaves.length,
    root: levels[levels.length - 1]![0]!,
    timestamp: params.timestamp,
  }
  const batch = { header, signature: signer.sign(batchSigningMessage(genesisHash, header)), leaves }
  treeOf.set(batch, levels)
  return batch
}

/**
 * Checks a whole batch: a strong voter key (docs/PROTOCOL.md §3.1), leaf count and root match
 * the leaves (thrown at once), and returns its signature as a bundle. Membership and epoch are
 * the caller's business (they need the committee).
 */
export function voteBatchBundle(batch: VoteBatch, genesisHash: Uint8Array): SignatureBundle {
  const weak = weakKeyError(batch.header.voterKey, 'batch voter key')
  if (weak !== null) {
    throw new ConsensusError('BATCH_INVALID', weak.message, PeerAction.LowToleranceError, {
      cause: weak,
    })
  }
  if (batch.leaves.length !== batch.header.leafCount || batch.leaves.length === 0) {
    throw new ConsensusError(
      'BATCH_INVALID',
      `leafCount ${batch.header.leafCount} but ${batch.leaves.length} leaves`,
      PeerAction.LowToleranceError,
    )
  }
  const levels = batchLevels(batch)
  if (!equalBytes(levels[levels.length - 1]![0]!, batch.header.root)) {
    throw new ConsensusError(
      'BATCH_INVALID',
      'leaves do not hash to the signed root',
      PeerAction.LowToleranceError,
    )
  }
  return {
    checks: [
      {
        signature: batch.signature,
        message: batchSigningMessage(genesisHash, batch.header),
        publicKey: batch.header.voterKey,
      },
    ],
    failure: () =>
      new ConsensusError(
        'BATCH_SIGNATURE',
        'batch signature does not verify',
        PeerAction.LowToleranceError,
      ),
  }
}

export async function verifyVoteBatch(
  batch: VoteBatch,
  genesisHash: Uint8Array,
  verifier: Ed25519Verifier = ed25519,
): Promise<void> {
  await verifyBundle(voteBatchBundle(batch, genesisHash), verifier)
}
