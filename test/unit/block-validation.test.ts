import { describe, expect, it } from 'vitest'
import {
  assertVerdicts,
  type Block,
  type BlockContext,
  blockReward,
  COIN,
  chainStateAfter,
  chainUtxoState,
  chainUtxos,
  committeeHash,
  computeTxid,
  inChain,
  ProposalCodec,
  ProposerSchedule,
  proposalSignatureBundle,
  rewardHash,
  rewardTxid,
  sha256,
  signProposal,
  transactionRoot,
  txidToHex,
  validateBlock,
  verifyBundle,
} from '../../src/core/index.ts'
import {
  CONSENSUS_GENESIS,
  certificateFrom,
  committeeOf,
  voterKey,
} from '../support/consensus-fixture.ts'
import { coinsOf, genesisLedger, keyPair, spend } from '../support/ledger-fixture.ts'

const committee = committeeOf(0, [10, 10, 10, 10])
const schedule = new ProposerSchedule(committee, 1)
const { ledger, coins } = genesisLedger(2)
const pay = spend([coins[0]!], [{ to: keyPair(5), value: 9n * COIN }])
const child = spend(coinsOf(pay, [keyPair(5)]), [{ to: keyPair(6), value: 8n * COIN }])
const prevHash = sha256(Uint8Array.of(0))
const final = new Set([txidToHex(pay.txid), txidToHex(child.txid)])

const ctx = (over: Partial<BlockContext> = {}): BlockContext => ({
  height: 1,
  prevHash,
  epoch: 0,
  committee,
  schedule,
  attempt: 0,
  outputValue: (o) => ledger.utxos.get(o)?.output.value,
  isFinal: (t) => final.has(txidToHex(t)),
  utxoCommitmentAfter: commitmentOf,
  ...over,
})

/** The chain's UTXO set of the genesis ledger, and the commitment after a block on it. */
const genesisUtxos = chainUtxoState(chainUtxos(ledger.utxos.entries()))
function commitmentOf(b: Pick<Block, 'header' | 'transactions' | 'reward'>): Uint8Array {
  const changes = {
    transactions: b.transactions.map((tx) => ({ tx, txid: computeTxid(tx) })),
    rewardTxid: rewardTxid(b.header.height, b.header.prevHash),
    reward: b.reward,
  }
  const outputOf = (o: Parameters<typeof ledger.utxos.get>[0]) => {
    const e = ledger.utxos.get(o)
    return e !== undefined && inChain(e) ? e.output : undefined
  }
  return chainStateAfter(genesisUtxos, changes, outputOf).digest()
}

function block(txs = [pay, child], over: Partial<Block['header']> = {}, fees = 2n * COIN): Block {
  const proposer = over.proposer ?? schedule.proposer(1, over.attempt ?? 0)
  const reward = blockReward(committee, proposer, fees)
  const header = { height: 1, prevHash }
  const transactions = txs.map((t) => t.tx)
  const utxoCommitment =
    txs.length === 2 && txs[0] === pay && txs[1] === child
      ? commitmentOf({ header: header as Block['header'], transactions, reward })
      : new Uint8Array(32)
  return {
    header: {
      version: 1,
      height: 1,
      attempt: 0,
      prevHash,
      epoch: 0,
      timestamp: 0,
      proposer,
      txRoot: transactionRoot(txs.map((t) => t.txid)),
      rewardHash: rewardHash(reward),
      carryRoot: new Uint8Array(32),
      committeeHash: committeeHash(committee),
      utxoCommitment,
      ...over,
    },
    transactions,
    reward,
    carried: [],
  }
}

