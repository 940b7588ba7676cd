// Bounded state and no amplification (docs/ARCHITECTURE.md §2.3): made-up parents cost a node
// almost no requests, orphans are bounded per peer and in all and cost a peer whose parents
// never appear, early and next-epoch vote batches are kept only from members and bounded, and
// what a block settles — decisions, block votes, spent outputs — leaves memory and the store,
// also across a restart.
import { describe, expect, it } from 'vitest'
import {
  Bucket,
  bucketKey,
  COIN,
  Committee,
  DEFAULT_LIMITS,
  decisionOp,
  type EngineLimits,
  type Message,
  MIN_FEE,
  type PeerId,
  ProposerSchedule,
  sha256,
  signVoteBatch,
  type Txid,
  utf8ToBytes,
  type VoteLeaf,
} from '../../src/core/index.ts'
import { Cluster, type ClusterNode } from '../support/engine-driver.ts'
import { engineFixture, TEST_CHAIN } from '../support/engine-fixture.ts'
import { type Coin, GENESIS_HASH, keyPair, spend } from '../support/ledger-fixture.ts'

const alice = keyPair(0)
const bob = keyPair(1)
const carol = keyPair(2)
const { masternodes, committee, genesis, coin } = engineFixture('bounded state genesis', 200, [
  alice,
  alice,
  alice,
  bob,
])
const WALLET: PeerId = 'wallet'
const chain = TEST_CHAIN

function cluster(opts: { limits?: Partial<EngineLimits>; chain?: typeof chain } = {}) {
  return Cluster.create({
    genesisHash: GENESIS_HASH,
    committee,
    keys: masternodes,
    genesis,
    ...(opts.limits ? { limits: opts.limits } : {}),
    ...(opts.chain ? { chain: opts.chain } : {}),
  })
}

/** Coins of transactions that do not exist: `count` distinct made-up parents. */
function madeUp(label: string, count: number): Coin[] {
  return Array.from({ length: count }, (_, i) => ({
    outpoint: { txid: sha256(utf8ToBytes(`${label} ${i}`)) as Txid, vout: 0 },
    value: COIN,
    owner: alice,
  }))
}

/** Delivers `message` from `from` to `node` and waits until it is handled. */
async function deliver(node: ClusterNode, from: PeerId, message: Message): Promise<void> {
  node.runtime.deliver(from, message)
  await node.runtime.idle()
}

/** The transaction requests queued (not yet delivered), by recipient. */
function requestsIn(c: Cluster): PeerId[] {
  return c.queue.filter((q) => q.message.type === 'TransactionRequest').map((q) => q.to)
}

function codes(node: ClusterNode): string[] {
  return node.penalties.map((p) => p.code)
}

/** The store's keys in one bucket. */
async function keysIn(node: ClusterNode, bucket: number): Promise<number> {
  let n = 0
  for await (const _ of node.store.iterate({ prefix: Uint8Array.of(bucket) })) n++
  return n
}

