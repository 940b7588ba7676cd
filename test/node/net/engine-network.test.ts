// Four masternodes over real libp2p hosts (issue 10, point 10): each an engine on its own store
// behind the handshake, the committee links and the engine service. Over @libp2p/memory, loopback
// TCP and loopback WebSockets they finalize a chain of payments and payments in parallel (one
// relayed by a light client over the tx protocol), then confirm them in blocks. A member whose
// connections are cut, or whose host crashes and restarts on the same key and store, is linked
// again through backoff while the other three keep finalizing. Every wait is bounded; every host,
// store and worker is stopped after each test.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { bytesToHex, COIN, MIN_FEE, type Transaction } from '../../../src/core/index.ts'
import { LinkState, MemoryPeerBook, relayTransaction } from '../../../src/core/net/index.ts'
import { PROTOCOLS } from '../../../src/core/protocol/protocols.ts'
import { createVerifierPool, type VerifierPool } from '../../../src/node/crypto/verifier-pool.ts'
import { engineFixture } from '../../support/engine-fixture.ts'
import { type Built, type Coin, coinsOf, keyPair, spend } from '../../support/ledger-fixture.ts'
import {
  addressesOf,
  type ClusterSetup,
  FAST_CHAIN,
  FAST_LINKS,
  levelStore,
  linked,
  type Masternode,
  memoryName,
  startCommittee,
  startLinkOnly,
  startMasternode,
  startWallet,
  stopCluster,
  stopMasternode,
  type Transport,
  until,
} from '../../support/net-engines.ts'

const owners = Array.from({ length: 8 }, (_, i) => keyPair(300 + i))
const fx = engineFixture('engine network', 80, owners)

let pool: VerifierPool
beforeAll(() => {
  pool = createVerifierPool(2)
})
afterAll(() => pool.close())
afterEach(stopCluster)

function setup(transport: Transport, links: ClusterSetup['links'] = {}): ClusterSetup {
  return {
    transport,
    committee: fx.committee,
    genesis: fx.genesis,
    chain: FAST_CHAIN,
    verifier: pool,
    links,
    book: new MemoryPeerBook(),
  }
}

const hex = (b: Built) => bytesToHex(b.txid)

/** `coin` paid to `to` (value `amount` TIME), the change back to the coin's owner. */
function pay(coin: Coin, toIndex: number, amount: bigint): Built {
  return spend(
    [coin],
    [
      { to: owners[toIndex]!, value: amount * COIN },
      { to: coin.owner, value: coin.value - amount * COIN - MIN_FEE },
    ],
  )
}

function finalEverywhere(nodes: readonly Masternode[], b: Built): boolean {
  return nodes.every((n) => n.finalized.has(hex(b)))
}

function confirmedEverywhere(nodes: readonly Masternode[], b: Built): boolean {
  return nodes.every((n) => n.confirmed.has(hex(b)))
}

/** Submits at `node` and resolves with the ms until every node in `nodes` saw it final. */
async function finality(node: Masternode, nodes: readonly Masternode[], b: Built): Promise<number> {
  const started = performance.now()
  await node.engine.submit(b.tx)
  await until(() => finalEverywhere(nodes, b), `payment ${hex(b).slice(0, 8)} final`)
  return Math.max(...nodes.map((n) => n.finalized.get(hex(b))!)) - started
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!
}

