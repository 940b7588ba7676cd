// One member's decisions and votes, message by message (docs/ARCHITECTURE.md §3.1–§3.3): what it
// sends back to a wallet or a member for each transaction, which decision it stores, and what it
// does with vote batches, certificates and its own old batches. engine.test.ts runs whole
// payments through a cluster; here every message the member sends is checked.
import { describe, expect, it } from 'vitest'
import {
  bytesToHex,
  COIN,
  Committee,
  type ConsensusRules,
  certificateEntry,
  type Message,
  NO_CONFLICT,
  SAFE_RULES,
  sha256,
  signVoteBatch,
  type Txid,
  utf8ToBytes,
  type VoteLeaf,
} from '../../src/core/index.ts'
import { Cluster, type ClusterNode } from '../support/engine-driver.ts'
import { engineFixture } from '../support/engine-fixture.ts'
import { GENESIS_HASH, keyPair, spend } from '../support/ledger-fixture.ts'

const alice = keyPair(0)
const carol = keyPair(2)
const { masternodes, committee, genesis, coin } = engineFixture('voting genesis', 600, [
  alice,
  alice,
  alice,
])
const WALLET = 'a-wallet'
const ids = masternodes.map((k) => bytesToHex(k.publicKey))
const pay = spend([coin(0)], [{ to: carol, value: 9n * COIN }])
const rival = spend([coin(0)], [{ to: alice, value: 9n * COIN }])
const hex = (txid: Txid) => bytesToHex(txid)

async function setup(rules?: ConsensusRules) {
  const c = await Cluster.create({
    genesisHash: GENESIS_HASH,
    committee,
    keys: masternodes,
    genesis,
    ...(rules === undefined ? {} : { rules }),
  })
  const node = c.node(masternodes[1]!)
  c.queue.length = 0
  return { c, node, self: ids[1]! }
}

interface Sent {
  readonly to: string
  readonly message: Message
}

/** Waits until no write or verification of `node` is in flight (one may start another). */
async function settled(node: ClusterNode) {
  do {
    await node.runtime.idle()
    await new Promise((resolve) => setTimeout(resolve, 0))
  } while (node.runtime.pending > 0)
}

/** Delivers `message` from `from` to `node` alone; returns what the node sent meanwhile, in order. */
async function deliver(c: Cluster, node: ClusterNode, from: string, message: Message) {
  const start = c.queue.length
  node.runtime.deliver(from, message)
  await settled(node)
  const self = node.engine.id
  return c.queue
    .slice(start)
    .filter((q) => q.from === self)
    .map((q): Sent => ({ to: q.to, message: q.message }))
}

const kinds = (sent: readonly Sent[], to: string) =>
  sent.filter((s) => s.to === to).map((s) => s.message.type)
const batchOf = (sent: readonly Sent[]) => {
  const votes = sent.filter((s) => s.message.type === 'InstantFinalityVote')
  const m = votes[0]?.message
  return m?.type === 'InstantFinalityVote' ? m.batch : undefined
}

function batch(member: number, leaves: readonly VoteLeaf[], seq = 1, epoch = 0) {
  return signVoteBatch(
    leaves,
    { epoch, seq, timestamp: 1 },
    masternodes[member]!.secretKey,
    GENESIS_HASH,
  )
}

