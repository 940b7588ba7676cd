// The defence layer's IP gate over loopback TCP (src/core/net/defence): the per-IP cap on inbound
// connections — counted from the socket until it closes, loopback exempt only when configured —
// and the IP blacklist that a ban fills (a new identity from the banned peer's address is refused
// until the entry's TTL ends and the sweep drops it), plus the operator's own entries, which also
// stop dials. The gate is one connection gater composed with the handshake's bans. Every wait is
// bounded; every host stops in afterEach.
import type { Connection } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { afterEach, describe, expect, it } from 'vitest'
import {
  banGater,
  composeGaters,
  Defence,
  type DefenceSettings,
  type HandshakeService,
  handshake,
  type PeerBan,
} from '../../../src/core/net/index.ts'
import { PeerRole } from '../../../src/core/protocol/handshake.ts'
import { createNodeHost } from '../../../src/node/net/host.ts'
import { until } from '../../support/net-engines.ts'
import {
  addressOf,
  GENESIS,
  handshakeHost,
  OTHER_GENESIS,
  stopAll,
  TIP,
  track,
} from '../../support/net-hosts.ts'

afterEach(stopAll)

const LOOPBACK = '127.0.0.1'

/** A full node on loopback TCP defended by a `Defence` with `settings`. */
async function guarded(settings: Partial<DefenceSettings>) {
  const guard = new Defence({ settings })
  const host = track(
    await createNodeHost({
      listen: { host: LOOPBACK, tcpPort: 0, wsPort: null },
      connectionGater: composeGaters(guard.gater, banGater(guard)),
      gossipsub: false,
      services: {
        defence: guard.service(),
        handshake: handshake({
          network: 'devnet',
          genesisHash: GENESIS,
          role: PeerRole.FullNode,
          tip: () => TIP,
          timeoutMs: 10_000,
          bans: guard,
        }),
      },
    }),
  )
  const bans: PeerBan[] = []
  guard.addEventListener('peer:banned', (e) => bans.push(e.detail))
  return { guard, host, bans, address: addressOf(host, 'tcp') }
}

/** A light client on loopback TCP, on the same chain (or `genesisHash`'s). */
function client(genesisHash = GENESIS) {
  return handshakeHost('tcp', { role: PeerRole.LightClient, genesisHash })
}

/** Resolves once `dialer`'s connection to `address` is handshaken: the gate let it in. */
async function admitted(
  dialer: {
    dial: (a: Multiaddr) => Promise<Connection>
    services: { handshake: HandshakeService }
  },
  address: Multiaddr,
): Promise<void> {
  const connection = await dialer.dial(address)
  await dialer.services.handshake.verified(connection, { signal: AbortSignal.timeout(5_000) })
}

/** Whether the dial fails or its connection is closed at once (refused at the socket or after Noise). */
async function isRefused(dial: () => Promise<Connection>): Promise<boolean> {
  let connection: Connection
  try {
    connection = await dial()
  } catch {
    return true
  }
  try {
    await until(() => connection.status !== 'open', 'closed', 1_000)
    return true
  } catch {
    return false
  }
}

describe('the per-IP cap', () => {
  it('refuses a third connection from one address, and takes one again when another closes', async () => {
    const { guard, host, address } = await guarded({ maxConnectionsPerIp: 2 })
    const [c1, c2, c3] = [await client(), await client(), await client()]
    const first = await c1.dial(address)
    await c2.dial(address)
    expect(guard.connectionsFrom(LOOPBACK)).toBe(2)
    expect(await isRefused(() => c3.dial(address))).toBe(true)
    expect(guard.stats().refusedPerIp).toBe(1)
    expect(host.getConnections(c3.peerId)).toHaveLength(0)

    await first.close()
    await until(() => guard.connectionsFrom(LOOPBACK) === 1, 'the closed connection released')
    await admitted(c3, address)
    expect(guard.connectionsFrom(LOOPBACK)).toBe(2)
    await Promise.all([c2, c3].map((c) => c.stop()))
    await until(() => guard.connectionsFrom(LOOPBACK) === 0, 'every count released')
  })

  it('leaves loopback alone when configured to', async () => {
    const { guard, address } = await guarded({ maxConnectionsPerIp: 1, exemptLoopback: true })
    for (let i = 0; i < 3; i++) await admitted(await client(), address)
    expect(guard.connectionsFrom(LOOPBACK)).toBe(0)
    expect(guard.stats().refusedPerIp).toBe(0)
  })
})

describe('the IP blacklist', () => {
  it('a ban blacklists the peer’s address: a new identity from it is refused until the entry ends and is swept', async () => {
    const { guard, address, bans } = await guarded({
      ipBlacklistSeconds: 0.5,
      cleanupIntervalSeconds: 0.1,
    })
    const other = await client(OTHER_GENESIS)
    expect(await isRefused(() => other.dial(address))).toBe(true)
    await until(() => bans.length === 1, 'the other chain is banned')
    expect(bans[0]!.code).toBe('HANDSHAKE_WRONG_GENESIS')
    expect(bans[0]!.ips).toEqual([LOOPBACK])
    expect(guard.isBlacklisted(LOOPBACK)).toBe(true)

    // A fresh identity on the same address: refused at the socket.
    const fresh = await client()
    expect(await isRefused(() => fresh.dial(address))).toBe(true)
    expect(guard.stats().refusedBlacklisted).toBeGreaterThanOrEqual(1)

    // The entry ends after 0.5 s and the sweep (every 0.1 s) drops it.
    await until(() => guard.stats().blacklistedIps === 0, 'the entry swept', 3_000)
    await admitted(fresh, address)
    // The banned peer itself stays banned by its id.
    expect(guard.isBanned(other.peerId)).toBe(true)
    expect(await isRefused(() => other.dial(address))).toBe(true)
  })

  it('does not blacklist loopback when loopback is exempt', async () => {
    const { guard, address, bans } = await guarded({ exemptLoopback: true })
    expect(await isRefused(async () => (await client(OTHER_GENESIS)).dial(address))).toBe(true)
    await until(() => bans.length === 1, 'the other chain is banned')
    expect(bans[0]!.ips).toEqual([])
    expect(guard.stats().blacklistedIps).toBe(0)
    await admitted(await client(), address)
  })

  it('takes the operator’s entries, which also stop dials to the address', async () => {
    const { guard, host } = await guarded({})
    const peer = await client()
    expect(guard.blacklistIp(LOOPBACK, 60)).toBe(true)
    expect(guard.blacklistIp('not an address')).toBe(false)
    expect(await isRefused(() => host.dial(addressOf(peer, 'tcp')))).toBe(true)
    expect(guard.unblacklistIp(LOOPBACK)).toBe(true)
    await admitted(host, addressOf(peer, 'tcp'))
  })
})
