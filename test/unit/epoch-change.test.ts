// Members across committee changes (docs/ARCHITECTURE.md §3.3–§3.8, §4): a registration confirmed
// by block 1 makes block 2 committee-changing, so epoch 1 starts there; a deregistration later
// makes epoch 2. What each member seals and reports, what it holds while sealed, what it decides
// anew in the new epoch, what it re-announces after a restart, which decisions, tallies and
// buffered votes each block or epoch settles, and which certificates still count.
import { describe, expect, it } from 'vitest'
import {
  type Amount,
  bytesToHex,
  COIN,
  certificateEntry,
  type Decision,
  decisionOp,
  type FinalityCertificate,
  type Message,
  NO_CONFLICT,
  type PeerId,
  sha256,
  signProposal,
  signVoteBatch,
  type Txid,
  utf8ToBytes,
  type VoteBatch,
  type VoteLeaf,
} from '../../src/core/index.ts'
import { emptyBlock } from '../support/consensus-fixture.ts'
import { Cluster, type ClusterNode } from '../support/engine-driver.ts'
import { engineFixture, membershipTx, TEST_CHAIN } from '../support/engine-fixture.ts'
import { type Coin, GENESIS_HASH, keyPair, payloadOf, spend } from '../support/ledger-fixture.ts'

const alice = keyPair(0)
const carol = keyPair(2)
const fx = engineFixture('epoch change genesis', 1000, [alice, alice, alice])
const { masternodes, coin } = fx
const BIG = 2_000n * COIN
/** Two more genesis outputs of 2,000 TIME: collateral for a registration, fees for the rest. */
const genesis = {
  ...fx.genesis,
  outputs: [
    ...fx.genesis.outputs,
    ...[0, 1].map(() => ({ value: BIG as Amount, address: payloadOf(alice) })),
  ],
}
const big = (vout: 3 | 4): Coin => ({
  outpoint: { txid: fx.genesis.txid, vout },
  value: BIG,
  owner: alice,
})
/** A Bronze masternode no node runs: it joins at epoch 1 (weight 10 of 50) and never votes. */
const joining = keyPair(1004)
const registration = membershipTx(big(3), joining, 'bronze')
const leaving = membershipTx(big(4), joining)
const ids = masternodes.map((k) => bytesToHex(k.publicKey))
const WALLET: PeerId = 'a-wallet'

const pay = spend([coin(0)], [{ to: carol, value: 9n * COIN }])
const rival = spend([coin(0)], [{ to: alice, value: 9n * COIN }])
const hex = (t: Txid) => bytesToHex(t)

/** Four members with block production; messages that `drop` names never arrive. */
function cluster(drop?: (from: PeerId, to: PeerId, message: Message) => boolean) {
  return Cluster.create({
    genesisHash: GENESIS_HASH,
    committee: fx.committee,
    keys: masternodes,
    genesis,
    chain: TEST_CHAIN,
    ...(drop ? { drop } : {}),
  })
}

/** Drops every vote batch that holds a leaf on one of `txids` (so they never become final). */
function votesOn(txids: Set<string>) {
  return (_from: PeerId, _to: PeerId, m: Message) =>
    m.type === 'InstantFinalityVote' &&
    m.batch.leaves.some((l) => 'txid' in l && txids.has(hex(l.txid)))
}

/** The next block, on every member that is up (attempts time out while a silent member leads). */
async function nextBlock(c: Cluster): Promise<void> {
  const up = [...c.nodes.values()].filter((n) => !n.down)
  const height = Math.max(...up.map((n) => n.engine.tip?.height ?? 0)) + 1
  await c.fireTimers((t) => t === 'chain:start')
  await c.run()
  for (let i = 0; i < 20 && up.some((n) => (n.engine.tip?.height ?? 0) < height); i++) {
    await c.fireTimers((t) => t.startsWith('chain:'))
    await c.run()
  }
  for (const n of up) expect(n.engine.tip?.height).toBe(height)
}

