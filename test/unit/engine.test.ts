import { describe, expect, it } from 'vitest'
import {
  bytesToHex,
  type ChainConfig,
  COIN,
  Committee,
  type Message,
  MIN_FEE,
} from '../../src/core/index.ts'
import { Cluster } from '../support/engine-driver.ts'
import { engineFixture } from '../support/engine-fixture.ts'
import { GENESIS_HASH, keyPair, spend } from '../support/ledger-fixture.ts'

const alice = keyPair(0)
const bob = keyPair(1)
const carol = keyPair(2)
const { masternodes, committee, genesis, coin } = engineFixture('engine genesis', 100, [
  alice,
  alice,
  bob,
])

function cluster(
  opts: { drop?: (from: string, to: string, m: Message) => boolean; chain?: ChainConfig } = {},
) {
  return Cluster.create({
    genesisHash: GENESIS_HASH,
    committee,
    keys: masternodes,
    genesis,
    ...(opts.drop ? { drop: opts.drop } : {}),
    ...(opts.chain ? { chain: opts.chain } : {}),
  })
}

describe('FinalityEngine', () => {
  it('halts finality below the minimum committee (3 voting members on devnet)', async () => {
    const pair = masternodes.slice(0, 2)
    const small = await Cluster.create({
      genesisHash: GENESIS_HASH,
      committee: new Committee(
        0,
        pair.map((k) => ({ key: k.publicKey, weight: 10 })),
      ),
      keys: pair,
      genesis,
    })
    const pay = spend([coin(0)], [{ to: carol, value: 10n * COIN - MIN_FEE }])
    await small.submit(pair[0]!, pay.tx)
    await small.run()
    for (const node of small.nodes.values()) {
      expect(node.engine.isVoter).toBe(false)
      expect(node.engine.decisionOf(pay.txid)).toBeUndefined()
      expect(node.finalized.has(bytesToHex(pay.txid))).toBe(false)
    }
  })

  it('a payment submitted to one masternode becomes final on all of them', async () => {
    const c = await cluster()
    const pay = spend([coin(0)], [{ to: carol, value: 10n * COIN - MIN_FEE }])
    await c.submit(masternodes[0]!, pay.tx)
    await c.run()
    for (const node of c.nodes.values()) {
      expect(node.finalized.has(bytesToHex(pay.txid))).toBe(true)
      expect(node.engine.decisionOf(pay.txid)?.kind).toBe('accept')
      expect(node.alarms).toEqual([])
    }
  })

  it('a double spend sent to different masternodes at once never finalizes twice', async () => {
    const c = await cluster()
    const a = spend([coin(0)], [{ to: bob, value: 9n * COIN }])
    const b = spend([coin(0)], [{ to: carol, value: 9n * COIN }])
    await c.submit(masternodes[0]!, a.tx)
    await c.submit(masternodes[1]!, b.tx)
    await c.submit(masternodes[2]!, a.tx)
    await c.submit(masternodes[3]!, b.tx)
    await c.run()
    const finals = [a, b].map(
      (t) => [...c.nodes.values()].filter((n) => n.finalized.has(bytesToHex(t.txid))).length,
    )
    // 2 vs 2 Accepts with threshold 27 of 40: neither may finalize; both outputs frozen.
    expect(finals).toEqual([0, 0])
    for (const n of c.nodes.values()) expect(n.alarms).toEqual([])
  })

  it('a chained payment spends a final, unconfirmed output', async () => {
    const c = await cluster()
    const parent = spend([coin(0)], [{ to: bob, value: 9n * COIN }])
    await c.submit(masternodes[0]!, parent.tx)
    await c.run()
    const child = spend(
      [{ outpoint: { txid: parent.txid, vout: 0 }, value: 9n * COIN, owner: bob }],
      [{ to: carol, value: 8n * COIN }],
    )
    await c.submit(masternodes[3]!, child.tx)
    await c.run()
    for (const node of c.nodes.values())
      expect(node.finalized.has(bytesToHex(child.txid))).toBe(true)
  })

  it('a child arriving before its parent is deferred, then decided once the parent is final', async () => {
    const c = await cluster()
    const parent = spend([coin(1)], [{ to: bob, value: 9n * COIN }])
    const child = spend(
      [{ outpoint: { txid: parent.txid, vout: 0 }, value: 9n * COIN, owner: bob }],
      [{ to: carol, value: 8n * COIN }],
    )
    await c.submit(masternodes[2]!, child.tx) // unknown parent: no Reject, a fetch
    await c.run()
    expect(c.node(masternodes[2]!).engine.decisionOf(child.txid)).toBeUndefined()
    await c.submit(masternodes[0]!, parent.tx)
    await c.run()
    for (const node of c.nodes.values()) {
      expect(node.finalized.has(bytesToHex(parent.txid))).toBe(true)
    }
    expect(c.node(masternodes[2]!).finalized.has(bytesToHex(child.txid))).toBe(true)
  })

  it('sends a vote only after its lock and decision are durable', async () => {
    const c = await cluster()
    const pay = spend([coin(2)], [{ to: carol, value: 9n * COIN }])
    const node = c.node(masternodes[1]!)
    const effects = node.engine.handle({ type: 'submit', tx: pay.tx }, c.now)
    expect(effects.some((e) => e.type === 'send' && e.message.type === 'InstantFinalityVote')).toBe(
      false,
    )
    const persist = effects.find((e) => e.type === 'persist')
    expect(persist).toMatchObject({ sync: true })
    const after = node.engine.handle(
      { type: 'persisted', id: (persist as { id: number }).id },
      c.now,
    )
    expect(
      after.filter((e) => e.type === 'send' && e.message.type === 'InstantFinalityVote').length,
    ).toBe(3)
  })

  it('a restarted masternode keeps its decision and never votes the other way', async () => {
    const c = await cluster({
      drop: (_from, to, m) =>
        to === bytesToHex(masternodes[3]!.publicKey) && m.type !== 'TransactionBroadcast',
    })
    const a = spend([coin(0)], [{ to: bob, value: 9n * COIN }])
    await c.submit(masternodes[0]!, a.tx)
    await c.run()
    c.crash(masternodes[0]!)
    const restarted = await c.restart(masternodes[0]!)
    expect(restarted.engine.decisionOf(a.txid)?.kind).toBe('accept')
    const b = spend([coin(0)], [{ to: carol, value: 9n * COIN }])
    const effects = restarted.engine.handle(
      { type: 'message', from: 'wallet', message: { type: 'InstantFinalityRequest', tx: b.tx } },
      c.now,
    )
    const persist = effects.find((e) => e.type === 'persist')!
    const sent = restarted.engine.handle(
      { type: 'persisted', id: (persist as { id: number }).id },
      c.now,
    )
    const batch = sent.find((e) => e.type === 'send' && e.message.type === 'InstantFinalityVote')
    const leaves =
      batch?.type === 'send' && batch.message.type === 'InstantFinalityVote'
        ? batch.message.batch.leaves
        : []
    expect(leaves).toEqual([{ kind: 'txReject', txid: b.txid, conflictingTxid: a.txid }])
    // The new batch never reuses a sequence number from before the crash.
    expect(
      batch?.type === 'send' &&
        batch.message.type === 'InstantFinalityVote' &&
        batch.message.batch.header.seq,
    ).toBeGreaterThan(1)
  })
})

