import { describe, expect, it } from 'vitest'
import {
  BLOCK_HEADER_SIZE,
  BLOCK_REWARD,
  type Block,
  BlockCertificateCodec,
  BlockCodec,
  BlockHeaderCodec,
  blockHash,
  blockReward,
  bytesToHex,
  certificateEntry,
  checkBlockCertificate,
  committeeHash,
  type Evidence,
  ProposerSchedule,
  rewardHash,
  sha256,
  type Txid,
  transactionRoot,
  verifyBlockCertificate,
  verifyEvidence,
} from '../../src/core/index.ts'
import { batchBy, CONSENSUS_GENESIS, committeeOf, voterKey } from '../support/consensus-fixture.ts'
import { coinsOf, genesisLedger, keyPair, spend } from '../support/ledger-fixture.ts'

const committee = committeeOf(2, [10, 10, 10, 10])

function blockOf(txs: ReturnType<typeof spend>[], height = 5, attempt = 0): Block {
  const proposer = voterKey(1).publicKey
  const reward = blockReward(committee, proposer, 3_000_000n)
  return {
    header: {
      version: 1,
      height,
      attempt,
      prevHash: sha256(Uint8Array.of(height - 1)),
      epoch: 2,
      timestamp: 1_767_225_600_000,
      proposer,
      txRoot: transactionRoot(txs.map((t) => t.txid)),
      rewardHash: rewardHash(reward),
      carryRoot: new Uint8Array(32),
      committeeHash: committeeHash(committee),
      utxoCommitment: sha256(Uint8Array.of(height)),
    },
    transactions: txs.map((t) => t.tx),
    reward,
    carried: [],
  }
}

describe('blocks', () => {
  const { coins } = genesisLedger(2)
  const pay = spend([coins[0]!], [{ to: keyPair(5), value: 9n * 100_000_000n }])
  const child = spend(coinsOf(pay, [keyPair(5)]), [{ to: keyPair(6), value: 8n * 100_000_000n }])

  it('round-trips on the wire and hashes its header', () => {
    const block = blockOf([pay, child])
    expect(BlockHeaderCodec.encode(block.header).length).toBe(BLOCK_HEADER_SIZE)
    expect(BLOCK_HEADER_SIZE).toBe(246) // docs/PROTOCOL.md §15.1
    const decoded = BlockCodec.decode(BlockCodec.encode(block))
    expect(decoded).toEqual(block)
    expect(blockHash(decoded.header)).toEqual(blockHash(block.header))
    expect(blockHash({ ...block.header, attempt: 1 })).not.toEqual(blockHash(block.header))
    const utxoCommitment = new Uint8Array(32)
    expect(blockHash({ ...block.header, utxoCommitment })).not.toEqual(blockHash(block.header))
  })

  it('the transaction root commits to order and content; an empty block has a zero root', () => {
    expect(transactionRoot([])).toEqual(new Uint8Array(32))
    expect(transactionRoot([pay.txid, child.txid])).not.toEqual(
      transactionRoot([child.txid, pay.txid]),
    )
  })

  it('pays 100 TIME by weight, remainder and fees to the proposer', () => {
    const c = committeeOf(0, [10, 10, 10]) // 100 TIME / 3 leaves a remainder
    const proposer = voterKey(2).publicKey
    const reward = blockReward(c, proposer, 5n)
    const total = reward.reduce((a, o) => a + o.value, 0n)
    expect(total).toBe(BLOCK_REWARD + 5n)
    expect(reward.slice(0, 3).map((o) => o.value)).toEqual([
      3_333_333_333n,
      3_333_333_333n,
      3_333_333_333n,
    ])
    expect(reward[3]!.value).toBe(BLOCK_REWARD - 3n * 3_333_333_333n + 5n)
  })
})

describe('proposer schedule', () => {
  it('rotates in proportion to weight and does not depend on anything but the committee', () => {
    const c = committeeOf(0, [10, 20, 70])
    const s = new ProposerSchedule(c, 100)
    const counts = new Map<string, number>()
    for (let h = 100; h < 200; h++) {
      const k = bytesToHex(s.proposer(h, 0))
      counts.set(k, (counts.get(k) ?? 0) + 1)
    }
    expect([0, 1, 2].map((i) => counts.get(bytesToHex(voterKey(i).publicKey)))).toEqual([
      10, 20, 70,
    ])
    expect(new ProposerSchedule(c, 100).proposer(150, 2)).toEqual(s.proposer(152, 0))
    expect(() => s.proposer(99, 0)).toThrow(expect.objectContaining({ code: 'COMMITTEE_INVALID' }))
  })

  it('never lets a zero-weight member propose', () => {
    const c = committeeOf(0, [0, 10, 10])
    const s = new ProposerSchedule(c, 0)
    for (let h = 0; h < 20; h++) expect(s.proposer(h, 0)).not.toEqual(voterKey(0).publicKey)
  })
})