/** Registration final and confirmed by block 1: block 2 will change the committee. */
async function changing(c: Cluster): Promise<void> {
  await c.submit(masternodes[0]!, registration.tx)
  await c.run()
  await nextBlock(c)
  for (const node of c.nodes.values()) expect(node.engine.registry.changing).toBe(true)
}

async function epochOne(c: Cluster): Promise<void> {
  await changing(c)
  await nextBlock(c)
  for (const node of c.nodes.values()) {
    expect(node.engine.committee.epoch).toBe(1)
    expect(node.engine.tip?.height).toBe(2)
  }
}

/** Waits until no write or verification of `node` is in flight (one may start another). */
async function settled(node: ClusterNode) {
  do {
    await node.runtime.idle()
    await new Promise((resolve) => setTimeout(resolve, 0))
  } while (node.runtime.pending > 0)
}

/** Delivers `message` to `node` alone; returns what it sent meanwhile. */
async function deliver(c: Cluster, node: ClusterNode, from: PeerId, message: Message) {
  const start = c.queue.length
  node.runtime.deliver(from, message)
  await settled(node)
  return c.queue
    .slice(start)
    .filter((q) => q.from === node.engine.id)
    .map((q) => ({ to: q.to, message: q.message }))
}

/** The vote batches `node` sent since queue position `start` (each once). */
function batchesFrom(c: Cluster, node: ClusterNode, start = 0): VoteBatch[] {
  const out = new Map<string, VoteBatch>()
  for (const q of c.queue.slice(start))
    if (q.from === node.engine.id && q.message.type === 'InstantFinalityVote')
      out.set(bytesToHex(q.message.batch.signature), q.message.batch)
  return [...out.values()]
}

function batch(member: number, leaves: readonly VoteLeaf[], seq: number, epoch: number) {
  return signVoteBatch(
    leaves,
    { epoch, seq, timestamp: 1 },
    masternodes[member]!.secretKey,
    GENESIS_HASH,
  )
}

function certificate(txid: Txid, epoch: number, signers: readonly number[], seq = 90) {
  const accept: VoteLeaf = { kind: 'txAccept', txid }
  return {
    txid,
    epoch,
    entries: signers.map((i) => certificateEntry(batch(i, [accept], seq, epoch), 0)),
  } satisfies FinalityCertificate
}

describe('the epoch rule while a committee change is pending and after it', () => {
  it('registered collateral cannot be spent: Reject naming no transaction, nothing locked', async () => {
    const c = await cluster()
    await changing(c)
    const collateral = { outpoint: { txid: registration.txid, vout: 0 }, value: 1_000n * COIN }
    const spendIt = spend([{ ...collateral, owner: alice }], [{ to: carol, value: 999n * COIN }])
    const node = c.node(masternodes[1]!)
    const sent = await deliver(c, node, WALLET, { type: 'TransactionBroadcast', tx: spendIt.tx })
    expect(node.engine.decisionOf(spendIt.txid)).toEqual({
      kind: 'reject',
      txid: spendIt.txid,
      epoch: 0,
      conflictingTxid: NO_CONFLICT,
    })
    expect(node.engine.ledger.utxos.get(collateral.outpoint)?.state.kind).toBe('Unspent')
    expect(node.engine.ledger.mempool.get(spendIt.txid)).toBeUndefined()
    const vote = sent.find((s) => s.message.type === 'InstantFinalityVote')?.message
    expect(vote?.type === 'InstantFinalityVote' && vote.batch.leaves).toEqual([
      { kind: 'txReject', txid: spendIt.txid, conflictingTxid: NO_CONFLICT },
    ])
  })
})

