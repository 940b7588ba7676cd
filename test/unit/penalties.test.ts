// Every bad message costs its sender, and only bad ones: one case per message kind, each asserting
// the `penalize` effect (the typed code and action) — and the "we are behind", "too early" and
// "duplicate" cases, which are ignored at no cost (Lodestar's IGNORE against REJECT).
import { describe, expect, it } from 'vitest'
import { Chain } from '../../src/core/engine/chain.ts'
import type { ChainView } from '../../src/core/engine/chain-io.ts'
import { DEFAULT_LIMITS } from '../../src/core/engine/limits.ts'
import {
  type Block,
  type BlockCertificate,
  blockHash,
  blockReward,
  bytesToHex,
  COIN,
  certificateEntry,
  chainUtxoState,
  type KeyPair,
  keySigner,
  LtHash,
  type Message,
  ProposerSchedule,
  sha256,
  signLockReport,
  signProposal,
  signVoteBatch,
  type Transaction,
  type Txid,
  utf8ToBytes,
  type VoteLeaf,
} from '../../src/core/index.ts'
import { emptyBlock as simEmptyBlock } from '../support/consensus-fixture.ts'
import { Cluster, type ClusterNode } from '../support/engine-driver.ts'
import { engineFixture, TEST_CHAIN } from '../support/engine-fixture.ts'
import { GENESIS_HASH, keyPair, spend } from '../support/ledger-fixture.ts'

const stranger = keyPair(499)
const alice = keyPair(0)
const carol = keyPair(2)
const { masternodes, committee, genesis, coin } = engineFixture('penalties genesis', 400, [
  alice,
  alice,
  alice,
])
const chain = TEST_CHAIN
/** The chain's UTXO set before block 1: the genesis outputs. */
const GENESIS_UTXOS = chainUtxoState(
  genesis.outputs.map((output, vout) => ({ outpoint: { txid: genesis.txid, vout }, output })),
)
const PEER = 'peer-under-test'

async function setup() {
  const c = await Cluster.create({
    genesisHash: GENESIS_HASH,
    committee,
    keys: masternodes,
    genesis,
    chain,
  })
  return { c, node: c.node(masternodes[1]!) }
}

/** Delivers `message` from PEER to `node` alone and returns the penalties it caused. */
async function deliver(node: ClusterNode, message: Message) {
  const before = node.penalties.length
  node.runtime.deliver(PEER, message)
  await node.runtime.idle()
  return node.penalties.slice(before).map((p) => ({ peer: p.peer, code: p.code }))
}

const costs = (code: string) => [{ peer: PEER, code }]

function batch(signer: KeyPair, leaves: readonly VoteLeaf[], epoch = 0, seq = 1) {
  return signVoteBatch(leaves, { epoch, seq, timestamp: 1 }, signer.secretKey, GENESIS_HASH)
}

/** An empty block at height 1 over `prevHash`, proposed by `proposer`; `fees` it claims in its reward. */
function emptyBlock(proposer: Uint8Array, prevHash: Uint8Array, fees = 0n): Block {
  const block = simEmptyBlock(committee, proposer, 1, 0, prevHash, {
    timestamp: 1_000,
    utxos: GENESIS_UTXOS,
  })
  return fees === 0n ? block : { ...block, reward: blockReward(committee, proposer, fees) }
}

/** A precommit certificate for `block` signed by the members at `signers`. */
function certified(block: Block, signers: readonly number[]): BlockCertificate {
  const hash = blockHash(block.header)
  const leaf: VoteLeaf = { kind: 'precommit', height: 1, attempt: 0, blockHash: hash }
  return {
    height: 1,
    attempt: 0,
    blockHash: hash,
    epoch: 0,
    entries: signers.map((i) => certificateEntry(batch(masternodes[i]!, [leaf]), 0)),
  }
}

describe('transactions', () => {
  it('a bad signature costs the sender before the engine sees it', async () => {
    const { node } = await setup()
    const pay = spend([coin(0)], [{ to: carol, value: 9n * COIN }])
    const forged = {
      ...pay.tx,
      inputs: pay.tx.inputs.map((i) => ({ ...i, signature: new Uint8Array(64).fill(7) })),
    }
    expect(await deliver(node, { type: 'TransactionBroadcast', tx: forged })).toEqual(
      costs('TX_SIGNATURE'),
    )
  })

  it('a transaction invalid in any state (fee below the minimum) costs the sender', async () => {
    const { node } = await setup()
    const greedy = spend([coin(0)], [{ to: carol, value: 10n * COIN - 1n }])
    expect(await deliver(node, { type: 'TransactionBroadcast', tx: greedy.tx })).toEqual(
      costs('LEDGER_FEE_TOO_LOW'),
    )
    expect(node.engine.decisionOf(greedy.txid)?.kind).toBe('reject')
  })

  it('a duplicate, a conflict and an unknown parent cost nothing', async () => {
    const { node } = await setup()
    const pay = spend([coin(0)], [{ to: carol, value: 9n * COIN }])
    const rival = spend([coin(0)], [{ to: alice, value: 9n * COIN }])
    const orphan = spend(
      [
        {
          outpoint: { txid: sha256(utf8ToBytes('unseen')) as Txid, vout: 0 },
          value: COIN,
          owner: alice,
        },
      ],
      [{ to: carol, value: COIN / 2n }],
    )
    expect(await deliver(node, { type: 'TransactionBroadcast', tx: pay.tx })).toEqual([])
    expect(await deliver(node, { type: 'TransactionBroadcast', tx: pay.tx })).toEqual([])
    expect(await deliver(node, { type: 'InstantFinalityRequest', tx: rival.tx })).toEqual([])
    expect(await deliver(node, { type: 'TransactionBroadcast', tx: orphan.tx })).toEqual([])
  })
})