describe('a member deciding a transaction', () => {
  it('from a wallet: Accept, lock, forward to the other members, vote to all and the wallet', async () => {
    const { c, node, self } = await setup()
    const sent = await deliver(c, node, WALLET, { type: 'TransactionBroadcast', tx: pay.tx })
    expect(node.engine.decisionOf(pay.txid)).toEqual({ kind: 'accept', txid: pay.txid, epoch: 0 })
    for (const m of [0, 2, 3]) {
      expect(kinds(sent, ids[m]!)).toEqual(['TransactionBroadcast', 'InstantFinalityVote'])
    }
    // Its own copy is counted through the loopback queue, not sent; the wallet waits for votes.
    expect(kinds(sent, self)).toEqual([])
    expect(kinds(sent, WALLET)).toEqual(['InstantFinalityVote'])
    const b = batchOf(sent)!
    expect(b.leaves).toEqual([{ kind: 'txAccept', txid: pay.txid }])
    expect(b.header).toMatchObject({ epoch: 0, seq: 1, voterKey: masternodes[1]!.publicKey })
  })

  it('from a member: decided and voted, but neither forwarded nor sent back as a proof', async () => {
    const { c, node, self } = await setup()
    const sent = await deliver(c, node, ids[0]!, { type: 'TransactionBroadcast', tx: pay.tx })
    expect(node.engine.decisionOf(pay.txid)?.kind).toBe('accept')
    expect(sent.map((s) => s.message.type)).toEqual(Array(3).fill('InstantFinalityVote'))
    expect(new Set(sent.map((s) => s.to))).toEqual(new Set(ids.filter((i) => i !== self)))
  })

  it('submitted locally: forwarded to every other member, no wallet to answer', async () => {
    const { c, node, self } = await setup()
    const start = c.queue.length
    await node.runtime.submit(pay.tx)
    await settled(node)
    const sent = c.queue.slice(start).filter((q) => q.from === self)
    for (const m of [0, 2, 3]) {
      expect(sent.filter((s) => s.to === ids[m]).map((s) => s.message.type)).toEqual([
        'TransactionBroadcast',
        'InstantFinalityVote',
      ])
    }
    expect(sent.filter((s) => s.to === self)).toEqual([])
    expect(sent.length).toBe(6)
  })

  it('asked again, sends the same batch back; merely relayed again, nothing', async () => {
    const { c, node } = await setup()
    const first = batchOf(
      await deliver(c, node, WALLET, { type: 'TransactionBroadcast', tx: pay.tx }),
    )!
    expect(
      await deliver(c, node, 'another-wallet', { type: 'TransactionBroadcast', tx: pay.tx }),
    ).toEqual([])
    expect(await deliver(c, node, ids[2]!, { type: 'TransactionBroadcast', tx: pay.tx })).toEqual(
      [],
    )
    const again = await deliver(c, node, 'another-wallet', {
      type: 'InstantFinalityRequest',
      tx: pay.tx,
    })
    expect(again).toEqual([
      { to: 'another-wallet', message: { type: 'InstantFinalityVote', batch: first } },
    ])
    const member = await deliver(c, node, ids[3]!, { type: 'InstantFinalityRequest', tx: pay.tx })
    expect(member).toEqual([{ to: ids[3], message: { type: 'InstantFinalityVote', batch: first } }])
    // A wallet that relayed it is subscribed, so it gets the votes of the others.
    const vote = batch(2, [{ kind: 'txAccept', txid: pay.txid }])
    const relayed = await deliver(c, node, ids[2]!, { type: 'InstantFinalityVote', batch: vote })
    expect(new Set(relayed.map((s) => s.to))).toEqual(new Set([WALLET, 'another-wallet']))
    expect(relayed.every((s) => s.message.type === 'InstantFinalityVote')).toBe(true)
    // A vote a waiting wallet hands on goes to the other wallets, not back to it.
    const vote3 = batch(3, [{ kind: 'txReject', txid: pay.txid, conflictingTxid: rival.txid }])
    const handed = await deliver(c, node, WALLET, { type: 'InstantFinalityVote', batch: vote3 })
    expect(handed).toEqual([
      { to: 'another-wallet', message: { type: 'InstantFinalityVote', batch: vote3 } },
    ])
    // A vote on a transaction no wallet waits for goes to none.
    const elsewhere = batch(
      2,
      [{ kind: 'txReject', txid: rival.txid, conflictingTxid: pay.txid }],
      2,
    )
    expect(
      await deliver(c, node, ids[2]!, { type: 'InstantFinalityVote', batch: elsewhere }),
    ).toEqual([])
  })

  it('a double spend: Reject naming the holder, forwarded when it came from a wallet only', async () => {
    const { c, node } = await setup()
    await deliver(c, node, WALLET, { type: 'TransactionBroadcast', tx: pay.tx })
    const sent = await deliver(c, node, WALLET, { type: 'TransactionBroadcast', tx: rival.tx })
    expect(node.engine.decisionOf(rival.txid)).toEqual({
      kind: 'reject',
      txid: rival.txid,
      epoch: 0,
      conflictingTxid: pay.txid,
    })
    for (const m of [0, 2, 3]) {
      expect(kinds(sent, ids[m]!)).toEqual(['TransactionBroadcast', 'InstantFinalityVote'])
    }
    expect(batchOf(sent)!.leaves).toEqual([
      { kind: 'txReject', txid: rival.txid, conflictingTxid: pay.txid },
    ])
    const { c: c2, node: n2 } = await setup()
    await deliver(c2, n2, WALLET, { type: 'TransactionBroadcast', tx: pay.tx })
    const fromMember = await deliver(c2, n2, ids[0]!, {
      type: 'TransactionBroadcast',
      tx: rival.tx,
    })
    expect(fromMember.some((s) => s.message.type === 'TransactionBroadcast')).toBe(false)
    expect(n2.engine.decisionOf(rival.txid)?.kind).toBe('reject')
  })

  it("under the simulator's accept-conflicts rule: Accepts the double spend, locks and forwards nothing", async () => {
    // The deliberately broken rule the oracle must catch (test/sim): the member signs an Accept
    // for a spend of an output it holds locked for another transaction.
    const { c, node } = await setup({ ...SAFE_RULES, acceptConflicts: true })
    await deliver(c, node, WALLET, { type: 'TransactionBroadcast', tx: pay.tx })
    const sent = await deliver(c, node, WALLET, { type: 'TransactionBroadcast', tx: rival.tx })
    expect(node.engine.decisionOf(rival.txid)).toEqual({
      kind: 'accept',
      txid: rival.txid,
      epoch: 0,
    })
    expect(batchOf(sent)!.leaves).toEqual([{ kind: 'txAccept', txid: rival.txid }])
    expect(sent.some((s) => s.message.type === 'TransactionBroadcast')).toBe(false)
    // The output stays locked for the first spend; the write behind the vote held its decision.
    expect(node.engine.ledger.utxos.get(coin(0).outpoint)?.state).toMatchObject({ txid: pay.txid })
    expect(node.alarms).toEqual([])
  })

  it('an invalid transaction: Reject with no conflict, and its sender pays for it', async () => {
    const { c, node } = await setup()
    const greedy = spend([coin(1)], [{ to: carol, value: 10n * COIN }])
    const sent = await deliver(c, node, WALLET, { type: 'TransactionBroadcast', tx: greedy.tx })
    expect(node.engine.decisionOf(greedy.txid)).toEqual({
      kind: 'reject',
      txid: greedy.txid,
      epoch: 0,
      conflictingTxid: NO_CONFLICT,
    })
    expect(node.penalties.map((p) => p.code)).toEqual(['LEDGER_FEE_TOO_LOW'])
    expect(batchOf(sent)!.leaves).toEqual([
      { kind: 'txReject', txid: greedy.txid, conflictingTxid: NO_CONFLICT },
    ])
    // Submitted locally, it costs no one.
    const { node: n2 } = await setup()
    await n2.runtime.submit(greedy.tx)
    await settled(n2)
    expect(n2.engine.decisionOf(greedy.txid)?.kind).toBe('reject')
    expect(n2.penalties).toEqual([])
  })

  it('an unknown parent: no decision, the parent asked of the sender', async () => {
    const { c, node } = await setup()
    const parent = spend([coin(2)], [{ to: carol, value: 9n * COIN }])
    const child = spend(
      [{ outpoint: { txid: parent.txid, vout: 0 }, value: 9n * COIN, owner: carol }],
      [{ to: alice, value: 8n * COIN }],
    )
    const sent = await deliver(c, node, WALLET, { type: 'TransactionBroadcast', tx: child.tx })
    expect(node.engine.decisionOf(child.txid)).toBeUndefined()
    expect(sent).toEqual([
      { to: WALLET, message: { type: 'TransactionRequest', txid: parent.txid } },
    ])
  })
})

