// The default connection limits fit issue 10's fan-out target: with `maxconnections` as resolved
// from no settings at all, the committee's reserved 40% still leaves room for 1,000 wallet
// subscribers (the wallet service's cap) and relay peers — checked by arithmetic and by the
// committee slots gate's decision over simulated connection counts; the defence's per-IP cap
// admits 1,000 wallets from 1,000 addresses and stops one address taking more than its share.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { MultiaddrConnection, PeerId } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { afterAll, describe, expect, it } from 'vitest'
import { generateKeyPair } from '../../../src/core/index.ts'
import { CommitteeLinks } from '../../../src/core/net/committee-links/committee-links-service.ts'
import { DEFAULT_RESERVED_SHARE } from '../../../src/core/net/committee-links/constants.ts'
import type { CommitteeLinksComponents } from '../../../src/core/net/committee-links/types.ts'
import { Defence } from '../../../src/core/net/defence/defence-service.ts'
import { DEFAULT_MAX_TRACKED_CONNECTIONS } from '../../../src/core/net/handshake/constants.ts'
import { DEFAULT_MAX_WALLETS } from '../../../src/core/net/wallet-service/constants.ts'
import { resolveSettings } from '../../../src/node/config/index.ts'
import { DEFAULT_MAX_CONNECTIONS } from '../../../src/node/config/settings.ts'
import { DEFAULT_MAX_CONNECTIONS as HOST_MAX_CONNECTIONS } from '../../../src/node/net/host.ts'

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

/** The settings a node resolves with no flag, variable or time.conf. */
function defaults() {
  const datadir = mkdtempSync(join(tmpdir(), 'timecoin-limits-'))
  dirs.push(datadir)
  return resolveSettings({ env: {}, flags: { datadir } })
}

const peer = (name: string) => ({ toString: () => name, equals: () => false }) as unknown as PeerId

/** A links service over a connection manager holding `connections` (only counts matter). */
function linksWith(maxConnections: number, connections: { count: number }) {
  const components = {
    peerId: peer('self'),
    registrar: { handle: async () => {}, unhandle: async () => {} },
    connectionManager: {
      getMaxConnections: () => maxConnections,
      getConnections: () =>
        Array.from({ length: connections.count }, (_, i) => ({ remotePeer: peer(`wallet-${i}`) })),
      openConnection: async () => {
        throw new Error('no dialling here')
      },
      closeConnections: async () => {},
    },
    peerStore: { merge: async () => ({}) },
    handshake: {
      peer: () => undefined,
      peerOfMasternode: () => undefined,
      verified: async () => {
        throw new Error('no handshakes here')
      },
      verifiedConnection: () => undefined,
      addEventListener: () => {},
      removeEventListener: () => {},
    },
  } as unknown as CommitteeLinksComponents
  return new CommitteeLinks(components, {
    network: 'testnet',
    masternodeKey: generateKeyPair().publicKey,
  })
}

/** An accepted socket from `ip`, open until the test is done with it. */
function socketFrom(ip: string): MultiaddrConnection {
  return {
    remoteAddr: multiaddr(`/ip4/${ip}/tcp/40000`),
    status: 'open',
    addEventListener: () => {},
  } as unknown as MultiaddrConnection
}

describe('default connection limits', () => {
  it('maxconnections less the reserved 40% holds the 1,000 wallets the wallet service takes, and relay peers', () => {
    const s = defaults()
    expect(s.p2p.maxConnections).toBe(DEFAULT_MAX_CONNECTIONS)
    expect(HOST_MAX_CONNECTIONS).toBe(DEFAULT_MAX_CONNECTIONS)
    const reserved = Math.ceil(s.p2p.maxConnections * DEFAULT_RESERVED_SHARE)
    const others = s.p2p.maxConnections - reserved
    expect(DEFAULT_MAX_WALLETS).toBeGreaterThanOrEqual(1_000)
    // 1,000 wallets, and at least a hundred relay peers, full nodes and dials beside them.
    expect(others).toBeGreaterThanOrEqual(DEFAULT_MAX_WALLETS + 100)
    // The handshake tracks every connection the manager may hold.
    expect(DEFAULT_MAX_TRACKED_CONNECTIONS).toBeGreaterThanOrEqual(s.p2p.maxConnections)
  })

  it('the committee slots gate admits the 1,000th wallet and relay peers, then keeps the reserved slots', () => {
    const s = defaults()
    const held = { count: 0 }
    const links = linksWith(s.p2p.maxConnections, held)
    const reserved = links.reservedSlots
    expect(reserved).toBe(Math.ceil(s.p2p.maxConnections * DEFAULT_RESERVED_SHARE))
    // Every wallet up to the thousandth gets in (checked at a few counts: the gate is a compare).
    for (const count of [0, 1, 500, DEFAULT_MAX_WALLETS - 1]) {
      held.count = count
      expect(links.admitsNonMember()).toBe(true)
      expect(links.admitsInbound(peer('another wallet'))).toBe(true)
    }
    // 1,000 wallets held: a hundred relay peers still fit.
    held.count = DEFAULT_MAX_WALLETS + 99
    expect(links.admitsNonMember()).toBe(true)
    // Once strangers hold everything but the reserved slots, the next one is refused.
    held.count = s.p2p.maxConnections - reserved
    expect(links.admitsNonMember()).toBe(false)
    expect(links.admitsInbound(peer('one too many'))).toBe(false)
  })

  it('the per-IP cap admits 1,000 wallets from 1,000 addresses, and one address only its share', () => {
    const s = defaults()
    const defence = new Defence({ settings: s.defence })
    const deny = defence.gater.denyInboundConnection!
    for (let i = 0; i < DEFAULT_MAX_WALLETS; i++)
      expect(deny(socketFrom(`10.0.${i >> 8}.${i & 255}`))).toBe(false)
    expect(defence.stats().refusedPerIp).toBe(0)
    // One address (a NAT of wallets) gets the cap, then is refused: a small share of the slots.
    const cap = defence.settings.maxConnectionsPerIp
    expect(cap).toBeGreaterThanOrEqual(8)
    expect(cap * 10).toBeLessThanOrEqual(DEFAULT_MAX_WALLETS)
    for (let i = 0; i < cap; i++) expect(deny(socketFrom('192.0.2.7'))).toBe(false)
    expect(deny(socketFrom('192.0.2.7'))).toBe(true)
    expect(defence.connectionsFrom('192.0.2.7')).toBe(cap)
  })
})