describe('vote batches', () => {
  const leaf: VoteLeaf = { kind: 'txAccept', txid: sha256(utf8ToBytes('some tx')) as Txid }

  it('a bad signature costs the sender', async () => {
    const { node } = await setup()
    const b = batch(masternodes[2]!, [leaf])
    const forged = { ...b, signature: new Uint8Array(64).fill(3) }
    expect(await deliver(node, { type: 'InstantFinalityVote', batch: forged })).toEqual(
      costs('BATCH_SIGNATURE'),
    )
  })

  it('a batch of this epoch signed by a key outside the committee costs the sender', async () => {
    const { node } = await setup()
    expect(
      await deliver(node, { type: 'InstantFinalityVote', batch: batch(stranger, [leaf]) }),
    ).toEqual(costs('BATCH_NOT_MEMBER'))
  })

  it('a duplicate batch and one of a far epoch cost nothing', async () => {
    const { node } = await setup()
    const b = batch(masternodes[2]!, [leaf])
    expect(await deliver(node, { type: 'InstantFinalityVote', batch: b })).toEqual([])
    expect(await deliver(node, { type: 'InstantFinalityVote', batch: b })).toEqual([])
    const far = batch(masternodes[2]!, [leaf], 7)
    expect(await deliver(node, { type: 'InstantFinalityVote', batch: far })).toEqual([])
  })
})

describe('finality certificates', () => {
  const pay = spend([coin(1)], [{ to: carol, value: 9n * COIN }])
  const accept: VoteLeaf = { kind: 'txAccept', txid: pay.txid }
  const certificate = (signers: readonly number[], epoch = 0) => ({
    txid: pay.txid,
    epoch,
    entries: signers.map((i) => certificateEntry(batch(masternodes[i]!, [accept], epoch), 0)),
  })

  it('short of the quorum costs the sender; nothing is finalized', async () => {
    const { node } = await setup()
    const m: Message = { type: 'FinalityCertificate', tx: pay.tx, certificate: certificate([2]) }
    expect(await deliver(node, m)).toEqual(costs('CERT_INSUFFICIENT_WEIGHT'))
    expect(node.finalized.size).toBe(0)
  })

  it('a certificate for another transaction costs the sender', async () => {
    const { node } = await setup()
    const other = spend([coin(2)], [{ to: carol, value: 9n * COIN }])
    const m: Message = {
      type: 'FinalityCertificate',
      tx: other.tx,
      certificate: certificate([0, 1, 2]),
    }
    expect(await deliver(node, m)).toEqual(costs('CERT_ROOT_MISMATCH'))
  })

  it('one of an epoch we have not reached costs nothing; a valid one finalizes', async () => {
    const { node } = await setup()
    const early: Message = {
      type: 'FinalityCertificate',
      tx: pay.tx,
      certificate: certificate([0, 1, 2], 3),
    }
    expect(await deliver(node, early)).toEqual([])
    const good: Message = {
      type: 'FinalityCertificate',
      tx: pay.tx,
      certificate: certificate([0, 1, 2]),
    }
    expect(await deliver(node, good)).toEqual([])
    expect(node.finalized.has(bytesToHex(pay.txid))).toBe(true)
  })
})