describe('a member meeting final transactions and certificates', () => {
  const accept: VoteLeaf = { kind: 'txAccept', txid: pay.txid }
  const certificate = (signers: readonly number[]) => ({
    txid: pay.txid,
    epoch: 0,
    entries: signers.map((i) => certificateEntry(batch(i, [accept]), 0)),
  })

  it('finalizes on a valid certificate and tells the waiting wallets', async () => {
    const { c, node } = await setup()
    await deliver(c, node, WALLET, { type: 'TransactionBroadcast', tx: pay.tx })
    const cert = certificate([0, 2, 3])
    const sent = await deliver(c, node, ids[0]!, {
      type: 'FinalityCertificate',
      tx: pay.tx,
      certificate: cert,
    })
    expect(node.finalized.has(hex(pay.txid))).toBe(true)
    expect(sent).toEqual([
      { to: WALLET, message: { type: 'FinalityCertificate', tx: pay.tx, certificate: cert } },
    ])
    // Final: a wallet sending it gets the certificate; a member relaying it gets nothing, one
    // asking for a vote gets the certificate.
    expect(
      await deliver(c, node, 'late-wallet', { type: 'TransactionBroadcast', tx: pay.tx }),
    ).toEqual([
      {
        to: 'late-wallet',
        message: { type: 'FinalityCertificate', tx: pay.tx, certificate: cert },
      },
    ])
    expect(await deliver(c, node, ids[2]!, { type: 'TransactionBroadcast', tx: pay.tx })).toEqual(
      [],
    )
    expect(await deliver(c, node, ids[2]!, { type: 'InstantFinalityRequest', tx: pay.tx })).toEqual(
      [{ to: ids[2], message: { type: 'FinalityCertificate', tx: pay.tx, certificate: cert } }],
    )
    // A second certificate changes nothing and costs nothing.
    expect(
      await deliver(c, node, ids[3]!, {
        type: 'FinalityCertificate',
        tx: pay.tx,
        certificate: certificate([1, 2, 3]),
      }),
    ).toEqual([])
    expect(node.penalties).toEqual([])
  })

  it('finalizes once the votes of others reach the quorum with its own', async () => {
    const { c, node } = await setup()
    await deliver(c, node, WALLET, { type: 'TransactionBroadcast', tx: pay.tx })
    await c.run() // its own batch comes back through the loopback; the others vote too
    expect(node.finalized.has(hex(pay.txid))).toBe(true)
    expect(node.alarms).toEqual([])
  })

  it('asks again while it is pending, with backoff: the members whose vote is missing, then everyone, until final', async () => {
    const { c, node } = await setup()
    await deliver(c, node, WALLET, { type: 'TransactionBroadcast', tx: pay.tx })
    const accept: VoteLeaf = { kind: 'txAccept', txid: pay.txid }
    await deliver(c, node, ids[2]!, { type: 'InstantFinalityVote', batch: batch(2, [accept]) })
    const start = c.now
    /** Fires the retry timer at `start + t`; the members asked for their votes, sorted. */
    const askedAt = async (t: number) => {
      c.now = start + t
      const from = c.queue.length
      await c.fireTimers((id) => id === 'retry')
      await settled(node)
      return c.queue
        .slice(from)
        .filter((q) => q.from === node.engine.id && q.message.type === 'InstantFinalityRequest')
        .map((q) => q.to)
        .sort()
    }
    const missing = [ids[0]!, ids[3]!].sort()
    const everyone = [ids[0]!, ids[2]!, ids[3]!].sort()
    expect(await askedAt(999)).toEqual([])
    expect(await askedAt(1_000)).toEqual(missing)
    expect(await askedAt(2_999)).toEqual([])
    // A member that voted may be final by now and answers with the certificate.
    expect(await askedAt(3_000)).toEqual(everyone)
    expect(await askedAt(6_999)).toEqual([])
    expect(await askedAt(7_000)).toEqual(everyone)
    await deliver(c, node, ids[0]!, { type: 'InstantFinalityVote', batch: batch(0, [accept]) })
    expect(node.finalized.has(hex(pay.txid))).toBe(true)
    expect(await askedAt(600_000)).toEqual([])
    expect(node.engine.stateSizes()['fetching.retries']).toBe(0)
  })

  it('submitted locally once final, it is neither decided nor sent anywhere', async () => {
    const { c, node } = await setup()
    await deliver(c, node, ids[0]!, {
      type: 'FinalityCertificate',
      tx: pay.tx,
      certificate: certificate([0, 2, 3]),
    })
    const start = c.queue.length
    await node.runtime.submit(pay.tx)
    await settled(node)
    expect(c.queue.slice(start)).toEqual([])
    expect(node.engine.decisionOf(pay.txid)).toBeUndefined()
  })

  it('a certificate for a conflicting spend of a final one raises the alarm', async () => {
    const { c, node } = await setup()
    await deliver(c, node, ids[0]!, {
      type: 'FinalityCertificate',
      tx: pay.tx,
      certificate: certificate([0, 2, 3]),
    })
    const rivalAccept: VoteLeaf = { kind: 'txAccept', txid: rival.txid }
    const rivalCert = {
      txid: rival.txid,
      epoch: 0,
      entries: [0, 2, 3].map((i) => certificateEntry(batch(i, [rivalAccept], 2), 0)),
    }
    await deliver(c, node, ids[0]!, {
      type: 'FinalityCertificate',
      tx: rival.tx,
      certificate: rivalCert,
    })
    expect(node.alarms.map((a) => a.split(':')[0])).toEqual(['LEDGER_DOUBLE_FINALITY'])
    expect(node.finalized.has(hex(rival.txid))).toBe(false)
  })

  it('keeps the votes on at most maxUnknownVoted unknown transactions, forgetting the oldest', async () => {
    const c = await Cluster.create({
      genesisHash: GENESIS_HASH,
      committee,
      keys: masternodes,
      genesis,
      limits: { maxUnknownVoted: 2 },
    })
    const node = c.node(masternodes[1]!)
    const unknown = [0, 1, 2].map((i) => sha256(utf8ToBytes(`unknown ${i}`)) as Txid)
    for (const [i, txid] of unknown.entries()) {
      await deliver(c, node, ids[2]!, {
        type: 'InstantFinalityVote',
        batch: batch(2, [{ kind: 'txAccept', txid }], i + 1),
      })
    }
    expect(unknown.map((t) => node.engine.acceptWeight(t))).toEqual([0, 10, 10])
    expect(node.engine.stateSizes()['finality.unknownVoted']).toBe(2)
    // A vote on one it knows is not counted against the bound.
    await deliver(c, node, WALLET, { type: 'TransactionBroadcast', tx: pay.tx })
    await deliver(c, node, ids[2]!, {
      type: 'InstantFinalityVote',
      batch: batch(2, [{ kind: 'txAccept', txid: pay.txid }], 9),
    })
    expect(unknown.map((t) => node.engine.acceptWeight(t))).toEqual([0, 10, 10])
  })

  it('a transaction that arrived after its votes keeps them when it is the oldest to make room', async () => {
    const c = await Cluster.create({
      genesisHash: GENESIS_HASH,
      committee,
      keys: masternodes,
      genesis,
      limits: { maxUnknownVoted: 2 },
    })
    const node = c.node(masternodes[1]!)
    const vote = (member: number, txid: Txid, seq: number) =>
      deliver(c, node, ids[member]!, {
        type: 'InstantFinalityVote',
        batch: batch(member, [{ kind: 'txAccept', txid }], seq),
      })
    const [u1, u2] = [1, 2].map((i) => sha256(utf8ToBytes(`still unknown ${i}`)) as Txid)
    await vote(2, pay.txid, 1)
    await vote(2, u1!, 2)
    // The payment arrives (and is accepted here) before any sweep: its votes are its own now.
    await deliver(c, node, WALLET, { type: 'TransactionBroadcast', tx: pay.tx })
    expect(node.engine.acceptWeight(pay.txid)).toBe(20)
    await vote(2, u2!, 3)
    expect(node.engine.acceptWeight(pay.txid)).toBe(20)
    expect([u1, u2].map((t) => node.engine.acceptWeight(t!))).toEqual([10, 10])
    expect(node.engine.stateSizes()['finality.unknownVoted']).toBe(2)
  })

  it('forgets the votes on a transaction still unknown retryMaxMs after the first, at the next sweep', async () => {
    const { c, node } = await setup()
    const never = sha256(utf8ToBytes('never sent')) as Txid
    const t0 = c.now
    await deliver(c, node, ids[2]!, {
      type: 'InstantFinalityVote',
      batch: batch(2, [
        { kind: 'txAccept', txid: never },
        { kind: 'txAccept', txid: pay.txid },
      ]),
    })
    // A later vote on it does not restart the wait; the other one arrives and keeps its votes.
    c.now = t0 + 30_000
    await deliver(c, node, ids[3]!, {
      type: 'InstantFinalityVote',
      batch: batch(3, [{ kind: 'txAccept', txid: never }]),
    })
    await deliver(c, node, WALLET, { type: 'TransactionBroadcast', tx: pay.tx })
    const sweep = async (at: number) => {
      c.now = at
      await c.fireTimers((t) => t === 'expire')
      return [node.engine.acceptWeight(never), node.engine.stateSizes()['finality.unknownVoted']]
    }
    expect(await sweep(t0 + 59_999)).toEqual([20, 1])
    expect(await sweep(t0 + 60_000)).toEqual([0, 0])
    // Its own Accept and member 2's.
    expect(node.engine.acceptWeight(pay.txid)).toBe(20)
  })

  it('votes on a transaction it does not know make it ask the voter alone', async () => {
    const { c, node } = await setup()
    const unknown = sha256(utf8ToBytes('never seen')) as Txid
    const sent = await deliver(c, node, ids[2]!, {
      type: 'InstantFinalityVote',
      batch: batch(2, [{ kind: 'txAccept', txid: unknown }]),
    })
    expect(sent).toEqual([{ to: ids[2], message: { type: 'TransactionRequest', txid: unknown } }])
    expect(node.engine.acceptWeight(unknown)).toBe(10)
  })
})

