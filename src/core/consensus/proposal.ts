/**
 * Block proposals. The proposer of (height, attempt) signs the block hash together with the
 * attempt and the attempt of the prevote quorum it claims for a re-proposed block, so a relayed
 * proposal is attributable, and a proposer sending two blocks at one attempt is caught. Each
 * proposal carries the certificates of its transactions, so a member that missed some votes can
 * still check the block (and finalize those transactions).
 */
import * as P from 'micro-packed'
import { DomainTags } from '../crypto/domain.ts'
import type { KeyPair, Signer } from '../crypto/ed25519.ts'
import { domainMessage } from '../crypto/sha256.ts'
import type { SignatureBundle } from '../crypto/signature-bundle.ts'
import { u32le } from '../encoding/bytes.ts'
import { codec } from '../encoding/codec.ts'
import { boundedArray, bytes32, bytes64, limitedLength, u32 } from '../encoding/fields.ts'
import { ConsensusError, PeerAction } from '../errors.ts'
import { type Block, BlockCodec, blockHash, MAX_BLOCK_TRANSACTIONS } from './block.ts'
import {
  certificateSignatureBundle,
  type FinalityCertificate,
  FinalityCertificateCodec,
} from './certificate.ts'
import { toSigner } from './vote-batch.ts'

export interface Proposal {
  readonly block: Block
  readonly attempt: number
  /** The attempt of a prevote quorum for this block, or -1 for a fresh block. */
  readonly validAttempt: number
  readonly certificates: readonly FinalityCertificate[]
  /** The key of the proposer of (block height, attempt), who signs. */
  readonly proposer: Uint8Array
  readonly signature: Uint8Array
}

const NONE = 0xffff_ffff

const proposalCoder = P.struct({
  block: P.prefix(limitedLength(u32, BlockCodec.maxSize, 'block size'), BlockCodec.coder),
  attempt: u32,
  validAttempt: P.apply(u32, {
    encode: (n: number) => (n === NONE ? -1 : n),
    decode: (n: number) => (n === -1 ? NONE : n),
  }),
  certificates: boundedArray(
    MAX_BLOCK_TRANSACTIONS,
    P.prefix(
      limitedLength(u32, FinalityCertificateCodec.maxSize, 'certificate size'),
      FinalityCertificateCodec.coder,
    ),
    'proposal certificates',
  ),
  proposer: bytes32,
  signature: bytes64,
}) as unknown as P.CoderType<Proposal>

export const ProposalCodec = codec('Proposal', proposalCoder, 64 * 1024 * 1024)

export function proposalSigningMessage(
  genesisHash: Uint8Array,
  hash: Uint8Array,
  attempt: number,
  validAttempt: number,
): Uint8Array {
  return domainMessage(
    DomainTags.proposal,
    genesisHash,
    hash,
    u32le(attempt),
    u32le(validAttempt + 1),
  )
}

export function signProposal(
  block: Block,
  attempt: number,
  validAttempt: number,
  certificates: readonly FinalityCertificate[],
  key: KeyPair | Signer,
  genesisHash: Uint8Array,
): Proposal {
  const message = proposalSigningMessage(
    genesisHash,
    blockHash(block.header),
    attempt,
    validAttempt,
  )
  const signer = toSigner(key)
  const signature = signer.sign(message)
  return { block, attempt, validAttempt, certificates, proposer: signer.publicKey, signature }
}

/**
 * The proposal's signature by its `proposer` field and its certificates' signatures, as one
 * bundle. Whether that key is the one scheduled for (height, attempt) needs the committee: the
 * engine checks it.
 */
export function proposalSignatureBundle(p: Proposal, genesisHash: Uint8Array): SignatureBundle {
  if (p.validAttempt >= p.attempt || p.validAttempt < -1) {
    throw new ConsensusError(
      'PROPOSAL_INVALID',
      `valid attempt ${p.validAttempt} not before ${p.attempt}`,
      PeerAction.LowToleranceError,
    )
  }
  const own = {
    signature: p.signature,
    message: proposalSigningMessage(
      genesisHash,
      blockHash(p.block.header),
      p.attempt,
      p.validAttempt,
    ),
    publicKey: p.proposer,
  }
  const certs = p.certificates.map((c) => certificateSignatureBundle(c, genesisHash))
  const checks = [own, ...certs.flatMap((b) => b.checks)]
  return {
    checks,
    failure: (i) => {
      if (i === 0)
        return new ConsensusError(
          'PROPOSAL_INVALID',
          'proposal signature does not verify',
          PeerAction.LowToleranceError,
        )
      let k = i - 1
      for (const b of certs) {
        if (k < b.checks.length) return b.failure(k)
        k -= b.checks.length
      }
      return new ConsensusError('PROPOSAL_INVALID', 'bad signature')
    },
  }
}
