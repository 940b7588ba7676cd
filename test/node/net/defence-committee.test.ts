// Committee members and the rate limits (issue 10, point 7): a peer whose handshake proved a key
// of the current committee has its own, much larger buckets on its committee link — at honest
// committee rates it is never throttled, charged or banned — while strangers, guests (masternodes
// outside the committee) and the member's own other protocols keep the stranger's limit, a member
// past even the committee limit is throttled and charged, and a member sending garbage is still
// banned. First the Defence alone on an injected clock, then four masternodes over @libp2p/memory
// whose stranger limit (2 frames a second) is far below their committee's traffic.

import { generateKeyPair as generatePeerKey } from '@libp2p/crypto/keys'
import type { PeerId } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { PeerAction } from '../../../src/core/errors.ts'
import { bytesToHex, COIN, MIN_FEE } from '../../../src/core/index.ts'
import { Defence } from '../../../src/core/net/defence/defence-service.ts'
import { LinkState, MemoryPeerBook } from '../../../src/core/net/index.ts'
import { ENGINE_MESSAGE_TAGS } from '../../../src/core/protocol/engine-messages.ts'
import { createVerifierPool, type VerifierPool } from '../../../src/node/crypto/verifier-pool.ts'
import { engineFixture } from '../../support/engine-fixture.ts'
import { type Built, type Coin, keyPair, spend } from '../../support/ledger-fixture.ts'
import {
  type ClusterSetup,
  FAST_CHAIN,
  FAST_LINKS,
  startCommittee,
  startLinkOnly,
  stopCluster,
  until,
} from '../../support/net-engines.ts'

let MEMBER: PeerId
let STRANGER: PeerId
beforeAll(async () => {
  MEMBER = peerIdFromPrivateKey(await generatePeerKey('Ed25519'))
  STRANGER = peerIdFromPrivateKey(await generatePeerKey('Ed25519'))
})

/** A committee-link frame of the consensus class (a vote's tag; the body is never decoded here). */
const VOTE = Uint8Array.of(ENGINE_MESSAGE_TAGS.InstantFinalityVote, 0, 0)
/** A committee-link frame of the tx class. */
const BROADCAST = Uint8Array.of(ENGINE_MESSAGE_TAGS.TransactionBroadcast, 0, 0)

/**
 * A started Defence on a clock moved by hand, whose committee is `MEMBER`; a peer over its limit
 * is charged every 100 ms, so three seconds of flooding make a ban.
 */
async function defended(settings = {}) {
  let t = 1_000_000
  const defence = new Defence({
    settings: { rateLimitPenaltyIntervalSeconds: 0.1, ...settings },
    now: () => t,
  })
  defence.service()({
    connectionManager: { closeConnections: async () => {}, getConnections: () => [] },
    committeeLinks: { isCommitteePeer: (peer: PeerId) => peer.equals(MEMBER) },
  })
  await defence.start()
  return {
    defence,
    advance: (ms: number) => {
      t += ms
    },
  }
}

/**
 * `peer` sends `perSecond` frames a second for `seconds` seconds, in steps of 10 ms; returns how
 * many were admitted.
 */
function send(
  d: Awaited<ReturnType<typeof defended>>,
  peer: PeerId,
  protocol: 'consensus' | 'tx',
  frame: Uint8Array,
  perSecond: number,
  seconds: number,
): number {
  let admitted = 0
  for (let step = 0; step < seconds * 100; step++) {
    for (let i = 0; i < perSecond / 100; i++) if (d.defence.admit(peer, protocol, frame)) admitted++
    d.advance(10)
  }
  return admitted
}