describe.each<Transport>(['memory', 'tcp', 'ws'])('four masternodes over %s', (transport) => {
  it('finalize a chain of payments and payments in parallel, then confirm them in blocks', async () => {
    const s = setup(transport)
    const nodes: Masternode[] = []
    // One member keeps its state in LevelDB, as a daemon does.
    for (const [i, key] of fx.masternodes.entries())
      nodes.push(await startMasternode(s, key, i === 3 ? { store: await levelStore() } : {}))
    await until(() => linked(nodes), 'every committee link up')

    // A chain: each payment spends the previous one's output, submitted at the next node once the
    // previous is final there (its outputs are spendable at once).
    const chain: Built[] = []
    const latencies: number[] = []
    let coin = fx.coin(0)
    for (let i = 0; i < 4; i++) {
      const b = pay(coin, i + 1, 8n - 2n * BigInt(i))
      chain.push(b)
      latencies.push(await finality(nodes[i % 4]!, nodes, b))
      coin = coinsOf(b, [owners[i + 1]!, coin.owner])[0]!
    }

    // In parallel: three payments at three nodes at once, and one relayed by a light client.
    const parallel = [4, 5, 6, 7].map((v) => pay(fx.coin(v), 0, 1n))
    const started = performance.now()
    await Promise.all(parallel.slice(0, 3).map((b, i) => nodes[i]!.engine.submit(b.tx)))
    const wallet = await startWallet(transport)
    const connection = await wallet.dial(addressesOf(nodes[3]!.host, transport))
    await relayTransaction(connection, 'devnet', parallel[3]!.tx as Transaction)
    await until(() => parallel.every((b) => finalEverywhere(nodes, b)), 'parallel payments final')
    const parallelMs = performance.now() - started

    const all = [...chain, ...parallel]
    await until(
      () => all.every((b) => confirmedEverywhere(nodes, b)),
      'every payment confirmed',
      20_000,
    )
    // The same block confirms a payment everywhere.
    for (const b of all) expect(new Set(nodes.map((n) => n.confirmed.get(hex(b)))).size).toBe(1)

    for (const n of nodes) {
      expect(n.alarms).toEqual([])
      expect(n.penalties).toEqual([])
      const links = n.links.stats()
      expect(links.dropped).toBe(0)
      expect(links.frameErrors).toBe(0)
      // Coalescing: frames queued in one turn share a write.
      expect(links.writes).toBeLessThanOrEqual(links.framesOut)
      expect(n.engine.stats().decodeErrors).toBe(0)
    }
    expect(nodes[3]!.engine.stats().transactionsReceived).toBe(1)
    // The vote counters the daemon exports: each node sent and received batches, and no batch is
    // received that was not sent (some may still be on the wire: blocks go on).
    const stats = nodes.map((n) => n.engine.stats())
    expect(stats.every((s) => s.votesSent > 0 && s.votesReceived > 0)).toBe(true)
    const sum = (k: 'votesSent' | 'votesReceived') => stats.reduce((a, s) => a + s[k], 0)
    expect(sum('votesReceived')).toBeLessThanOrEqual(sum('votesSent'))
    console.info(
      JSON.stringify({
        transport,
        chainFinalityMs: latencies.map((x) => Math.round(x * 10) / 10),
        finalityP50Ms: Math.round(percentile(latencies, 0.5) * 10) / 10,
        parallelFinalMs: Math.round(parallelMs),
        heights: nodes.map((n) => n.committed.at(-1)),
        writesPerFrame: nodes.map((n) => {
          const st = n.links.stats()
          return Math.round((st.writes / st.framesOut) * 100) / 100
        }),
      }),
    )
  })
})

describe('a member cut off', () => {
  it('whose connections are closed is linked again by backoff while the others finalize', async () => {
    const nodes = await startCommittee(setup('tcp', FAST_LINKS), fx.masternodes)
    const [a, b, c, cut] = nodes as [Masternode, Masternode, Masternode, Masternode]

    const down = new Set<string>()
    for (const n of [a, b, c])
      n.links.addEventListener('link:down', (e) => {
        if (e.detail.key === bytesToHex(cut.key.publicKey)) down.add(bytesToHex(n.key.publicKey))
      })
    await Promise.all(cut.host.getConnections().map((conn) => conn.close()))
    await until(() => down.size === 3, 'the others see the link down')

    // Three of four equal members are a quorum (⌊2·40/3⌋ + 1 = 27 ≤ 30).
    const during = pay(fx.coin(0), 1, 2n)
    await finality(a, [a, b, c], during)

    await until(() => linked(nodes), 'the cut member linked again', 10_000)
    for (const n of [a, b, c]) expect(n.links.state(cut.key.publicKey)).toBe(LinkState.Connected)
    expect(cut.links.stats().reconnects + a.links.stats().reconnects).toBeGreaterThan(0)
    const after = pay(fx.coin(1), 2, 2n)
    await finality(cut, nodes, after)
    // The payment made meanwhile reaches it too, at the latest with the block that confirms it.
    await until(
      () => cut.finalized.has(hex(during)) || cut.confirmed.has(hex(during)),
      'the cut member learns the payment made meanwhile',
    )
    for (const n of nodes) expect(n.alarms).toEqual([])
  })

  it('whose host crashes and restarts on the same key and store rejoins the committee', async () => {
    const s = setup('memory', FAST_LINKS)
    const names = fx.masternodes.map(() => memoryName())
    const nodes = await startCommittee(s, fx.masternodes, async (i) => ({
      memoryName: names[i]!,
      ...(i === 3 ? { store: await levelStore() } : {}),
    }))
    const [a, b, c, crashed] = nodes as [Masternode, Masternode, Masternode, Masternode]
    const before = pay(fx.coin(2), 3, 2n)
    await finality(a, nodes, before)

    await stopMasternode(crashed, false)
    const during = pay(fx.coin(3), 1, 2n)
    await finality(b, [a, b, c], during)
    await until(
      () => [a, b, c].every((n) => n.links.state(crashed.key.publicKey) === LinkState.Reconnecting),
      'the others re-dialling',
    )

    const back = await startMasternode(s, crashed.key, {
      store: crashed.store,
      memoryName: names[3]!,
    })
    const again = [a, b, c, back]
    await until(() => linked(again), 'the restarted member linked again', 10_000)
    // Its store kept what was final before the crash: the coin `before` spent is spent by it.
    const state = back.engine.runtime.engine.ledger.utxos.get(fx.coin(2).outpoint)?.state
    expect(['SpentFinalized', 'Confirmed']).toContain(state?.kind)
    expect(state !== undefined && 'txid' in state && bytesToHex(state.txid)).toBe(hex(before))
    const after = pay(fx.coin(4), 2, 2n)
    await finality(back, again, after)
    await until(() => confirmedEverywhere(again, after), 'confirmed after the restart', 20_000)
    for (const n of again) expect(n.alarms).toEqual([])
  })
})

