// The defence layer under attack (issue 10, point 10): four masternodes, each defended by a
// `Defence` (scores, rate limits, the composed gater), finalize payments over @libp2p/memory while a
// fifth peer (a) floods well-formed frames past the rate limit — throttled, then banned; (b) sends
// malformed frames, or malformed hellos — banned at the fifth low-tolerance error; (c) announces
// frames over the limit by their length prefix — refused before any payload is buffered, charged,
// and banned when it keeps on; (d) handshakes on another genesis — refused and banned at once.
// Payments issued during each attack are final everywhere; no honest member is charged. Every
// flood is bounded in count and time, every wait is bounded, every host stops after each test.
import type { Connection, PeerId, Stream } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import { Uint8ArrayList } from 'uint8arraylist'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { bytesToHex, COIN, MIN_FEE, sha256, utf8ToBytes } from '../../../src/core/index.ts'
import { LinkState, MemoryPeerBook, type PeerBan } from '../../../src/core/net/index.ts'
import { PeerRole } from '../../../src/core/protocol/handshake.ts'
import { protocolId } from '../../../src/core/protocol/protocol-ids.ts'
import { PROTOCOLS, protocolIdOf } from '../../../src/core/protocol/protocols.ts'
import { createVerifierPool, type VerifierPool } from '../../../src/node/crypto/verifier-pool.ts'
import { engineFixture } from '../../support/engine-fixture.ts'
import { type Built, type Coin, keyPair, spend } from '../../support/ledger-fixture.ts'
import {
  addressesOf,
  type ClusterSetup,
  FAST_CHAIN,
  FAST_LINKS,
  type LinkOnlyHost,
  type Masternode,
  startCommittee,
  startLinkOnly,
  startWallet,
  stopCluster,
  until,
} from '../../support/net-engines.ts'
import { handshakeHost, OTHER_GENESIS, rawHost, stopAll } from '../../support/net-hosts.ts'

const owners = Array.from({ length: 8 }, (_, i) => keyPair(400 + i))
const fx = engineFixture('defence attack', 110, owners)

/**
 * The defaults but a limit low enough to flood on a shared machine (200 frames a second per class;
 * the committee's own traffic here is a few dozen) and a charge every 50 ms over it, so ten
 * MidToleranceErrors — a ban — take half a second of flooding; and scores that decay in steps of a
 * day, so no step boundary falls inside a test and five low-tolerance errors ban exactly.
 */
const DEFENCE = {
  maxRequestsPerSecond: 200,
  rateLimitPenaltyIntervalSeconds: 0.05,
  scoreHalfLifeSeconds: 10 * 86_400,
}

const CONSENSUS = protocolIdOf('devnet', 'consensus')

let pool: VerifierPool
beforeAll(() => {
  pool = createVerifierPool(2)
})
afterAll(() => pool.close())
afterEach(async () => {
  await stopAll()
  await stopCluster()
})

function setup(): ClusterSetup {
  return {
    transport: 'memory',
    committee: fx.committee,
    genesis: fx.genesis,
    chain: FAST_CHAIN,
    verifier: pool,
    links: FAST_LINKS,
    book: new MemoryPeerBook(),
  }
}

const hex = (b: Built) => bytesToHex(b.txid)

function pay(coin: Coin, toIndex: number): Built {
  return spend(
    [coin],
    [
      { to: owners[toIndex]!, value: COIN },
      { to: coin.owner, value: coin.value - COIN - MIN_FEE },
    ],
  )
}

/** Four defended masternodes, linked, and the setup (its peer book) they share. */
async function committee(): Promise<{ s: ClusterSetup; nodes: Masternode[] }> {
  const s = setup()
  return { s, nodes: await startCommittee(s, fx.masternodes, () => ({ defence: DEFENCE })) }
}

/** Submits `payments` at the nodes in turn and resolves once every one is final at every node. */
async function finalEverywhere(nodes: readonly Masternode[], payments: readonly Built[]) {
  await Promise.all(payments.map((b, i) => nodes[i % nodes.length]!.engine.submit(b.tx)))
  await until(
    () => payments.every((b) => nodes.every((n) => n.finalized.has(hex(b)))),
    'the payments made during the attack are final everywhere',
    15_000,
  )
}

/** Nothing went wrong among the honest members: no alarm, no member charged or banned. */
function honestUntouched(nodes: readonly Masternode[]): void {
  for (const n of nodes) {
    expect(n.alarms).toEqual([])
    for (const m of nodes) {
      if (m === n) continue
      expect(n.defence!.isBanned(m.host.peerId)).toBe(false)
      expect(n.defence!.score(m.host.peerId)).toBe(0)
    }
  }
}

function bansOf(node: Masternode): PeerBan[] {
  const bans: PeerBan[] = []
  node.defence!.addEventListener('peer:banned', (e) => bans.push(e.detail))
  return bans
}