describe('no amplification from made-up parents', () => {
  it('a transaction naming 300 made-up parents is not kept and makes no request', async () => {
    const c = await cluster()
    const node = c.node(masternodes[0]!)
    const tx = spend(madeUp('fake parent', 300), [{ to: bob, value: 100n * COIN }]).tx
    await deliver(node, WALLET, { type: 'TransactionBroadcast', tx })
    expect(requestsIn(c)).toEqual([])
    expect(node.engine.stateSizes()['orphans.txs']).toBe(0)
    // Asked again and again, it still costs nothing.
    for (let i = 0; i < 5; i++) await deliver(node, WALLET, { type: 'InstantFinalityRequest', tx })
    expect(requestsIn(c)).toEqual([])
  })

  it('missing parents are asked of the sender first, then of one member at a time with backoff, until the orphan expires', async () => {
    const c = await cluster()
    const node = c.node(masternodes[0]!)
    const parents = DEFAULT_LIMITS.maxMissingParents
    const tx = spend(madeUp('missing parent', parents), [
      { to: bob, value: BigInt(parents) * COIN - MIN_FEE },
    ]).tx
    await deliver(node, WALLET, { type: 'TransactionBroadcast', tx })
    // One request per parent, to the sender alone.
    expect(requestsIn(c)).toEqual(Array(parents).fill(WALLET))
    c.queue.length = 0
    const start = c.now
    let total = parents
    let rounds = 0
    // Fire the orphan timer every second until the orphan is long expired.
    for (let t = 1_000; t <= DEFAULT_LIMITS.orphanTtlMs + 1_000; t += 1_000) {
      c.now = start + t
      await c.fireTimers((id) => id === 'orphans')
      const asked = requestsIn(c)
      c.queue.length = 0
      if (asked.length === 0) continue
      rounds++
      // Each round asks one member per parent (never everyone, never this node).
      expect(asked.length).toBeLessThanOrEqual(parents)
      expect(asked).not.toContain(node.engine.id)
      total += asked.length
    }
    // Backoff: 1, 2, 4, … up to 60 s between asks — a dozen or so rounds in ten minutes.
    expect(rounds).toBeLessThanOrEqual(16)
    expect(total).toBeLessThanOrEqual(parents * 17)
    expect(node.engine.stateSizes()['orphans.txs']).toBe(0)
    expect(codes(node)).toEqual(['PEER_ORPHAN_PARENTS_MISSING'])
    expect(node.penalties[0]?.peer).toBe(WALLET)
  })

  it('a flood of orphans from one peer is bounded per peer and in all, and costs the peer', async () => {
    const perPeer = 8
    const c = await cluster({ limits: { maxOrphansPerPeer: perPeer, maxOrphans: 12 } })
    const node = c.node(masternodes[1]!)
    for (let i = 0; i < 20; i++) {
      const tx = spend(madeUp(`flood ${i}`, 1), [{ to: bob, value: COIN - MIN_FEE }]).tx
      await deliver(node, WALLET, { type: 'TransactionBroadcast', tx })
    }
    const sizes = node.engine.stateSizes()
    expect(sizes['orphans.txs']).toBe(perPeer)
    expect(codes(node)).toEqual(Array(20 - perPeer).fill('PEER_ORPHANS_LIMIT'))
    // Only the kept orphans' parents were asked for, of the sender.
    expect(requestsIn(c)).toEqual(Array(perPeer).fill(WALLET))
    // Other peers fill the pool up to its total bound; the oldest make room.
    for (let i = 0; i < 10; i++) {
      const tx = spend(madeUp(`crowd ${i}`, 1), [{ to: bob, value: COIN - MIN_FEE }]).tx
      await deliver(node, `peer ${i}`, { type: 'TransactionBroadcast', tx })
    }
    expect(node.engine.stateSizes()['orphans.txs']).toBe(12)
    // Past the deadline every orphan is dropped; each sender whose parents never came pays.
    c.now += DEFAULT_LIMITS.orphanTtlMs + 1
    await c.fireTimers((id) => id === 'orphans')
    expect(node.engine.stateSizes()['orphans.txs']).toBe(0)
    const missing = node.penalties.filter((p) => p.code === 'PEER_ORPHAN_PARENTS_MISSING')
    expect(missing.length).toBe(12)
  })

  it('an orphan whose parent arrives is decided, and its sender pays nothing', async () => {
    const c = await cluster()
    const node = c.node(masternodes[2]!)
    const parent = spend([coin(1)], [{ to: bob, value: 9n * COIN }])
    const child = spend(
      [{ outpoint: { txid: parent.txid, vout: 0 }, value: 9n * COIN, owner: bob }],
      [{ to: carol, value: 8n * COIN }],
    )
    await deliver(node, WALLET, { type: 'TransactionBroadcast', tx: child.tx })
    expect(node.engine.stateSizes()['orphans.txs']).toBe(1)
    await c.submit(masternodes[0]!, parent.tx)
    await c.run()
    expect(node.engine.stateSizes()['orphans.txs']).toBe(0)
    expect(node.engine.decisionOf(child.txid)?.kind).toBe('accept')
    c.now += DEFAULT_LIMITS.orphanTtlMs + 1
    await c.fireTimers((id) => id === 'orphans')
    expect(node.penalties).toEqual([])
  })
})