describe('sealing for the handoff', () => {
  it('reports exactly the Accepts of known transactions, and holds new ones for the next epoch', async () => {
    const pending = new Set([hex(pay.txid)])
    let proposals = false
    const c = await cluster(
      (from, to, m) => votesOn(pending)(from, to, m) || (proposals && m.type === 'BlockProposal'),
    )
    await changing(c)
    const node = c.node(masternodes[1]!)
    // An Accept nobody finalizes, a Reject, and an Accept of a transaction it does not know
    // (adopted from an old backup of its own).
    await deliver(c, node, WALLET, { type: 'TransactionBroadcast', tx: pay.tx })
    await deliver(c, node, WALLET, { type: 'TransactionBroadcast', tx: rival.tx })
    const unknown = sha256(utf8ToBytes('accepted, then forgotten')) as Txid
    await deliver(c, node, ids[0]!, {
      type: 'InstantFinalityVote',
      batch: batch(1, [{ kind: 'txAccept', txid: unknown }], 50, 0),
    })
    await c.run()
    expect(node.engine.decisionOf(rival.txid)?.kind).toBe('reject')
    expect(node.engine.decisionOf(unknown)?.kind).toBe('accept')
    // Height 2 opens, every member seals and reports; no proposal gets through yet.
    proposals = true
    const start = c.sent.length
    await c.fireTimers((t) => t === 'chain:start')
    await c.run()
    expect(node.engine.tip?.height).toBe(1)
    const reports = c.sent
      .slice(start)
      .filter((m) => m.type === 'LockReport' && bytesToHex(m.report.voterKey) === node.engine.id)
    expect(reports.length).toBeGreaterThan(0)
    for (const r of reports) {
      if (r.type !== 'LockReport') continue
      expect(r.report.txids).toEqual([pay.txid])
      expect(r.txs).toEqual([pay.tx])
    }
    expect(node.engine.stateSizes()['epochs.sealed']).toBe(1)
    // Sealed: a new payment gets no Accept of this epoch — it waits for the next one.
    const later = spend([coin(1)], [{ to: carol, value: 9n * COIN }])
    const sent = await deliver(c, node, WALLET, { type: 'TransactionBroadcast', tx: later.tx })
    expect(node.engine.decisionOf(later.txid)).toBeUndefined()
    expect(sent.filter((s) => s.message.type === 'InstantFinalityVote')).toEqual([])
    expect(node.engine.stateSizes()['epochs.held']).toBe(1)
    // The block goes through; in epoch 1 the held payment is decided, the carried one again.
    proposals = false
    for (let i = 0; i < 10 && node.engine.tip?.height !== 2; i++) {
      await c.fireTimers((t) => t.startsWith('chain:'))
      await c.run()
    }
    expect(node.engine.committee.epoch).toBe(1)
    expect(node.engine.decisionOf(later.txid)).toEqual({
      kind: 'accept',
      txid: later.txid,
      epoch: 1,
    })
    expect(node.engine.decisionOf(pay.txid)).toEqual({ kind: 'accept', txid: pay.txid, epoch: 1 })
  })
})

