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
import { joinBundles, type SignatureBundle } from '../crypto/signature-bundle.ts'
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
import { MAX_COMMITTEE_SIZE } from './committee.ts'
import { type LockReport, LockReportCodec, lockReportsBundle } from './lock-report.ts'
import { toSigner } from './vote-batch.ts'

export interface Proposal {
  readonly block: Block
  readonly attempt: number
  /** The attempt of a prevote quorum for this block, or -1 for a fresh block. */
  readonly validAttempt: number
  readonly certificates: readonly FinalityCertificate[]
  /** For a committee-changing block: lock reports from > 2/3 of the outgoing weight (§4.8). */
  readonly reports: readonly LockReport[]
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
  reports: boundedArray(
    MAX_COMMITTEE_SIZE,
    P.prefix(limitedLength(u32, LockReportCodec.maxSize, 'report size'), LockReportCodec.coder),
    'lock reports',
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
  reports: readonly LockReport[] = [],
): Proposal {
  const message = proposalSigningMessage(
    genesisHash,
    blockHash(block.header),
    attempt,
    validAttempt,
  )
  const signer = toSigner(key)
  const signature = signer.sign(message)
  return {
    block,
    attempt,
    validAttempt,
    certificates,
    reports,
    proposer: signer.publicKey,
    signature,
  }
}

/**
 * The proposal's signature by its `proposer` field, its certificates' and its lock reports'
 * signatures, as one bundle (the block's own and carried transactions are checked with it by
 * `messageBundle`). Whether that key is the one scheduled for (height, attempt) needs the committee: the
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
  const ownBundle: SignatureBundle = {
    checks: [own],
    failure: () =>
      new ConsensusError(
        'PROPOSAL_INVALID',
        'proposal signature does not verify',
        PeerAction.LowToleranceError,
      ),
  }
  return joinBundles([
    ownBundle,
    ...p.certificates.map((c) => certificateSignatureBundle(c, genesisHash)),
    lockReportsBundle(p.reports, genesisHash),
  ])
}