describe('vote batches kept for later come only from members, bounded', () => {
  const txVote = (i: number): VoteLeaf[] => [
    { kind: 'txAccept', txid: sha256(utf8ToBytes(`vote ${i}`)) as Txid },
  ]

  it('batches for the next epoch from a non-member are dropped; a member keeps its latest few', async () => {
    const c = await cluster()
    const node = c.node(masternodes[0]!)
    const outsider = keyPair(999)
    for (let i = 0; i < 20; i++) {
      const batch = signVoteBatch(
        txVote(i),
        { epoch: 1, seq: i + 1, timestamp: 0 },
        outsider,
        GENESIS_HASH,
      )
      await deliver(node, 'outsider', { type: 'InstantFinalityVote', batch })
    }
    expect(node.engine.stateSizes()['finality.nextEpoch']).toBe(0)
    for (let i = 0; i < 40; i++) {
      const batch = signVoteBatch(
        txVote(i),
        { epoch: 1, seq: i + 1, timestamp: 0 },
        masternodes[1]!,
        GENESIS_HASH,
      )
      await deliver(node, bytesOf(masternodes[1]!), { type: 'InstantFinalityVote', batch })
    }
    const sizes = node.engine.stateSizes()
    expect(sizes['finality.nextEpoch']).toBe(DEFAULT_LIMITS.maxNextEpochBatchesPerMember)
    expect(sizes['finality.nextEpochBytes']).toBeLessThanOrEqual(DEFAULT_LIMITS.maxNextEpochBytes)
  })

  it('block votes for a height not open yet are buffered per member, and only a few heights ahead', async () => {
    const c = await cluster({ chain })
    const node = c.node(masternodes[0]!)
    const prevote = (height: number, attempt: number): VoteLeaf[] => [
      { kind: 'prevote', height, attempt, blockHash: new Uint8Array(32) },
    ]
    // Height 2 opens after block 1: its votes wait, 16 per member at most.
    for (let i = 0; i < 40; i++) {
      const batch = signVoteBatch(
        prevote(2, i),
        { epoch: 0, seq: i + 1, timestamp: 0 },
        masternodes[1]!,
        GENESIS_HASH,
      )
      await deliver(node, bytesOf(masternodes[1]!), { type: 'InstantFinalityVote', batch })
    }
    expect(node.engine.stateSizes()['chain.early']).toBe(DEFAULT_LIMITS.maxEarlyBatchesPerVoter)
    // Votes far ahead are not kept (the node fetches blocks instead), nor any from a non-member.
    const far = signVoteBatch(
      prevote(50, 0),
      { epoch: 0, seq: 100, timestamp: 0 },
      masternodes[2]!,
      GENESIS_HASH,
    )
    await deliver(node, bytesOf(masternodes[2]!), { type: 'InstantFinalityVote', batch: far })
    const outsider = signVoteBatch(
      prevote(2, 0),
      { epoch: 0, seq: 1, timestamp: 0 },
      keyPair(999),
      GENESIS_HASH,
    )
    await deliver(node, 'outsider', { type: 'InstantFinalityVote', batch: outsider })
    expect(node.engine.stateSizes()['chain.early']).toBe(DEFAULT_LIMITS.maxEarlyBatchesPerVoter)
  })
})