describe('deciding anew in a new epoch', () => {
  it('a Reject of the epoch before is decided again when asked, in a batch of the new epoch', async () => {
    const c = await cluster(votesOn(new Set([hex(pay.txid)])))
    await changing(c)
    const node = c.node(masternodes[1]!)
    await deliver(c, node, WALLET, { type: 'TransactionBroadcast', tx: pay.tx })
    await deliver(c, node, WALLET, { type: 'TransactionBroadcast', tx: rival.tx })
    await c.run()
    await nextBlock(c)
    expect(node.engine.committee.epoch).toBe(1)
    // The carried payment was accepted again; the Reject stays as it was, of epoch 0.
    expect(node.engine.decisionOf(pay.txid)?.epoch).toBe(1)
    expect(node.engine.decisionOf(rival.txid)?.epoch).toBe(0)
    const sent = await deliver(c, node, WALLET, { type: 'InstantFinalityRequest', tx: rival.tx })
    const reject: Decision = {
      kind: 'reject',
      txid: rival.txid,
      epoch: 1,
      conflictingTxid: pay.txid,
    }
    expect(node.engine.decisionOf(rival.txid)).toEqual(reject)
    const votes = sent.flatMap((s) => (s.message.type === 'InstantFinalityVote' ? [s] : []))
    expect(votes.map((v) => v.to)).toContain(WALLET)
    for (const v of votes) {
      if (v.message.type !== 'InstantFinalityVote') continue
      expect(v.message.batch.header.epoch).toBe(1)
      expect(v.message.batch.leaves).toEqual([
        { kind: 'txReject', txid: rival.txid, conflictingTxid: pay.txid },
      ])
    }
  })

  it('a Reject of the epoch before that becomes an Accept no longer counts toward the Reject bound', async () => {
    const c = await cluster()
    await epochOne(c)
    const node = c.node(masternodes[1]!)
    // Its own epoch-0 batch from an older backup: it rejected the payment then (adopted).
    const old = batch(
      1,
      [{ kind: 'txReject', txid: pay.txid, conflictingTxid: rival.txid }],
      500,
      0,
    )
    await deliver(c, node, ids[0]!, { type: 'InstantFinalityVote', batch: old })
    expect(node.engine.decisionOf(pay.txid)).toMatchObject({ kind: 'reject', epoch: 0 })
    expect(node.engine.stateSizes()['voting.rejects']).toBe(1)
    // In epoch 1 nothing holds its input: it is accepted, and the Reject is gone from the bound.
    await deliver(c, node, WALLET, { type: 'TransactionBroadcast', tx: pay.tx })
    expect(node.engine.decisionOf(pay.txid)).toEqual({ kind: 'accept', txid: pay.txid, epoch: 1 })
    expect(node.engine.stateSizes()).toMatchObject({ 'voting.rejects': 0, 'voting.decisions': 1 })
  })
})

describe('re-announcing after a restart', () => {
  it('a pending decision of this epoch is signed again in a new batch', async () => {
    const c = await cluster(votesOn(new Set([hex(pay.txid)])))
    const node = c.node(masternodes[1]!)
    const first = await deliver(c, node, WALLET, { type: 'TransactionBroadcast', tx: pay.tx })
    const seq = first.flatMap((s) =>
      s.message.type === 'InstantFinalityVote' ? [s.message.batch.header.seq] : [],
    )[0]!
    c.crash(masternodes[1]!)
    const start = c.queue.length
    const restarted = await c.restart(masternodes[1]!)
    await settled(restarted)
    const [again, ...more] = batchesFrom(c, restarted, start)
    expect(more).toEqual([])
    expect(again!.leaves).toEqual([{ kind: 'txAccept', txid: pay.txid }])
    expect(again!.header).toMatchObject({ epoch: 0, seq: seq + 1 })
  })

  it('one of the epoch before (its re-decision lost in the crash) is decided anew instead', async () => {
    const c = await cluster(votesOn(new Set([hex(pay.txid)])))
    await epochOne(c)
    const node = c.node(masternodes[1]!)
    await deliver(c, node, WALLET, { type: 'TransactionBroadcast', tx: pay.tx })
    expect(node.engine.decisionOf(pay.txid)?.epoch).toBe(1)
    // What a crash before the epoch-1 decision became durable leaves: the epoch-0 record.
    await node.store.write([decisionOp({ kind: 'accept', txid: pay.txid, epoch: 0 })])
    c.crash(masternodes[1]!)
    const start = c.queue.length
    const restarted = await c.restart(masternodes[1]!)
    await settled(restarted)
    expect(restarted.engine.decisionOf(pay.txid)).toEqual({
      kind: 'accept',
      txid: pay.txid,
      epoch: 1,
    })
    const [again, ...more] = batchesFrom(c, restarted, start).filter((b) =>
      b.leaves.some((l) => l.kind === 'txAccept'),
    )
    expect(more).toEqual([])
    expect(again!.header.epoch).toBe(1)
    expect(again!.leaves).toEqual([{ kind: 'txAccept', txid: pay.txid }])
  })
})

