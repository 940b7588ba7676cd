// Full nodes following the chain over gossip (src/core/net/gossip): four masternodes publish the
// transactions they see final and the blocks they commit; a full node outside the committee,
// connected to one masternode only, gets every payment's finality and every block, and reaches
// the committee's tip and UTXO commitment — including a payment submitted at the full node itself,
// which its engine relays to that masternode over the tx protocol; one whose clock is off ignores
// every certificate (the relay window) and still gets every payment by its block. Every wait is
// bounded; every host and store is stopped after each test.
import { afterEach, describe, expect, it } from 'vitest'
import { bytesToHex, equalBytes } from '../../../src/core/index.ts'
import { monotonicClock } from '../../../src/node/engine-ports.ts'
import { type Built, coinsOf } from '../../support/ledger-fixture.ts'
import {
  addressesOf,
  type FullNode,
  type Masternode,
  startCommittee,
  startFullNode,
  startMasternode,
  stopCluster,
  until,
} from '../../support/net-engines.ts'
import { gossipCluster, meshed, sharing } from '../../support/net-gossip.ts'

const { owners, fx, setup, payTo } = gossipCluster('gossip follow', 600)
afterEach(stopCluster)

const hex = (b: Built) => bytesToHex(b.txid)

function tipOf(node: Masternode | FullNode) {
  return node.engine.runtime.engine.tip!
}

/** Connects the full node to `member` and waits until each knows the other's topics. */
async function follow(full: FullNode, member: Masternode): Promise<void> {
  await full.host.dial(addressesOf(member.host, 'memory'))
  await sharing(full.host, member.host)
  await sharing(member.host, full.host)
}

describe('a full node following the chain over gossip', () => {
  it("connected to one masternode, reaches the committee's tip and UTXO commitment", async () => {
    const s = setup()
    // The full nodes connect to the first member before the others start, so before block 1:
    // gossip carries new blocks, sync (§19.6) the ones a node missed.
    const first = await startMasternode(s, fx.masternodes[0]!, { gossip: true })
    const full = await startFullNode(s)
    await follow(full, first)
    // One whose clock runs 400 s ahead: every certificate is outside its relay window (ignored,
    // passed on to no one), yet blocks bring it every payment.
    const skewed = await startFullNode(s, { gossip: { clock: () => monotonicClock() + 400_000 } })
    await follow(skewed, first)
    const nodes = await startCommittee(s, fx.masternodes.slice(1), () => ({ gossip: true }), [
      first,
    ])
    // A payment's certificate may reach the first member from another one before it is final
    // there: then it passes that copy on to its mesh instead of publishing its own.
    await meshed(first.host, full.host)
    expect(full.host.getConnections().length).toBe(1)
    expect(full.engine.runtime.engine.isVoter).toBe(false)

    // A chain of payments submitted at the masternodes, each spending the one before.
    const payments: Built[] = []
    let coin = fx.coin(0)
    for (let i = 0; i < 3; i++) {
      const b = payTo(coin, i + 1)
      payments.push(b)
      await nodes[i]!.engine.submit(b.tx)
      await until(() => full.finalized.has(hex(b)), `payment ${i} final at the full node`)
      coin = coinsOf(b, [owners[i + 1]!])[0]!
    }
    // One submitted at the full node: its engine relays it to the masternode over `tx`.
    const relayed = payTo(fx.coin(4), 5)
    payments.push(relayed)
    await full.engine.submit(relayed.tx)
    await until(() => nodes.every((n) => n.finalized.has(hex(relayed))), 'relayed payment final')
    await until(() => full.finalized.has(hex(relayed)), 'relayed payment final at the full node')
    expect(full.engine.stats().txRelayed).toBeGreaterThanOrEqual(1)

    await until(
      () => payments.every((b) => full.confirmed.has(hex(b)) && skewed.confirmed.has(hex(b))),
      'every payment confirmed at both full nodes',
      20_000,
    )
    expect(skewed.gossip.stats()).toMatchObject({ rejected: 0 })
    expect(skewed.gossip.stats().stale).toBeGreaterThanOrEqual(payments.length)
    expect(skewed.penalties).toEqual([])
    for (const b of payments)
      expect(full.confirmed.get(hex(b))).toBe(nodes[0]!.confirmed.get(hex(b)))
    // Blocks keep coming: wait for a moment when both are at the same height.
    const same = () => {
      const [a, b] = [tipOf(full), tipOf(nodes[0]!)]
      return a.height === b.height && equalBytes(a.hash, b.hash)
    }
    await until(same, 'the same tip')
    const summary = (n: Masternode | FullNode) => n.engine.runtime.engine.ledger.utxos.summary()
    expect(bytesToHex(summary(full).commitment)).toBe(bytesToHex(summary(nodes[0]!).commitment))
    expect(summary(full).total).toBe(summary(nodes[0]!).total)

    // Every member published its own copies and ignored the others' (so it passed on none of
    // them, at no cost): the full node was handed one certificate per payment, one copy per block.
    const stats = full.gossip.stats()
    expect(stats.rejected).toBe(0)
    expect(nodes.every((n) => n.gossip!.stats().ignored > 0)).toBe(true)
    expect(stats.accepted).toBeLessThanOrEqual(payments.length + tipOf(full).height)
    expect(full.penalties).toEqual([])
    expect(full.alarms).toEqual([])
    expect(nodes.every((n) => (n.gossip?.stats().published ?? 0) > 0)).toBe(true)
    for (const n of nodes) expect(n.penalties).toEqual([])
    console.info(
      JSON.stringify({
        height: tipOf(full).height,
        fullNode: stats,
        relay: { txRelayed: full.engine.stats().txRelayed, skips: full.engine.stats().relaySkips },
      }),
    )
  })
})