describe('a member after finality', () => {
  const accept: VoteLeaf = { kind: 'txAccept', txid: pay.txid }
  const certificate = (signers: readonly number[]) => ({
    txid: pay.txid,
    epoch: 0,
    entries: signers.map((i) => certificateEntry(batch(i, [accept]), 0)),
  })

  it('forgets the votes and the waiting wallets of a final transaction', async () => {
    const { c, node } = await setup()
    await deliver(c, node, WALLET, { type: 'TransactionBroadcast', tx: pay.tx })
    await deliver(c, node, ids[2]!, { type: 'InstantFinalityVote', batch: batch(2, [accept]) })
    // Its own Accept (through the loopback) and member 2's.
    expect(node.engine.acceptWeight(pay.txid)).toBe(20)
    expect(node.engine.stateSizes()).toMatchObject({
      'voting.ownBatches': 1,
      'finality.tallyTxs': 1,
    })
    await deliver(c, node, ids[0]!, {
      type: 'FinalityCertificate',
      tx: pay.tx,
      certificate: certificate([0, 2, 3]),
    })
    expect(node.engine.acceptWeight(pay.txid)).toBe(0)
    // Its own batch is not kept either: the certificate answers from now on.
    expect(node.engine.stateSizes()['voting.ownBatches']).toBe(0)
    // A late vote is counted, but the wallet, answered with the certificate, hears no more.
    const late = await deliver(c, node, ids[3]!, {
      type: 'InstantFinalityVote',
      batch: batch(3, [accept]),
    })
    expect(late).toEqual([])
  })

  it('answers with the certificate it stored, after a restart too', async () => {
    const { c, node } = await setup()
    const cert = certificate([0, 2, 3])
    await deliver(c, node, ids[0]!, { type: 'FinalityCertificate', tx: pay.tx, certificate: cert })
    c.crash(masternodes[1]!)
    const restarted = await c.restart(masternodes[1]!)
    c.queue.length = 0
    const first = await deliver(c, restarted, WALLET, {
      type: 'InstantFinalityRequest',
      tx: pay.tx,
    })
    expect(first).toEqual([
      { to: WALLET, message: { type: 'FinalityCertificate', tx: pay.tx, certificate: cert } },
    ])
    // Decoded once, the same object answers again.
    const again = await deliver(c, restarted, 'other-wallet', {
      type: 'TransactionBroadcast',
      tx: pay.tx,
    })
    expect(again).toEqual([
      {
        to: 'other-wallet',
        message: { type: 'FinalityCertificate', tx: pay.tx, certificate: cert },
      },
    ])
    const certOf = (m: Message | undefined) =>
      m?.type === 'FinalityCertificate' ? m.certificate : undefined
    expect(certOf(again[0]?.message)).toBe(certOf(first[0]?.message))
  })

  it('keeps a certificate whose parent it lacks, asks for the parent, then finalizes both', async () => {
    const { c, node } = await setup()
    const parent = spend([coin(2)], [{ to: carol, value: 9n * COIN }])
    // One input from the missing parent, one it has: only the parent is asked for.
    const child = spend(
      [{ outpoint: { txid: parent.txid, vout: 0 }, value: 9n * COIN, owner: carol }, coin(1)],
      [{ to: alice, value: 18n * COIN }],
    )
    const certOf = (txid: Txid) => ({
      txid,
      epoch: 0,
      entries: [0, 2, 3].map((i) => certificateEntry(batch(i, [{ kind: 'txAccept', txid }], 5), 0)),
    })
    const sent = await deliver(c, node, ids[0]!, {
      type: 'FinalityCertificate',
      tx: child.tx,
      certificate: certOf(child.txid),
    })
    // Asked of a member (the one the fetcher picks), not necessarily the sender.
    expect(sent.map((m) => m.message)).toEqual([{ type: 'TransactionRequest', txid: parent.txid }])
    expect(ids).toContain(sent[0]!.to)
    expect(node.finalized.has(hex(child.txid))).toBe(false)
    expect(node.penalties).toEqual([])
    await deliver(c, node, ids[0]!, {
      type: 'FinalityCertificate',
      tx: parent.tx,
      certificate: certOf(parent.txid),
    })
    expect(node.finalized.has(hex(parent.txid))).toBe(true)
    expect(node.finalized.has(hex(child.txid))).toBe(true)
  })
})