describe('block certificates and evidence', () => {
  const hashA = sha256(utf8('block A'))
  const hashB = sha256(utf8('block B'))
  const precommit = (blockHash: Uint8Array) => ({
    kind: 'precommit' as const,
    height: 7,
    attempt: 1,
    blockHash,
  })

  it('a quorum of precommits certifies a block; a prevote quorum does not', async () => {
    const entries = [0, 1, 2].map((v) => certificateEntry(batchBy(v, 2, [precommit(hashA)]), 0))
    const cert = { height: 7, attempt: 1, blockHash: hashA, epoch: 2, entries }
    expect(
      await verifyBlockCertificate(
        BlockCertificateCodec.decode(BlockCertificateCodec.encode(cert)),
        committee,
        CONSENSUS_GENESIS,
      ),
    ).toEqual({
      weight: 30,
    })
    const prevotes = [0, 1, 2].map((v) =>
      certificateEntry(
        batchBy(v, 2, [{ kind: 'prevote', height: 7, attempt: 1, blockHash: hashA }]),
        0,
      ),
    )
    expect(() => checkBlockCertificate({ ...cert, entries: prevotes }, committee)).toThrow(
      expect.objectContaining({ code: 'CERT_ROOT_MISMATCH' }),
    )
    expect(() => checkBlockCertificate({ ...cert, attempt: 0 }, committee)).toThrow(
      expect.objectContaining({ code: 'CERT_ROOT_MISMATCH' }),
    )
  })

  it('two precommits by one voter at one (height, attempt) are evidence; honest votes are not', async () => {
    const a = certificateEntry(batchBy(3, 2, [precommit(hashA)], 1), 0)
    const b = certificateEntry(
      batchBy(3, 2, [{ kind: 'txAccept', txid: sha256(utf8('x')) as Txid }, precommit(hashB)], 2),
      1,
    )
    const evidence: Evidence = {
      kind: 'conflictingPrecommits',
      height: 7,
      attempt: 1,
      blockHashA: hashA,
      blockHashB: hashB,
      entryA: a,
      entryB: b,
    }
    expect(await verifyEvidence(evidence, committee, CONSENSUS_GENESIS)).toEqual(
      voterKey(3).publicKey,
    )
    await expect(
      verifyEvidence({ ...evidence, blockHashB: hashA, entryB: a }, committee, CONSENSUS_GENESIS),
    ).rejects.toMatchObject({
      code: 'EVIDENCE_INVALID',
    })
    const other = certificateEntry(batchBy(2, 2, [precommit(hashB)]), 0)
    await expect(
      verifyEvidence({ ...evidence, entryB: other }, committee, CONSENSUS_GENESIS),
    ).rejects.toMatchObject({
      code: 'EVIDENCE_INVALID',
    })
    await expect(
      verifyEvidence(evidence, committee, sha256(utf8('other network'))),
    ).rejects.toMatchObject({
      code: 'CERT_SIGNATURE',
    })
  })

  it('Accepts for two transactions spending one output are evidence', async () => {
    const { coins } = genesisLedger(2)
    const a = spend([coins[0]!], [{ to: keyPair(5), value: 9n * 100_000_000n }])
    const b = spend([coins[0]!], [{ to: keyPair(6), value: 9n * 100_000_000n }])
    const unrelated = spend([coins[1]!], [{ to: keyPair(6), value: 9n * 100_000_000n }])
    const accept = (t: typeof a, seq: number) =>
      certificateEntry(batchBy(0, 2, [{ kind: 'txAccept', txid: t.txid }], seq), 0)
    const evidence: Evidence = {
      kind: 'conflictingAccepts',
      txA: a.tx,
      txB: b.tx,
      entryA: accept(a, 1),
      entryB: accept(b, 2),
    }
    expect(await verifyEvidence(evidence, committee, CONSENSUS_GENESIS)).toEqual(
      voterKey(0).publicKey,
    )
    await expect(
      verifyEvidence(
        { ...evidence, txB: unrelated.tx, entryB: accept(unrelated, 3) },
        committee,
        CONSENSUS_GENESIS,
      ),
    ).rejects.toMatchObject({ code: 'EVIDENCE_INVALID' })
    // The entry must really prove an Accept of the named transaction.
    await expect(
      verifyEvidence({ ...evidence, entryB: accept(unrelated, 4) }, committee, CONSENSUS_GENESIS),
    ).rejects.toMatchObject({
      code: 'EVIDENCE_INVALID',
    })
  })
})

function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s)
}
