/**
 * Committee proofs for light clients: how a wallet that knows only the genesis
 * committee learns C_e without trusting the masternode that tells it. The proof is one step per
 * committee-changing block, oldest first: the block's header, its certificate (precommits of
 * more than 2/3 of the committee before it) and the member list of the committee after it, which
 * must hash to the header's `committeeHash`. Each step is checked with the committee the previous
 * step proved, so a forged step needs a forged quorum. Layout and checks: docs/PROTOCOL.md §18.5.
 */
import * as P from 'micro-packed'
import type { Ed25519Verifier } from '../crypto/ed25519.ts'
import { joinBundles, type SignatureBundle, verifyBundle } from '../crypto/signature-bundle.ts'
import { equalBytes } from '../encoding/bytes.ts'
import { codec } from '../encoding/codec.ts'
import { boundedArray, bytes32, rangedU64Number } from '../encoding/fields.ts'
import { ConsensusError, PeerAction } from '../errors.ts'
import { type BlockHeader, blockHash, blockHeaderCoder } from './block.ts'
import {
  type BlockCertificate,
  BlockCertificateCodec,
  checkBlockCertificate,
} from './block-certificate.ts'
import {
  Committee,
  type CommitteeMember,
  committeeHash,
  MAX_COMMITTEE_SIZE,
  MAX_MEMBER_WEIGHT,
} from './committee.ts'
import { entriesSignatureBundle } from './quorum-proof.ts'

export interface CommitteeProofStep {
  readonly header: BlockHeader
  readonly certificate: BlockCertificate
  /** The committee voting after this block. */
  readonly members: readonly CommitteeMember[]
}

/** Steps are bounded by the number of epochs a proof may span in one message. */
export const MAX_PROOF_STEPS = 10_000

const stepCoder = P.struct({
  header: blockHeaderCoder,
  certificate: P.prefix(P.U32LE, BlockCertificateCodec.coder),
  members: boundedArray(
    MAX_COMMITTEE_SIZE,
    P.struct({ key: bytes32, weight: rangedU64Number(MAX_MEMBER_WEIGHT, 'member weight') }),
    'committee members',
  ),
}) as unknown as P.CoderType<CommitteeProofStep>

export const CommitteeProofStepCodec = codec('CommitteeProofStep', stepCoder, 64 * 1024 * 1024)

export const CommitteeProofCodec = codec(
  'CommitteeProof',
  boundedArray(MAX_PROOF_STEPS, stepCoder, 'proof steps') as unknown as P.CoderType<
    CommitteeProofStep[]
  >,
  256 * 1024 * 1024,
)

function invalid(step: number, message: string): never {
  throw new ConsensusError(
    'COMMITTEE_PROOF_INVALID',
    `step ${step}: ${message}`,
    PeerAction.LowToleranceError,
  )
}

/** The committee a step names; members that cannot form one (duplicates, …) cost the sender. */
function membersOf(step: number, epoch: number, members: readonly CommitteeMember[]): Committee {
  try {
    return new Committee(epoch, members)
  } catch (e) {
    if (e instanceof ConsensusError) invalid(step, `the members are not a committee: ${e.message}`)
    throw e
  }
}

/**
 * Walks the proof from `genesis` and returns the committee it ends at; throws
 * COMMITTEE_PROOF_INVALID (or a certificate error) at the first step that does not follow.
 * Signatures are not checked here: verify `committeeProofBundle` too (`verifyCommitteeProof`
 * does both).
 */
export function checkCommitteeProof(
  genesis: Committee,
  proof: readonly CommitteeProofStep[],
): Committee {
  let committee = genesis
  let height = 0
  proof.forEach((step, i) => {
    const { header, certificate } = step
    if (header.epoch !== committee.epoch)
      invalid(i, `block of epoch ${header.epoch}, expected ${committee.epoch}`)
    if (header.height <= height) invalid(i, 'steps must go up in height')
    height = header.height
    if (
      certificate.height !== header.height ||
      !equalBytes(certificate.blockHash, blockHash(header))
    )
      invalid(i, 'the certificate is for another block')
    checkBlockCertificate(certificate, committee)
    const next = membersOf(i, committee.epoch + 1, step.members)
    if (!equalBytes(committeeHash(next), header.committeeHash))
      invalid(i, 'the members do not hash to the committee the block names')
    committee = next
  })
  return committee
}

/** The precommit signatures of every step, as one bundle. */
export function committeeProofBundle(
  proof: readonly CommitteeProofStep[],
  genesisHash: Uint8Array,
): SignatureBundle {
  return joinBundles(proof.map((s) => entriesSignatureBundle(s.certificate.entries, genesisHash)))
}

/** Checks a committee proof entirely, signatures included, and returns the proven committee. */
export async function verifyCommitteeProof(
  genesis: Committee,
  proof: readonly CommitteeProofStep[],
  genesisHash: Uint8Array,
  verifier?: Ed25519Verifier,
): Promise<Committee> {
  const committee = checkCommitteeProof(genesis, proof)
  await verifyBundle(committeeProofBundle(proof, genesisHash), verifier)
  return committee
}