describe('what a block settles leaves memory and the store', () => {
  it('decisions, block votes, certificates and, after the depth, spent outputs are pruned', async () => {
    const c = await cluster({ chain, limits: { spentOutputDepth: 2 } })
    const pay = spend([coin(0)], [{ to: carol, value: 9n * COIN }])
    await c.submit(masternodes[0]!, pay.tx)
    await c.run()
    await c.fireTimers((t) => t === 'chain:start')
    await c.run()
    for (const node of c.nodes.values()) {
      expect(node.engine.tip?.height).toBe(1)
      expect(node.engine.decisionOf(pay.txid)).toBeUndefined()
      const sizes = node.engine.stateSizes()
      expect(sizes['known.txs']).toBe(0)
      expect(sizes['voting.decisions']).toBe(0)
      expect(sizes['finality.tallyTxs']).toBe(0)
      expect(sizes['ledger.mempool']).toBe(0)
      expect(sizes['ledger.certificates']).toBe(0)
      expect(sizes['finality.certificates']).toBe(0)
      // The spent output still names its spender, for a late conflicting spend.
      expect(node.engine.ledger.utxos.get(coin(0).outpoint)?.state.kind).toBe('Confirmed')
      await node.runtime.idle()
      expect(await keysIn(node, Bucket.decision)).toBe(0)
      expect(await keysIn(node, Bucket.blockVote)).toBe(0)
      expect(await keysIn(node, Bucket.mempool)).toBe(0)
      expect(await keysIn(node, Bucket.certificate)).toBe(0)
    }
    for (let h = 2; h <= 3; h++) {
      await c.fireTimers((t) => t === 'chain:start')
      await c.run()
    }
    for (const node of c.nodes.values()) {
      expect(node.engine.tip?.height).toBe(3)
      await node.runtime.idle()
      expect(node.engine.ledger.utxos.get(coin(0).outpoint)).toBeUndefined()
      expect(node.engine.stateSizes()['ledger.spent']).toBe(0)
      expect(await node.store.get(bucketKey(Bucket.utxo, ...outpointKey(coin(0))))).toBeUndefined()
      expect(await keysIn(node, Bucket.blockVote)).toBe(0)
    }
  })

  it('a restart loads only live state: leftovers of a lost prune are deleted on open', async () => {
    const c = await cluster({ chain })
    const pay = spend([coin(1)], [{ to: carol, value: 9n * COIN }])
    await c.submit(masternodes[0]!, pay.tx)
    await c.run()
    await c.fireTimers((t) => t === 'chain:start')
    await c.run()
    const node = c.node(masternodes[1]!)
    await node.runtime.idle()
    // What a crash between the commit and its prune write leaves: the decision on the confirmed
    // payment and a block vote at the committed height.
    const staleVote = bucketKey(Bucket.blockVote, Uint8Array.of(0, 0, 0, 1, 0, 0, 0, 7, 0))
    await node.store.write([
      decisionOp({ kind: 'accept', txid: pay.txid, epoch: 0 }),
      { type: 'put', key: staleVote, value: new Uint8Array(32) },
    ])
    c.crash(masternodes[1]!)
    const restarted = await c.restart(masternodes[1]!)
    expect(restarted.engine.decisionOf(pay.txid)).toBeUndefined()
    expect(restarted.engine.stateSizes()['voting.decisions']).toBe(0)
    expect(await keysIn(restarted, Bucket.decision)).toBe(0)
    expect(await restarted.store.get(staleVote)).toBeUndefined()
    // And it goes on committing.
    await c.fireTimers((t) => t === 'chain:start')
    await c.run()
    expect(restarted.engine.tip?.height).toBe(2)
  })

  it('past their bound no new Reject is made (none is ever forgotten to make room)', async () => {
    const c = await cluster({ limits: { maxRejectDecisions: 2 } })
    const node = c.node(masternodes[3]!)
    const first = spend([coin(2)], [{ to: bob, value: 9n * COIN }])
    await c.submit(masternodes[3]!, first.tx)
    const losers = [1, 2, 3].map((i) => spend([coin(2)], [{ to: carol, value: BigInt(i) * COIN }]))
    for (const l of losers) await c.submit(masternodes[3]!, l.tx)
    await c.run()
    expect(node.engine.decisionOf(losers[0]!.txid)?.kind).toBe('reject')
    expect(node.engine.decisionOf(losers[1]!.txid)?.kind).toBe('reject')
    expect(node.engine.decisionOf(losers[2]!.txid)).toBeUndefined()
    expect(node.engine.stateSizes()['voting.rejects']).toBe(2)
    await node.runtime.idle()
    expect(await keysIn(node, Bucket.decision)).toBe(3)
    // The bound is on Rejects only: an Accept is still made.
    const fresh = spend([coin(3)], [{ to: carol, value: 9n * COIN }])
    await c.submit(masternodes[3]!, fresh.tx)
    expect(node.engine.decisionOf(fresh.txid)?.kind).toBe('accept')
  })
})

describe('the proposer schedule', () => {
  it('forgets the leaders of committed heights and still names them the same', () => {
    const weighted = new Committee(
      0,
      masternodes.map((k, i) => ({ key: k.publicKey, weight: 10 * (i + 1) })),
    )
    const cached = new ProposerSchedule(weighted, 1)
    const leaders = Array.from({ length: 200 }, (_, h) => cached.proposer(h + 1, 0))
    const pruned = new ProposerSchedule(weighted, 1)
    for (let h = 1; h <= 200; h++) {
      expect(pruned.proposer(h, 0)).toEqual(leaders[h - 1])
      pruned.forgetBefore(h + 1)
      expect(pruned.cached).toBeLessThanOrEqual(1)
    }
    for (let h = 1; h <= 200; h += 37) expect(pruned.proposer(h, 0)).toEqual(leaders[h - 1])
    expect(pruned.proposer(150, 3)).toEqual(cached.proposer(150, 3))
  })
})

function bytesOf(key: { publicKey: Uint8Array }): PeerId {
  return Array.from(key.publicKey, (b) => b.toString(16).padStart(2, '0')).join('')
}

function outpointKey(c: Coin): Uint8Array[] {
  const vout = new Uint8Array(4)
  new DataView(vout.buffer).setUint32(0, c.outpoint.vout, false)
  return [c.outpoint.txid, vout]
}