describe('committee members and the rate limits (the Defence alone)', () => {
  it('a member forwarding 5,000 votes and 5,000 broadcasts a second for 3 s is never throttled or charged', async () => {
    const d = await defended()
    expect(send(d, MEMBER, 'consensus', VOTE, 5_000, 3)).toBe(15_000)
    expect(send(d, MEMBER, 'consensus', BROADCAST, 5_000, 3)).toBe(15_000)
    const stats = d.defence.stats()
    expect(stats.throttled.consensus + stats.throttled.tx).toBe(0)
    expect(stats.committeeFrames).toBe(30_000)
    expect(d.defence.score(MEMBER)).toBe(0)
    await d.defence.stop()
  })

  it('a stranger sending the same on the consensus protocol is throttled, then banned', async () => {
    const d = await defended()
    const admitted = send(d, STRANGER, 'consensus', VOTE, 5_000, 3)
    // A burst and the rate's worth, at most, of 15,000.
    expect(admitted).toBeLessThanOrEqual(1_000 + 3 * 1_000 + 1)
    // Throttled, then (once banned) dropped.
    const stats = d.defence.stats()
    expect(stats.throttled.consensus).toBeGreaterThan(0)
    expect(stats.throttled.consensus + stats.droppedBanned).toBe(15_000 - admitted)
    expect(d.defence.isBanned(STRANGER)).toBe(true)
    expect(d.defence.stats().committeeFrames).toBe(0)
    await d.defence.stop()
  })

  it("a member's other protocols keep the stranger's limit", async () => {
    const d = await defended()
    const admitted = send(d, MEMBER, 'tx', BROADCAST, 5_000, 3)
    expect(admitted).toBeLessThanOrEqual(1_000 + 3 * 1_000 + 1)
    expect(d.defence.stats().throttled.tx).toBeGreaterThan(0)
    expect(d.defence.isBanned(MEMBER)).toBe(true)
    expect(d.defence.stats().committeeFrames).toBe(0)
    await d.defence.stop()
  })

  it('a member past the committee limit is throttled and charged, then banned', async () => {
    const d = await defended({ committeeRequestsPerSecond: 2_000 })
    const admitted = send(d, MEMBER, 'consensus', VOTE, 10_000, 3)
    expect(admitted).toBeLessThanOrEqual(2_000 + 3 * 2_000 + 1)
    const stats = d.defence.stats()
    expect(stats.throttled.consensus).toBeGreaterThan(0)
    expect(stats.throttled.consensus + stats.droppedBanned).toBe(30_000 - admitted)
    expect(d.defence.isBanned(MEMBER)).toBe(true)
    expect(d.defence.admit(MEMBER, 'consensus', VOTE)).toBe(false)
    await d.defence.stop()
  })

  it('a member sending garbage is charged like anyone: the fifth low-tolerance error bans it', async () => {
    const d = await defended()
    for (let i = 0; i < 5; i++) {
      expect(d.defence.isBanned(MEMBER)).toBe(false)
      d.defence.penalize({
        peer: MEMBER,
        action: PeerAction.LowToleranceError,
        code: 'PROTOCOL_MALFORMED',
        reason: 'an undecodable frame',
      })
    }
    expect(d.defence.isBanned(MEMBER)).toBe(true)
    // Banned: even its committee-link frames are dropped now.
    expect(d.defence.admit(MEMBER, 'consensus', VOTE)).toBe(false)
    expect(d.defence.stats().droppedBanned).toBe(1)
    await d.defence.stop()
  })

  it('without a committee links service every peer has the stranger limit', async () => {
    let t = 0
    const defence = new Defence({ now: () => t })
    await defence.start()
    let admitted = 0
    for (let i = 0; i < 3_000; i++) if (defence.admit(MEMBER, 'consensus', VOTE)) admitted++
    t += 1
    expect(admitted).toBe(1_000)
    await defence.stop()
  })
})

const owners = Array.from({ length: 8 }, (_, i) => keyPair(700 + i))
const fx = engineFixture('defence committee', 111, owners)

let pool: VerifierPool
beforeAll(() => {
  pool = createVerifierPool(2)
})
afterAll(() => pool.close())
afterEach(async () => {
  await stopCluster()
})

function pay(coin: Coin, toIndex: number): Built {
  return spend(
    [coin],
    [
      { to: owners[toIndex]!, value: COIN },
      { to: coin.owner, value: coin.value - COIN - MIN_FEE },
    ],
  )
}

describe('committee members and the rate limits (four masternodes)', () => {
  it("a committee whose traffic is far over the stranger limit finalizes with no member charged, while a guest link keeps the stranger's limit", async () => {
    const s: ClusterSetup = {
      transport: 'memory',
      committee: fx.committee,
      genesis: fx.genesis,
      chain: FAST_CHAIN,
      verifier: pool,
      links: FAST_LINKS,
      book: new MemoryPeerBook(),
    }
    // Two frames a second per class for anyone else: the committee's own traffic (a few dozen
    // frames a second per link) would be throttled and banned without its own buckets.
    const settings = {
      maxRequestsPerSecond: 2,
      rateLimitPenaltyIntervalSeconds: 0.05,
      scoreHalfLifeSeconds: 10 * 86_400,
    }
    const nodes = await startCommittee(s, fx.masternodes, () => ({ defence: settings }))
    const payments = Array.from({ length: 6 }, (_, i) => pay(fx.coin(i), (i + 1) % 8))
    await Promise.all(payments.map((b, i) => nodes[i % nodes.length]!.engine.submit(b.tx)))
    await until(
      () => payments.every((b) => nodes.every((n) => n.finalized.has(bytesToHex(b.txid)))),
      'the payments are final everywhere',
      15_000,
    )
    for (const n of nodes) {
      const stats = n.defence!.stats()
      expect(stats.committeeFrames).toBeGreaterThan(0)
      expect(stats.penalties['mid-tolerance']).toBe(0)
      expect(stats.bans).toBe(0)
      for (const m of nodes) {
        if (m === n) continue
        expect(n.links.isCommitteePeer(m.host.peerId)).toBe(true)
        expect(n.defence!.score(m.host.peerId)).toBe(0)
      }
    }
    // A masternode outside the committee, linked as a guest: not a member, so the stranger's limit.
    const a = nodes[0]!
    const guest = await startLinkOnly(s, keyPair(191))
    guest.services.committeeLinks.setCommittee([a.key.publicKey])
    await until(
      () => guest.services.committeeLinks.state(a.key.publicKey) === LinkState.Connected,
      'the guest is linked',
    )
    expect(a.links.isCommitteePeer(guest.peerId)).toBe(false)
    const aKey = bytesToHex(a.key.publicKey)
    for (let i = 0; i < 50; i++) guest.services.committeeLinks.send(aKey, VOTE)
    await until(() => a.defence!.stats().throttled.consensus > 0, 'the guest is throttled', 5_000)
    expect(a.defence!.score(guest.peerId)).toBeGreaterThan(0)
  })
})