describe('blocks', () => {
  /** A cluster where only `node` has opened height 1 (its start timer fired, nothing delivered). */
  async function atHeightOne() {
    const { c, node } = await setup()
    node.timers.get('chain:start')!()
    await node.runtime.idle()
    c.queue.length = 0
    return { c, node, tip: node.engine.tip!.hash }
  }
  const schedule = new ProposerSchedule(committee, 1)
  const leader = masternodes.find(
    (k) => bytesToHex(k.publicKey) === bytesToHex(schedule.proposer(1, 0)),
  )!
  const other = masternodes.find((k) => k !== leader)!

  it('a proposal signed by a member who is not the leader costs the sender', async () => {
    const { node, tip } = await atHeightOne()
    const p = signProposal(emptyBlock(other.publicKey, tip), 0, -1, [], other, GENESIS_HASH)
    expect(await deliver(node, { type: 'BlockProposal', proposal: p })).toEqual(
      costs('PROPOSAL_WRONG_LEADER'),
    )
  })

  it("the leader's invalid block (a reward that keeps fees it has not earned) costs the sender", async () => {
    const { node, tip } = await atHeightOne()
    const p = signProposal(emptyBlock(leader.publicKey, tip, COIN), 0, -1, [], leader, GENESIS_HASH)
    expect(await deliver(node, { type: 'BlockProposal', proposal: p })).toEqual(
      costs('BLOCK_INVALID'),
    )
  })

  it("the leader's valid block, and one for a height not open here, cost nothing", async () => {
    const { node, tip } = await atHeightOne()
    const p = signProposal(emptyBlock(leader.publicKey, tip), 0, -1, [], leader, GENESIS_HASH)
    expect(await deliver(node, { type: 'BlockProposal', proposal: p })).toEqual([])
    const later = simEmptyBlock(committee, leader.publicKey, 5, 0, tip, { timestamp: 1_000 })
    const q = signProposal(later, 0, -1, [], leader, GENESIS_HASH)
    expect(await deliver(node, { type: 'BlockProposal', proposal: q })).toEqual([])
  })

  it('a commit whose certificate is short, or for another block, costs the sender', async () => {
    const { node, tip } = await atHeightOne()
    const block = emptyBlock(leader.publicKey, tip)
    expect(
      await deliver(node, { type: 'BlockCommit', block, certificate: certified(block, [0]) }),
    ).toEqual(costs('CERT_INSUFFICIENT_WEIGHT'))
    const elsewhere = emptyBlock(other.publicKey, tip)
    expect(
      await deliver(node, {
        type: 'BlockCommit',
        block,
        certificate: certified(elsewhere, [0, 1, 2]),
      }),
    ).toEqual(costs('BLOCK_INVALID'))
    expect(node.committed).toEqual([])
  })

  it('a certified block at our next height that does not extend our tip costs the sender', async () => {
    const { node } = await atHeightOne()
    const block = emptyBlock(leader.publicKey, sha256(utf8ToBytes('another chain')))
    expect(
      await deliver(node, { type: 'BlockCommit', block, certificate: certified(block, [0, 1, 2]) }),
    ).toEqual(costs('BLOCK_NOT_EXTENDING'))
  })

  it('a valid commit applies; sent again (we have it) it costs nothing', async () => {
    const { node, tip } = await atHeightOne()
    const block = emptyBlock(leader.publicKey, tip)
    const m: Message = { type: 'BlockCommit', block, certificate: certified(block, [0, 1, 2]) }
    expect(await deliver(node, m)).toEqual([])
    expect(node.committed).toEqual([1])
    expect(await deliver(node, m)).toEqual([])
  })
})

describe('lock reports', () => {
  /**
   * A chain whose next block changes the committee (the only time lock reports count), over a
   * view that answers just what reports need.
   */
  function changingChain(): Chain {
    const view = {
      committee,
      registry: { changing: true, state: { firstHeight: 1 } },
      limits: DEFAULT_LIMITS,
      self: 'me',
      now: () => 1_000,
    } as unknown as ChainView
    return new Chain(view, chain, { height: 0, hash: GENESIS_HASH }, new LtHash())
  }
  const pay = spend([coin(0)], [{ to: carol, value: 9n * COIN }])
  const report = (by: KeyPair, txids: readonly Txid[]) =>
    signLockReport({ epoch: 0, height: 1, txids }, keySigner(by.secretKey), GENESIS_HASH)
  const penalties = (out: ReturnType<Chain['onLockReport']>) =>
    out.flatMap((o) => (o.type === 'penalize' ? [{ peer: o.peer, code: o.error.code }] : []))
  const send = (by: KeyPair, txids: readonly Txid[], txs: readonly Transaction[]) =>
    penalties(changingChain().onLockReport(report(by, txids), txs, PEER))

  it('a report by a key outside the committee costs the sender', () => {
    expect(send(stranger, [pay.txid], [pay.tx])).toEqual(costs('LOCK_REPORT_INVALID'))
  })

  it('a report whose transactions are not the ones it names costs the sender', () => {
    expect(send(masternodes[2]!, [pay.txid], [])).toEqual(costs('LOCK_REPORT_INVALID'))
  })

  it("a member's well-formed report costs nothing; one for another height is ignored", () => {
    expect(send(masternodes[2]!, [pay.txid], [pay.tx])).toEqual([])
    const late = signLockReport(
      { epoch: 0, height: 9, txids: [] },
      keySigner(masternodes[2]!.secretKey),
      GENESIS_HASH,
    )
    expect(penalties(changingChain().onLockReport(late, [], PEER))).toEqual([])
  })
})

describe('requests', () => {
  it('a request for a height that cannot exist costs the sender; one we lack costs nothing', async () => {
    const { node } = await setup()
    expect(await deliver(node, { type: 'BlockRequest', height: -1 })).toEqual(
      costs('PEER_REQUEST_INVALID'),
    )
    expect(await deliver(node, { type: 'BlockRequest', height: 40 })).toEqual([])
    const txid = sha256(utf8ToBytes('never seen')) as Txid
    expect(await deliver(node, { type: 'TransactionRequest', txid })).toEqual([])
  })
})