describe('what blocks and epochs settle', () => {
  it('a block settles the decisions on what it spent, for the transaction or against it', async () => {
    const c = await cluster()
    const node = c.node(masternodes[1]!)
    // A Reject of a two-input spend: one input goes to the final payment, the other stays free.
    const wide = spend([coin(0), coin(1)], [{ to: alice, value: 19n * COIN }])
    await c.submit(masternodes[1]!, pay.tx)
    await c.run()
    await deliver(c, node, WALLET, { type: 'TransactionBroadcast', tx: wide.tx })
    await c.run()
    expect(node.engine.decisionOf(wide.txid)?.kind).toBe('reject')
    // A payment that waits for its votes keeps its decision across the block.
    const waiting = spend([coin(2)], [{ to: carol, value: 9n * COIN }])
    c.queue.length = 0
    await deliver(c, node, WALLET, { type: 'TransactionBroadcast', tx: waiting.tx })
    c.queue.length = 0
    // A sweep keeps every transaction it holds a decision on (the block below needs `wide`).
    await c.fireTimers((t) => t === 'expire')
    c.queue.length = 0
    expect(node.engine.stateSizes()['voting.ownBatches']).toBe(2)
    await nextBlock(c)
    expect(node.engine.tip?.height).toBe(1)
    expect(node.engine.decisionOf(pay.txid)).toBeUndefined()
    expect(node.engine.decisionOf(wide.txid)).toBeUndefined()
    expect(node.engine.decisionOf(waiting.txid)?.kind).toBe('accept')
    expect(node.engine.stateSizes()).toMatchObject({
      'voting.rejects': 0,
      'voting.decisions': 1,
      'voting.ownBatches': 1,
    })
    // Confirmed now: a wallet sending it gets the block as the proof; a member relaying it gets
    // nothing, one asking gets the block too; a late rival is not decided at all.
    const proof = (sent: readonly { to: PeerId; message: Message }[]) =>
      sent.map(({ to, message: m }) => [to, m.type === 'BlockCommit' && m.block.header.height])
    expect(
      proof(await deliver(c, node, WALLET, { type: 'TransactionBroadcast', tx: pay.tx })),
    ).toEqual([[WALLET, 1]])
    expect(await deliver(c, node, ids[2]!, { type: 'TransactionBroadcast', tx: pay.tx })).toEqual(
      [],
    )
    expect(
      proof(await deliver(c, node, ids[2]!, { type: 'InstantFinalityRequest', tx: pay.tx })),
    ).toEqual([[ids[2], 1]])
    expect(await deliver(c, node, WALLET, { type: 'TransactionBroadcast', tx: rival.tx })).toEqual(
      [],
    )
    expect(node.engine.decisionOf(rival.txid)).toBeUndefined()
  })

  it('a decision whose transaction never comes goes two epochs later; old tallies and votes go', async () => {
    const c = await cluster()
    const node = c.node(masternodes[1]!)
    // An orphan it knows, and a txid it never saw: both decided Accept in an old backup of ours.
    const parent = spend([coin(2)], [{ to: carol, value: 9n * COIN }])
    const orphan = spend(
      [{ outpoint: { txid: parent.txid, vout: 0 }, value: 9n * COIN, owner: carol }],
      [{ to: alice, value: 8n * COIN }],
    )
    const unknown = sha256(utf8ToBytes('never arrives')) as Txid
    await deliver(c, node, WALLET, { type: 'TransactionBroadcast', tx: orphan.tx })
    await deliver(c, node, ids[0]!, {
      type: 'InstantFinalityVote',
      batch: batch(
        1,
        [
          { kind: 'txAccept', txid: unknown },
          { kind: 'txAccept', txid: orphan.txid },
        ],
        60,
        0,
      ),
    })
    c.queue.length = 0
    const held = () => [unknown, orphan.txid].map((t) => node.engine.decisionOf(t)?.epoch)
    expect(node.engine.stateSizes()['finality.tallies']).toBe(1)
    await changing(c)
    expect(held()).toEqual([0, 0])
    await nextBlock(c)
    expect(node.engine.committee.epoch).toBe(1)
    expect(node.engine.stateSizes()['finality.tallies']).toBe(2)
    expect(held()).toEqual([0, 0])
    // An epoch-0 certificate still counts in epoch 1.
    const early = spend([coin(1)], [{ to: carol, value: 9n * COIN }])
    await deliver(c, node, ids[0]!, {
      type: 'FinalityCertificate',
      tx: early.tx,
      certificate: certificate(early.txid, 0, [0, 2, 3]),
    })
    expect(node.finalized.has(hex(early.txid))).toBe(true)
    // The joined member leaves again: block 3 confirms it, block 4 makes epoch 2.
    await c.submit(masternodes[0]!, leaving.tx)
    await c.run()
    await nextBlock(c)
    expect(held()).toEqual([0, 0])
    await nextBlock(c)
    expect(node.engine.committee.epoch).toBe(2)
    expect(node.engine.committee.members.length).toBe(4)
    expect(held()).toEqual([undefined, undefined])
    expect(node.engine.stateSizes()['finality.tallies']).toBe(2)
    // Votes and certificates of epoch 0 count nowhere now: ignored, their senders unblamed.
    const late = spend([coin(2)], [{ to: alice, value: 9n * COIN }])
    await deliver(c, node, ids[2]!, {
      type: 'InstantFinalityVote',
      batch: batch(2, [{ kind: 'txAccept', txid: late.txid }], 70, 0),
    })
    await deliver(c, node, ids[0]!, {
      type: 'FinalityCertificate',
      tx: late.tx,
      certificate: certificate(late.txid, 0, [0, 2, 3]),
    })
    // So is one a proposal carries (for a height not open here: the block itself costs nothing).
    const tip = node.engine.tip!
    const block = emptyBlock(
      node.engine.committee,
      masternodes[0]!.publicKey,
      tip.height + 5,
      0,
      tip.hash,
      {
        timestamp: 1,
      },
    )
    const proposal = signProposal(
      { ...block, transactions: [late.tx] },
      0,
      -1,
      [certificate(late.txid, 0, [0, 2, 3])],
      masternodes[0]!,
      GENESIS_HASH,
    )
    await deliver(c, node, ids[0]!, { type: 'BlockProposal', proposal })
    expect(node.engine.acceptWeight(late.txid)).toBe(0)
    expect(node.finalized.has(hex(late.txid))).toBe(false)
    expect(node.penalties).toEqual([])
    expect(node.alarms).toEqual([])
  })

  it('votes of the next epoch wait for it, votes of the one after are dropped', async () => {
    const c = await cluster()
    await changing(c)
    const node = c.node(masternodes[1]!)
    const early = sha256(utf8ToBytes('voted on in epoch 1')) as Txid
    const tooEarly = sha256(utf8ToBytes('voted on in epoch 2')) as Txid
    await deliver(c, node, ids[2]!, {
      type: 'InstantFinalityVote',
      batch: batch(2, [{ kind: 'txAccept', txid: tooEarly }], 80, 2),
    })
    expect(node.engine.stateSizes()['finality.nextEpoch']).toBe(0)
    await deliver(c, node, ids[2]!, {
      type: 'InstantFinalityVote',
      batch: batch(2, [{ kind: 'txAccept', txid: early }], 81, 1),
    })
    expect(node.engine.stateSizes()['finality.nextEpoch']).toBe(1)
    expect(node.engine.acceptWeight(early)).toBe(0)
    c.queue.length = 0
    await nextBlock(c)
    expect(node.engine.committee.epoch).toBe(1)
    expect(node.engine.stateSizes()['finality.nextEpoch']).toBe(0)
    expect(node.engine.acceptWeight(early)).toBe(10)
    expect(node.engine.acceptWeight(tooEarly)).toBe(0)
    expect(node.penalties).toEqual([])
  })
})
