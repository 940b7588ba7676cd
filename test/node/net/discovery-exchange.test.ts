// Discovery over @libp2p/memory (src/core/net/discovery): a node given one `addnode` learns the
// others by peer exchange and connects to them; a masternode's key lands in the book, where the
// committee links look members up; an answer is bounded by what was asked and never names the
// asker; and an answer with a bad peer id, a malformed address or another peer's address costs
// its sender and adds nothing, while private or foreign-transport addresses are dropped at no cost.
// Every wait is bounded; every host is stopped after each test.
import type { Stream } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { afterEach, describe, expect, it } from 'vitest'
import { peerIdToBytes } from '../../../src/core/net/discovery/index.ts'
import type { Penalty } from '../../../src/core/net/index.ts'
import { PeerRole } from '../../../src/core/protocol/handshake.ts'
import {
  type ExchangedPeer,
  encodePeerExchange,
  PEERS_ANSWER_FRAMES,
  PEERS_REQUEST_FRAMES,
} from '../../../src/core/protocol/index.ts'
import { protocolIdOf } from '../../../src/core/protocol/protocols.ts'
import {
  type DiscoveryHost,
  discoveryHost,
  handshaken,
  memoryAddress,
} from '../../support/net-discovery.ts'
import { until } from '../../support/net-engines.ts'
import { handshakeHost, masternodeSigner, stopAll } from '../../support/net-hosts.ts'

afterEach(stopAll)

const PEERS = protocolIdOf('devnet', 'peers')

/** `host`'s one address, with its peer id. */
const addressOf = (host: DiscoveryHost) => host.getMultiaddrs()[0]!.toString()

describe('discovery', () => {
  it('a node with one addnode learns the others by peer exchange and connects to them', async () => {
    const a = await discoveryHost()
    const b = await discoveryHost({ discovery: { addnode: [addressOf(a)], targetPeers: 1 } })
    const c = await discoveryHost({ discovery: { addnode: [addressOf(a)], targetPeers: 1 } })
    const known = (h: DiscoveryHost, of: DiscoveryHost) =>
      h.services.discovery.book.get(of.peerId.toString()) !== undefined
    await until(() => known(a, b) && known(a, c), 'the seed learns where b and c listen')

    const d = await discoveryHost({ discovery: { addnode: [addressOf(a)], targetPeers: 3 } })
    const others = [a, b, c].map((h) => h.peerId.toString())
    await until(() => others.every((id) => handshaken(d).has(id)), 'd connected to a, b and c')
    const stats = d.services.discovery.stats()
    expect(stats.learned).toBeGreaterThanOrEqual(2)
    expect(stats.invalidAnswers).toBe(0)
    expect(a.services.discovery.stats().answered).toBeGreaterThanOrEqual(1)
    // Every address d keeps is one it can dial, and names no one but the peer.
    for (const id of others)
      expect(d.services.discovery.book.get(id)?.addrs.length).toBeGreaterThan(0)
  })

  it("records a masternode's key, so the committee links find the member through the book", async () => {
    const member = await discoveryHost({ masternode: 3 })
    const node = await discoveryHost({
      discovery: { addnode: [addressOf(member)], targetPeers: 1 },
    })
    const key = masternodeSigner(3).publicKey
    await until(
      () => node.services.discovery.book.addressesOf(key).length > 0,
      'the key in the book',
    )
    expect(node.services.discovery.book.addressesOf(key).map(String)).toEqual([addressOf(member)])
  })

  it('answers with at most what was asked, never the asker, connected peers as seen now', async () => {
    const seed = await discoveryHost()
    const peers = await Promise.all(
      [0, 1, 2, 3].map(() =>
        discoveryHost({ discovery: { addnode: [addressOf(seed)], targetPeers: 1 } }),
      ),
    )
    await until(
      () => peers.every((p) => seed.services.discovery.book.get(p.peerId.toString()) !== undefined),
      'the seed knows all four',
    )
    const asker = peers[0]!
    const connection = asker.getConnections(seed.peerId)[0]!
    const stream = await connection.newStream(PEERS)
    const lp = lpStream(stream)
    await lp.write(PEERS_REQUEST_FRAMES.encode({ type: 'PeersRequest', max: 2 }))
    const answer = PEERS_ANSWER_FRAMES.decode((await lp.read()).subarray())
    expect(answer.peers.length).toBe(2)
    const askerBytes = peerIdToBytes(asker.peerId.toString())!.join()
    expect(answer.peers.every((p) => p.peerId.join() !== askerBytes)).toBe(true)
    // Connected peers are reported as seen now.
    expect(answer.peers.every((p) => Date.now() - p.lastSeen < 5_000)).toBe(true)
  })
})