describe('peers that misbehave on the links', () => {
  it('undecodable frames and bad signatures cost their sender; honest payments keep finalizing', async () => {
    const s = setup('memory', FAST_LINKS)
    const nodes = await startCommittee(s, fx.masternodes)
    const a = nodes[0]!
    // A masternode outside the committee: a guest link at `a`, opened from its side.
    const rogueKey = keyPair(90)
    const rogue = await startLinkOnly(s, rogueKey)
    rogue.services.committeeLinks.setCommittee([fx.masternodes[0]!.publicKey])
    const aHex = bytesToHex(fx.masternodes[0]!.publicKey)
    await until(() => rogue.services.committeeLinks.routes(aHex), 'the rogue is linked')

    rogue.services.committeeLinks.send(aHex, Uint8Array.of(0xee, 1, 2, 3))
    const forged = structuredClone(pay(fx.coin(5), 1, 1n).tx) as Transaction
    const signature = forged.inputs[0]!.signature.slice()
    signature[5]! ^= 1
    const bad = { ...forged, inputs: [{ ...forged.inputs[0]!, signature }] }
    rogue.services.committeeLinks.send(
      aHex,
      PROTOCOLS.consensus.dialer.encode({ type: 'TransactionBroadcast', tx: bad }),
    )
    await until(() => a.penalties.length >= 2, 'both penalties')
    expect(a.penalties.every((p) => p.peer.equals(rogue.peerId))).toBe(true)
    // An unknown message tag, then a transaction whose input signature fails.
    expect(a.penalties.map((p) => p.code)).toEqual(['INVALID_VALUE', 'TX_SIGNATURE'])
    expect(a.penalties.map((p) => p.action)).toEqual(['low-tolerance', 'low-tolerance'])
    expect(a.engine.stats().decodeErrors).toBe(1)

    // The committee is not disturbed.
    const honest = pay(fx.coin(6), 2, 1n)
    await finality(nodes[1]!, nodes, honest)
    expect(a.links.state(rogueKey.publicKey)).toBeUndefined()
  })

  it('with a small verification budget the links stop reading while the engine catches up', async () => {
    const nodes = await startCommittee(setup('memory', FAST_LINKS), fx.masternodes, () => ({
      maxPendingVerifications: 1,
    }))
    const payments = [0, 1, 2, 3, 4, 5].map((v) => pay(fx.coin(v), (v + 1) % 8, 1n))
    await Promise.all(payments.map((b, i) => nodes[i % 4]!.engine.submit(b.tx)))
    await until(() => payments.every((b) => finalEverywhere(nodes, b)), 'payments final')
    expect(nodes.some((n) => n.engine.stats().inboundPauses > 0)).toBe(true)
    await until(() => nodes.every((n) => !n.links.inboundPaused), 'reading again')
  })
})
