/**
 * Block certificates: precommits for one (height, attempt, blockHash) from more than two thirds
 * of the weight of the epoch that votes on the block. With fewer than a third Byzantine, at most
 * one block is certified per height (a second would need a voter to precommit twice: evidence).
 */
import * as P from 'micro-packed'
import { type Ed25519Verifier, ed25519 } from '../crypto/ed25519.ts'
import { verifyBundle } from '../crypto/signature-bundle.ts'
import { codec } from '../encoding/codec.ts'
import { boundedArray, bytes32, u32 } from '../encoding/fields.ts'
import { type Committee, MAX_COMMITTEE_SIZE } from './committee.ts'
import {
  type CertificateEntry,
  certificateEntryCoder,
  checkQuorumEntries,
  entriesSignatureBundle,
  MAX_ENTRY_SIZE,
} from './quorum-proof.ts'
import { leafHash } from './vote-leaf.ts'

export interface BlockCertificate {
  readonly height: number
  readonly attempt: number
  readonly blockHash: Uint8Array
  readonly epoch: number
  readonly entries: readonly CertificateEntry[]
}

const blockCertificateCoder = P.struct({
  height: u32,
  attempt: u32,
  blockHash: bytes32,
  epoch: u32,
  entries: boundedArray(MAX_COMMITTEE_SIZE, certificateEntryCoder, 'certificate entries'),
}) as unknown as P.CoderType<BlockCertificate>

export const BlockCertificateCodec = codec(
  'BlockCertificate',
  blockCertificateCoder,
  4 + 4 + 32 + 4 + 2 + MAX_COMMITTEE_SIZE * MAX_ENTRY_SIZE,
)

/** Structure and weight against C_epoch (signatures separate); returns the weight proven. */
export function checkBlockCertificate(cert: BlockCertificate, committee: Committee): number {
  const leaf = leafHash({
    kind: 'precommit',
    height: cert.height,
    attempt: cert.attempt,
    blockHash: cert.blockHash,
  })
  return checkQuorumEntries(leaf, cert.epoch, cert.entries, committee)
}

export async function verifyBlockCertificate(
  cert: BlockCertificate,
  committee: Committee,
  genesisHash: Uint8Array,
  verifier: Ed25519Verifier = ed25519,
): Promise<{ readonly weight: number }> {
  const weight = checkBlockCertificate(cert, committee)
  await verifyBundle(entriesSignatureBundle(cert.entries, genesisHash), verifier)
  return { weight }
}