/** A masternode outside the committee with a guest link to `target`, opened from its side. */
async function rogueLinkedTo(s: ClusterSetup, target: Masternode): Promise<LinkOnlyHost> {
  const rogue = await startLinkOnly(s, keyPair(190))
  rogue.services.committeeLinks.setCommittee([target.key.publicKey])
  await until(
    () => rogue.services.committeeLinks.state(target.key.publicKey) === LinkState.Connected,
    'the rogue is linked',
  )
  return rogue
}

/** Four defended masternodes; the first, `a`, with its bans recorded and a rogue linked to it. */
async function underAttack() {
  const { s, nodes } = await committee()
  const a = nodes[0]!
  const bans = bansOf(a)
  const rogue = await rogueLinkedTo(s, a)
  return { nodes, a, bans, rogue, aKey: bytesToHex(a.key.publicKey) }
}

function isConnected(node: Masternode, peer: PeerId): boolean {
  return node.host.getConnections(peer).some((c) => c.status === 'open')
}

/** The dial fails, or the connection it made is closed at once (refused after Noise). */
async function refused(dial: () => Promise<Connection>): Promise<void> {
  let connection: Connection
  try {
    connection = await dial()
  } catch {
    return
  }
  await until(() => connection.status !== 'open', 'the refused connection is closed', 3_000)
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('a defended committee under attack', () => {
  it('(a) a peer flooding well-formed frames is throttled, then banned, while payments finalize', async () => {
    const { nodes, a, bans, rogue, aKey } = await underAttack()
    // Well-formed requests for transactions nobody has: cheap to send, decodable, class `request`.
    const frames = Array.from({ length: 100 }, (_, i) =>
      PROTOCOLS.consensus.dialer.encode({
        type: 'TransactionRequest',
        txid: sha256(utf8ToBytes(`nothing ${i}`)) as never,
      }),
    )
    const framesBefore = a.engine.stats().framesIn
    // At most 100 rounds of 100 frames, 20 ms apart (≈ 5,000 frames a second, 25 × the limit).
    const flood = (async () => {
      for (let round = 0; round < 100 && bans.length === 0; round++) {
        for (const f of frames) rogue.services.committeeLinks.send(aKey, f)
        await sleep(20)
      }
    })()
    const during = [pay(fx.coin(0), 1), pay(fx.coin(1), 2)]
    await finalEverywhere(nodes, during)
    await flood
    await until(() => bans.length === 1, 'the flooder is banned', 5_000)

    const stats = a.defence!.stats()
    expect(bans[0]!.peer.equals(rogue.peerId)).toBe(true)
    expect(bans[0]!.code).toBe('PEER_RATE_LIMITED')
    // Throttled first: frames over the limit were dropped and charged, ten charges made the ban.
    expect(stats.throttled.request).toBeGreaterThan(0)
    expect(stats.penalties['mid-tolerance']).toBeGreaterThanOrEqual(10)
    expect(stats.bans).toBe(1)
    // Only about a burst and the rate's worth reached the engine.
    const admitted = a.engine.stats().framesIn - framesBefore
    expect(admitted).toBeLessThan(stats.throttled.request)
    await until(() => !isConnected(a, rogue.peerId), 'the flooder is disconnected')
    // It cannot come back while banned.
    await refused(() => rogue.dial(addressesOf(a.host, 'memory')))
    expect(a.defence!.isBanned(rogue.peerId)).toBe(true)
    honestUntouched(nodes)
  })

  it('(b) a peer sending malformed frames is banned at its fifth low-tolerance error', async () => {
    const { nodes, a, bans, rogue, aKey } = await underAttack()
    const during = [pay(fx.coin(2), 3), pay(fx.coin(3), 4)]
    const final = finalEverywhere(nodes, during)
    // An unknown message tag: an INVALID_VALUE decoding error, low tolerance.
    for (let i = 1; i <= 4; i++) {
      rogue.services.committeeLinks.send(aKey, Uint8Array.of(0xee, i))
      await until(() => a.penalties.length === i, `malformed frame ${i} charged`)
    }
    expect(a.defence!.score(rogue.peerId)).toBeCloseTo(80, 0)
    expect(a.defence!.isBanned(rogue.peerId)).toBe(false)
    rogue.services.committeeLinks.send(aKey, Uint8Array.of(0xee, 5))
    await until(() => bans.length === 1, 'banned at the fifth')
    expect(a.penalties.map((p) => p.code)).toEqual(Array(5).fill('INVALID_VALUE'))
    expect(a.penalties.every((p) => p.action === 'low-tolerance')).toBe(true)
    expect(bans[0]!.code).toBe('INVALID_VALUE')
    await until(() => !isConnected(a, rogue.peerId), 'the rogue is disconnected')
    await final
    honestUntouched(nodes)
  })

  it('(b) malformed hellos cost their peer too: the fifth bans it and its next dial is refused', async () => {
    const { nodes } = await committee()
    const a = nodes[0]!
    const bans = bansOf(a)
    const raw = await rawHost('memory')
    const during = [pay(fx.coin(4), 5)]
    const final = finalEverywhere(nodes, during)
    for (let i = 0; i < 5; i++) {
      const connection = await raw.dial(addressesOf(a.host, 'memory'))
      const stream = await connection.newStream(protocolId('devnet', 'handshake'))
      // Version 1, then a network name of length 99 (> 16): LIMIT_EXCEEDED, low tolerance.
      await lpStream(stream).write(Uint8Array.of(1, 0, 99))
      // Our end closed at once: the masternode waits for it before it closes the connection.
      stream.close().catch(() => {})
      await until(() => connection.status !== 'open', `hello ${i + 1} refused`)
    }
    await until(() => bans.length === 1, 'banned at the fifth')
    expect(bans[0]!.code).toBe('LIMIT_EXCEEDED')
    expect(a.defence!.stats().penalties['low-tolerance']).toBe(5)
    await refused(() => raw.dial(addressesOf(a.host, 'memory')))
    await final
    honestUntouched(nodes)
  })

  it('(c) an oversize length prefix is refused before its payload is buffered, charged, and banned when repeated', async () => {
    const { nodes, a, bans, rogue } = await underAttack()
    const rogueSide = rogue.getConnections(a.host.peerId).find((c) => c.status === 'open')!
    const during = [pay(fx.coin(5), 6), pay(fx.coin(6), 7)]
    const final = finalEverywhere(nodes, during)
    const announce = PROTOCOLS.consensus.maxDataLength + 1
    const streams: Stream[] = []
    for (let i = 1; i <= 5; i++) {
      const stream = await rogueSide.newStream(CONSENSUS)
      streams.push(stream)
      // The prefix of a frame over the limit, and 1 KiB of it: judged by the prefix alone.
      stream.send(new Uint8ArrayList(encodeLength(announce), new Uint8Array(1_024)))
      await until(
        () => a.penalties.filter((p) => p.code === 'PROTOCOL_FRAME_TOO_LARGE').length === i,
        `oversize frame ${i} charged`,
      )
      await until(() => stream.status !== 'open', `stream ${i} reset`)
      if (i < 5) expect(a.defence!.isBanned(rogue.peerId)).toBe(false)
    }
    await until(() => bans.length === 1, 'banned at the fifth')
    expect(bans[0]!.code).toBe('PROTOCOL_FRAME_TOO_LARGE')
    expect(a.links.stats().frameErrors).toBeGreaterThanOrEqual(5)
    await until(() => !isConnected(a, rogue.peerId), 'the rogue is disconnected')
    await final
    honestUntouched(nodes)
  })

  it('(c) an oversize tx frame is refused by its prefix and costs its sender', async () => {
    const { nodes } = await committee()
    const a = nodes[0]!
    const wallet = await startWallet('memory')
    const connection = await wallet.dial(addressesOf(a.host, 'memory'))
    const stream = await connection.newStream(protocolIdOf('devnet', 'tx'))
    stream.send(
      new Uint8ArrayList(encodeLength(PROTOCOLS.tx.maxDataLength + 1), new Uint8Array(64)),
    )
    await until(
      () => a.penalties.some((p) => p.code === 'PROTOCOL_FRAME_TOO_LARGE'),
      'the oversize tx frame is charged',
    )
    expect(a.penalties[0]!.peer.equals(wallet.peerId)).toBe(true)
    expect(a.defence!.score(wallet.peerId)).toBeCloseTo(20, 0)
    await until(() => stream.status !== 'open', 'the tx stream is reset')
    await finalEverywhere(nodes, [pay(fx.coin(7), 0)])
  })

  it('(d) a peer on another genesis is refused at the handshake and banned', async () => {
    const { nodes } = await committee()
    const a = nodes[0]!
    const bans = bansOf(a)
    const other = await handshakeHost(
      'memory',
      { role: PeerRole.FullNode, genesisHash: OTHER_GENESIS },
      undefined,
    )
    const during = [pay(fx.coin(0), 3), pay(fx.coin(1), 4)]
    const final = finalEverywhere(nodes, during)
    await refused(() => other.dial(addressesOf(a.host, 'memory')))
    await until(() => bans.length === 1, 'the other chain is banned')
    expect(bans[0]!.code).toBe('HANDSHAKE_WRONG_GENESIS')
    expect(bans[0]!.peer.equals(other.peerId)).toBe(true)
    expect(a.defence!.stats().penalties.fatal).toBe(1)
    await until(() => !isConnected(a, other.peerId), 'disconnected')
    await refused(() => other.dial(addressesOf(a.host, 'memory')))
    expect(a.defence!.isBanned(other.peerId)).toBe(true)
    await final
    honestUntouched(nodes)
  })
})

function encodeLength(n: number): Uint8Array {
  const out: number[] = []
  for (let v = n; ; v = Math.floor(v / 128)) {
    out.push(v >= 128 ? (v % 128) | 0x80 : v)
    if (v < 128) return Uint8Array.from(out)
  }
}