describe('block validation', () => {
  it('accepts a correct block and reports its fees', () => {
    expect(validateBlock(block(), ctx())).toMatchObject({ fees: 2n * COIN })
  })

  it.each([
    ['a wrong height', () => validateBlock(block(), ctx({ height: 2 }))],
    ['another tip', () => validateBlock(block(), ctx({ prevHash: sha256(Uint8Array.of(9)) }))],
    ['another epoch', () => validateBlock(block(), ctx({ epoch: 1 }))],
    [
      'an unscheduled proposer',
      () => validateBlock(block(undefined, { proposer: schedule.proposer(1, 1) }), ctx()),
    ],
    ['an attempt from the future', () => validateBlock(block(undefined, { attempt: 1 }), ctx())],
    ['a child before its parent', () => validateBlock(block([child, pay]), ctx())],
    ['a transaction twice', () => validateBlock(block([pay, pay], undefined, 2n * COIN), ctx())],
    ['a reward that keeps the fees', () => validateBlock(block([pay, child], {}, 0n), ctx())],
    [
      'a transaction root over other transactions',
      () => validateBlock(block(undefined, { txRoot: transactionRoot([pay.txid]) }), ctx()),
    ],
  ])('refuses %s', (_, f) => {
    expect(f).toThrow(expect.objectContaining({ code: 'BLOCK_INVALID' }))
  })

  it('a block spending what is not final or unknown HERE is refused without blaming its sender', () => {
    const notFinal = () => validateBlock(block(), ctx({ isFinal: (t) => t === pay.txid }))
    expect(notFinal).toThrow(expect.objectContaining({ code: 'BLOCK_NOT_FINAL_HERE' }))
    expect(notFinal).toThrow(expect.objectContaining({ peerAction: undefined }))
    const unknown = () => validateBlock(block(), ctx({ outputValue: () => undefined }))
    expect(unknown).toThrow(expect.objectContaining({ code: 'BLOCK_INPUT_UNKNOWN' }))
    expect(unknown).toThrow(expect.objectContaining({ peerAction: undefined }))
  })

  it('refuses a header committing to another UTXO set than applying the block yields', () => {
    const other = block(undefined, { utxoCommitment: sha256(Uint8Array.of(1)) })
    const refused = () => validateBlock(other, ctx())
    expect(refused).toThrow(expect.objectContaining({ code: 'BLOCK_COMMITMENT_MISMATCH' }))
    expect(refused).toThrow(expect.objectContaining({ peerAction: 'low-tolerance' }))
    // The commitment covers the reward too: the same transactions paid to another proposer differ.
    const b = block()
    const reward = [...b.reward].reverse()
    expect(commitmentOf({ ...b, reward })).not.toEqual(b.header.utxoCommitment)
  })

  it('a re-proposed block keeps its original proposer and attempt', () => {
    const b = block(undefined, { attempt: 0 })
    expect(() => validateBlock(b, ctx({ attempt: 3 }))).not.toThrow()
  })
})

describe('proposals', () => {
  const certs = [certificateFrom(pay.txid, 0, [0, 1, 2]), certificateFrom(child.txid, 0, [1, 2, 3])]
  const proposer = voterKey(2)

  it('round-trip, and their signature and certificates verify as one bundle', async () => {
    const p = signProposal(block(), 2, 1, certs, proposer, CONSENSUS_GENESIS)
    const decoded = ProposalCodec.decode(ProposalCodec.encode(p))
    expect(decoded).toEqual(p)
    await verifyBundle(proposalSignatureBundle(decoded, CONSENSUS_GENESIS))
    const fresh = signProposal(block(), 0, -1, [], proposer, CONSENSUS_GENESIS)
    expect(ProposalCodec.decode(ProposalCodec.encode(fresh)).validAttempt).toBe(-1)
  })

  it('are bound to their attempt and to the scheduled proposer', async () => {
    const p = signProposal(block(), 2, -1, certs, proposer, CONSENSUS_GENESIS)
    await expect(
      verifyBundle(proposalSignatureBundle({ ...p, attempt: 3 }, CONSENSUS_GENESIS)),
    ).rejects.toMatchObject({
      code: 'PROPOSAL_INVALID',
    })
    await expect(
      verifyBundle(
        proposalSignatureBundle({ ...p, proposer: voterKey(1).publicKey }, CONSENSUS_GENESIS),
      ),
    ).rejects.toMatchObject({
      code: 'PROPOSAL_INVALID',
    })
    expect(() => proposalSignatureBundle({ ...p, validAttempt: 2 }, CONSENSUS_GENESIS)).toThrow(
      expect.objectContaining({ code: 'PROPOSAL_INVALID' }),
    )
    const bundle = proposalSignatureBundle(p, CONSENSUS_GENESIS)
    const verdicts = bundle.checks.map(() => true)
    verdicts[verdicts.length - 1] = false
    expect(() => assertVerdicts(bundle, verdicts)).toThrow(
      expect.objectContaining({ code: 'CERT_SIGNATURE' }),
    )
  })
})