describe('a committee below the minimum', () => {
  it('finalizes nothing, and a certificate of it costs its sender', async () => {
    const pair = masternodes.slice(0, 2)
    const small = new Committee(
      0,
      pair.map((k) => ({ key: k.publicKey, weight: 10 })),
    )
    const c = await Cluster.create({
      genesisHash: GENESIS_HASH,
      committee: small,
      keys: pair,
      genesis,
    })
    const node = c.node(pair[1]!)
    c.queue.length = 0
    const accept: VoteLeaf = { kind: 'txAccept', txid: pay.txid }
    const cert = {
      txid: pay.txid,
      epoch: 0,
      entries: [0, 1].map((i) => certificateEntry(batch(i, [accept]), 0)),
    }
    await deliver(c, node, ids[0]!, { type: 'InstantFinalityVote', batch: batch(0, [accept]) })
    expect(node.engine.acceptWeight(pay.txid)).toBe(0)
    await deliver(c, node, ids[0]!, { type: 'FinalityCertificate', tx: pay.tx, certificate: cert })
    expect(node.penalties.map((p) => p.code)).toEqual(['COMMITTEE_INVALID'])
    expect(node.finalized.size).toBe(0)
  })
})

describe('a member meeting its own old batch', () => {
  it('adopts the decisions of a batch from an older backup and never reuses its seq', async () => {
    const { c, node } = await setup()
    const other = spend([coin(2)], [{ to: carol, value: 9n * COIN }])
    const old = batch(
      1,
      [
        { kind: 'txAccept', txid: pay.txid },
        { kind: 'txReject', txid: other.txid, conflictingTxid: rival.txid },
      ],
      40,
    )
    await deliver(c, node, ids[0]!, { type: 'InstantFinalityVote', batch: old })
    expect(node.engine.decisionOf(pay.txid)).toEqual({ kind: 'accept', txid: pay.txid, epoch: 0 })
    expect(node.engine.decisionOf(other.txid)).toEqual({
      kind: 'reject',
      txid: other.txid,
      epoch: 0,
      conflictingTxid: rival.txid,
    })
    // Its own Accept counts toward the quorum like anyone's.
    expect(node.engine.acceptWeight(pay.txid)).toBe(10)
    // Its next batch comes after the adopted one.
    const third = spend([coin(1)], [{ to: carol, value: 9n * COIN }])
    const sent = await deliver(c, node, WALLET, { type: 'TransactionBroadcast', tx: third.tx })
    expect(batchOf(sent)!.header.seq).toBe(41)
    // Asked about `other`, it signs the adopted Reject again (that batch is not in memory).
    const again = await deliver(c, node, WALLET, { type: 'InstantFinalityRequest', tx: other.tx })
    expect(batchOf(again)?.leaves).toEqual([
      { kind: 'txReject', txid: other.txid, conflictingTxid: rival.txid },
    ])
    expect(batchOf(again)?.header.seq).toBe(42)
  })

  it('ignores one of its own batches with a seq it has used already', async () => {
    const { c, node } = await setup()
    await deliver(c, node, WALLET, { type: 'TransactionBroadcast', tx: pay.tx })
    const stale = batch(1, [{ kind: 'txReject', txid: rival.txid, conflictingTxid: pay.txid }], 1)
    await deliver(c, node, ids[0]!, { type: 'InstantFinalityVote', batch: stale })
    expect(node.engine.decisionOf(rival.txid)).toBeUndefined()
  })
})
