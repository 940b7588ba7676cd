import { describe, expect, it } from 'vitest'
import {
  type BlockCertificate,
  type BlockHeader,
  blockHash,
  Committee,
  type CommitteeMember,
  CommitteeProofCodec,
  type CommitteeProofStep,
  certificateEntry,
  checkCommitteeProof,
  committeeHash,
  verifyCommitteeProof,
} from '../../src/core/index.ts'
import { batchBy, CONSENSUS_GENESIS, committeeOf, voterKey } from '../support/consensus-fixture.ts'

const c0 = committeeOf(0, [10, 10, 10, 10])
const members1: CommitteeMember[] = [...c0.members, { key: voterKey(5).publicKey, weight: 100 }]
const c1 = new Committee(1, members1)
const members2: CommitteeMember[] = c1.members.filter((m) => m.weight !== 10 || m !== c1.members[0])
const c2 = new Committee(2, members2)

function header(height: number, epoch: number, next: Committee): BlockHeader {
  return {
    version: 1,
    height,
    attempt: 0,
    prevHash: new Uint8Array(32).fill(height),
    epoch,
    timestamp: 0,
    proposer: voterKey(0).publicKey,
    txRoot: new Uint8Array(32),
    rewardHash: new Uint8Array(32),
    carryRoot: new Uint8Array(32),
    committeeHash: committeeHash(next),
    utxoCommitment: new Uint8Array(32),
  }
}

/** Precommits for `h` by the given voters (indices of voterKey), as a block certificate. */
function certify(h: BlockHeader, voters: readonly number[]): BlockCertificate {
  const hash = blockHash(h)
  return {
    height: h.height,
    attempt: 0,
    blockHash: hash,
    epoch: h.epoch,
    entries: voters.map((v) =>
      certificateEntry(
        batchBy(v, h.epoch, [{ kind: 'precommit', height: h.height, attempt: 0, blockHash: hash }]),
        0,
      ),
    ),
  }
}

const h1 = header(3, 0, c1)
const h2 = header(8, 1, c2)
const proof: CommitteeProofStep[] = [
  { header: h1, certificate: certify(h1, [0, 1, 2]), members: c1.members },
  // Epoch 1: the new member (weight 100 of 140) must be among the signers.
  { header: h2, certificate: certify(h2, [5, 1]), members: c2.members },
]

const failure = (p: CommitteeProofStep[]) => {
  try {
    checkCommitteeProof(c0, p)
    return 'valid'
  } catch (e) {
    return `${(e as { code: string }).code}: ${(e as Error).message}`
  }
}

describe('committee proofs', () => {
  it('lead a light client from the genesis committee to the current one, signatures included', async () => {
    const proven = await verifyCommitteeProof(c0, proof, CONSENSUS_GENESIS)
    expect(proven.epoch).toBe(2)
    expect(committeeHash(proven)).toEqual(committeeHash(c2))
    expect(checkCommitteeProof(c0, [])).toBe(c0)
    const bytes = CommitteeProofCodec.encode(proof)
    expect(CommitteeProofCodec.decode(bytes)).toEqual(proof)
  })

  it('refuse forged members, foreign certificates, skipped epochs and thin quorums', async () => {
    const forged = [...members1, { key: voterKey(7).publicKey, weight: 1_000 }]
    expect(failure([{ ...proof[0]!, members: forged }])).toMatch(/do not hash to the committee/)
    expect(failure([{ ...proof[0]!, certificate: proof[1]!.certificate }])).toMatch(/another block/)
    expect(failure([proof[1]!])).toMatch(/block of epoch 1, expected 0/)
    expect(failure([proof[0]!, proof[0]!])).toMatch(/block of epoch 0, expected 1/)
    // The old members alone are 40 of 140 in epoch 1: no quorum without the new one.
    const thin = { ...proof[1]!, certificate: certify(h2, [0, 1, 2, 3]) }
    expect(failure([proof[0]!, thin])).toMatch(/INSUFFICIENT_WEIGHT/)
    // A certificate signed by another genesis fails the signature check.
    const other = new Uint8Array(32).fill(1)
    await expect(verifyCommitteeProof(c0, proof, other)).rejects.toMatchObject({
      code: 'CERT_SIGNATURE',
    })
  })
})
