// Discovery and gossip over real TCP on loopback (issue 10, point 6), beside their @libp2p/memory
// tests: (1) a node whose only addnode is a seed learns two other peers by peer exchange and
// connects to them at the addresses they listen on; (2) four masternodes publish over gossipsub,
// and a full node connected to another full node only — never to a masternode — gets every
// payment's certificate and every block through it. Every host listens on 127.0.0.1 at a port
// the system picks; every wait is bounded; every host and store is stopped after each test.
import { afterEach, describe, expect, it } from 'vitest'
import { bytesToHex } from '../../../src/core/index.ts'
import {
  type DiscoveryInit,
  type DiscoveryService,
  discovery,
  type HandshakeService,
  handshake,
} from '../../../src/core/net/index.ts'
import { PeerRole } from '../../../src/core/protocol/handshake.ts'
import { createNodeHost, type NodeHost } from '../../../src/node/net/host.ts'
import { type Built, coinsOf } from '../../support/ledger-fixture.ts'
import { FAST_DISCOVERY } from '../../support/net-discovery.ts'
import {
  addressesOf,
  type FullNode,
  linked,
  type Masternode,
  startFullNode,
  startMasternode,
  stopCluster,
  until,
} from '../../support/net-engines.ts'
import { gossipCluster, sharing } from '../../support/net-gossip.ts'
import { GENESIS, stopAll, TIP, track } from '../../support/net-hosts.ts'

afterEach(async () => {
  await stopAll()
  await stopCluster()
})

type TcpDiscoveryHost = NodeHost<{ handshake: HandshakeService; discovery: DiscoveryService }>

/** A full node with discovery, listening on loopback TCP at a free port. */
async function tcpDiscoveryHost(
  options: Partial<Omit<DiscoveryInit, 'network'>> = {},
): Promise<TcpDiscoveryHost> {
  return track(
    await createNodeHost({
      listenAddresses: ['/ip4/127.0.0.1/tcp/0'],
      gossipsub: false,
      services: {
        handshake: handshake({
          network: 'devnet',
          genesisHash: GENESIS,
          tip: () => TIP,
          timeoutMs: 5_000,
          role: PeerRole.FullNode,
        }),
        discovery: discovery({ network: 'devnet', ...FAST_DISCOVERY, ...options }),
      },
    }),
  )
}

/** `host`'s TCP address on loopback, with its peer id. */
function tcpAddress(host: TcpDiscoveryHost): string {
  const address = addressesOf(host, 'tcp').find((a) => a.toString().startsWith('/ip4/127.0.0.1/'))
  if (address === undefined) throw new Error('no loopback TCP address')
  return address.toString()
}

function handshaken(host: TcpDiscoveryHost): Set<string> {
  return new Set([...host.services.handshake.peers()].map((p) => p.peerId.toString()))
}

describe('discovery over TCP', () => {
  it('a node whose one addnode is a seed learns two more peers by peer exchange and connects to them', async () => {
    const seed = await tcpDiscoveryHost()
    const b = await tcpDiscoveryHost({ addnode: [tcpAddress(seed)], targetPeers: 1 })
    const c = await tcpDiscoveryHost({ addnode: [tcpAddress(seed)], targetPeers: 1 })
    const known = (h: TcpDiscoveryHost, of: TcpDiscoveryHost) =>
      h.services.discovery.book.get(of.peerId.toString()) !== undefined
    await until(() => known(seed, b) && known(seed, c), 'the seed learns where b and c listen')

    const d = await tcpDiscoveryHost({ addnode: [tcpAddress(seed)], targetPeers: 3 })
    const others = [seed, b, c].map((h) => h.peerId.toString())
    await until(() => others.every((id) => handshaken(d).has(id)), 'd connected to seed, b and c')
    // b and c were named by the seed, not by d's addnode; d dialled them over TCP.
    for (const peer of [b, c]) {
      const entry = d.services.discovery.book.get(peer.peerId.toString())
      expect(entry?.addrs.some((a) => a.startsWith('/ip4/127.0.0.1/tcp/'))).toBe(true)
      const connections = d.getConnections(peer.peerId)
      expect(
        connections.some((x) => x.remoteAddr.toString().startsWith('/ip4/127.0.0.1/tcp/')),
      ).toBe(true)
    }
    const stats = d.services.discovery.stats()
    expect(stats.learned).toBeGreaterThanOrEqual(2)
    expect(stats.invalidAnswers).toBe(0)
    expect(seed.services.discovery.stats().answered).toBeGreaterThanOrEqual(1)
  })
})

const { owners, fx, setup, payTo } = gossipCluster('gossip over tcp', 640)
const hex = (b: Built) => bytesToHex(b.txid)

/** Connects `follower` to `to` over TCP and waits until each knows the other's topics. */
async function follow(follower: FullNode, to: Masternode | FullNode): Promise<void> {
  await follower.host.dial(addressesOf(to.host, 'tcp'))
  await sharing(follower.host, to.host)
  await sharing(to.host, follower.host)
}

describe('gossip over TCP', () => {
  it('a full node connected only to another full node gets every certificate and block', async () => {
    const s = { ...setup(), transport: 'tcp' as const }
    // Both full nodes join before the committee forms (before block 1): gossip carries new blocks.
    const first = await startMasternode(s, fx.masternodes[0]!, { gossip: true })
    const near = await startFullNode(s)
    await follow(near, first)
    const far = await startFullNode(s)
    await follow(far, near)
    const nodes = [first]
    for (const key of fx.masternodes.slice(1))
      nodes.push(await startMasternode(s, key, { gossip: true }))
    await until(() => linked(nodes), 'every committee link up', 20_000)

    // Payments submitted at members the far node never meets, each spending the one before.
    const payments: Built[] = []
    let coin = fx.coin(0)
    for (let i = 0; i < 3; i++) {
      const b = payTo(coin, i + 1)
      payments.push(b)
      await nodes[(i % 3) + 1]!.engine.submit(b.tx)
      await until(() => far.finalized.has(hex(b)), `payment ${i} final at the far node`, 20_000)
      coin = coinsOf(b, [owners[i + 1]!])[0]!
    }
    await until(
      () => payments.every((b) => far.confirmed.has(hex(b))),
      'every payment confirmed at the far node',
      20_000,
    )
    // The far node is connected to the near one only, over TCP.
    const peers = far.host.getConnections()
    expect(peers.length).toBeGreaterThan(0)
    for (const c of peers) {
      expect(c.remotePeer.equals(near.host.peerId)).toBe(true)
      expect(c.remoteAddr.toString()).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\//)
    }
    for (const b of payments)
      expect(far.confirmed.get(hex(b))).toBe(nodes[0]!.confirmed.get(hex(b)))
    const stats = far.gossip.stats()
    expect(stats.accepted).toBeGreaterThanOrEqual(payments.length)
    expect(stats.rejected).toBe(0)
    expect(far.penalties).toEqual([])
    expect(near.penalties).toEqual([])
    expect(far.alarms).toEqual([])
  })
})