describe('FinalityEngine with blocks', () => {
  const chain = {
    intervalMs: 1_000,
    timeouts: { proposeMs: 500, prevoteMs: 500, precommitMs: 500, growthMs: 100 },
  }

  it('commits a block holding the final payments, with its reward, on every masternode', async () => {
    const c = await cluster({ chain })
    const pay = spend([coin(0)], [{ to: carol, value: 9n * COIN }])
    await c.submit(masternodes[0]!, pay.tx)
    await c.run()
    await c.fireTimers((t) => t === 'chain:start')
    await c.run()
    for (const node of c.nodes.values()) {
      expect(node.committed).toEqual([1])
      expect(node.engine.tip?.height).toBe(1)
      expect(node.engine.ledger.utxos.get(coin(0).outpoint)?.state).toEqual({
        kind: 'Confirmed',
        txid: pay.txid,
        height: 1,
      })
      expect(node.alarms).toEqual([])
    }
    const tips = [...c.nodes.values()].map((n) => bytesToHex(n.engine.tip!.hash))
    expect(new Set(tips).size).toBe(1)
    // 100 TIME of reward plus the payment's fee (1 TIME) now exist as outputs.
    const node = c.node(masternodes[1]!)
    expect(node.engine.ledger.summary().total).toBe(30n * COIN + 100n * COIN)
  })

  it('a restarted masternode resumes from the tip in its store and keeps committing', async () => {
    const c = await cluster({ chain })
    await c.fireTimers((t) => t === 'chain:start')
    await c.run()
    c.crash(masternodes[2]!)
    const restarted = await c.restart(masternodes[2]!)
    expect(restarted.engine.tip?.height).toBe(1)
    await c.fireTimers((t) => t === 'chain:start')
    await c.run()
    for (const node of c.nodes.values()) if (!node.down) expect(node.engine.tip?.height).toBe(2)
  })
})