/** A full node whose `peers` handler answers every request with `answer` (bytes). */
async function liar(answer: Uint8Array) {
  const host = await handshakeHost('memory', { role: PeerRole.FullNode })
  await host.handle(PEERS, async (stream: Stream) => {
    const lp = lpStream(stream)
    await lp.read()
    await lp.write(answer)
    await stream.close()
  })
  return host
}

const SOMEONE = '12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp'
const someone = peerIdToBytes(SOMEONE)!

function answerOf(peers: ExchangedPeer[]): Uint8Array {
  return encodePeerExchange({ type: 'PeersAnswer', peers })
}

describe('answers judged', () => {
  async function askedBy(answer: Uint8Array, allowPrivate = true) {
    const host = await liar(answer)
    const penalties: Penalty[] = []
    const node = await discoveryHost({
      penalties,
      discovery: { addnode: [host.getMultiaddrs()[0]!.toString()], targetPeers: 1, allowPrivate },
    })
    await until(() => node.services.discovery.stats().asked > 0, 'the node asked')
    return { node, penalties, host }
  }

  it.each<[string, ExchangedPeer]>([
    ['a peer id that is no multihash', { peerId: new Uint8Array(32), addrs: [], lastSeen: 1 }],
    ['a malformed address', { peerId: someone, addrs: [Uint8Array.of(0x04, 1, 2)], lastSeen: 1 }],
    [
      "another peer's address",
      {
        peerId: someone,
        addrs: [
          multiaddr('/ip4/8.8.8.8/tcp/1/p2p/12D3KooWRBhwfeP2Y4TCx1SM6s9rUoHhR5STiGwxBhgFRcw3UERE')
            .bytes,
        ],
        lastSeen: 1,
      },
    ],
  ])('%s costs its sender and adds nothing', async (_, bad) => {
    const good: ExchangedPeer = {
      peerId: someone,
      addrs: [multiaddr('/ip4/8.8.8.8/tcp/24100').bytes],
      lastSeen: 1,
    }
    const { node, penalties, host } = await askedBy(answerOf([good, bad]))
    await until(() => penalties.length > 0, 'the penalty')
    expect(penalties.map((p) => [p.code, p.action, p.peer.toString()])).toEqual([
      ['PEER_EXCHANGE_INVALID', 'low-tolerance', host.peerId.toString()],
    ])
    expect(node.services.discovery.book.get(SOMEONE)).toBeUndefined()
    expect(node.services.discovery.stats()).toMatchObject({ invalidAnswers: 1, learned: 0 })
  })

  it('an undecodable answer costs its sender the decoding error', async () => {
    const { penalties } = await askedBy(Uint8Array.of(0x50, 0, 0))
    await until(() => penalties.length > 0, 'the penalty')
    expect(penalties[0]!.code).toBe('PROTOCOL_UNEXPECTED_MESSAGE')
  })

  it('private and foreign-transport addresses are dropped at no cost', async () => {
    const { node, penalties } = await askedBy(
      answerOf([
        {
          peerId: someone,
          addrs: [
            multiaddr('/ip4/192.168.1.7/tcp/24100').bytes,
            multiaddr('/ip4/8.8.8.8/udp/1/quic-v1').bytes,
            multiaddr(memoryAddress()).bytes,
            multiaddr('/ip4/8.8.8.8/tcp/24100').bytes,
          ],
          lastSeen: Date.now() + 3_600_000,
        },
      ]),
      false,
    )
    await until(() => node.services.discovery.book.size > 0, 'the peer learned')
    const entry = node.services.discovery.book.get(SOMEONE)!
    expect(entry.addrs).toEqual(['/ip4/8.8.8.8/tcp/24100'])
    // A time in the future counts as now.
    expect(entry.lastSeen).toBeLessThanOrEqual(Date.now())
    expect(penalties).toEqual([])
  })
})
