// The operator's bans: what `setban` accepts (addresses, subnets in both notations, IPv6, IPv4-mapped
// IPv6, peer ids) and in which canonical form; the gate's decisions for dials and connections
// (loopback included); a ban closing the connections it covers; expiry on an injected clock; and the
// RPC methods through the dispatcher with bitcoind's error codes, the defence's IP blacklist listed
// and cleared with the operator's bans.
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { MultiaddrConnection, PeerId } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import { PeerAction, PeerError } from '../../../src/core/errors.ts'
import { Defence } from '../../../src/core/net/index.ts'
import { BanList, type BannableConnection, parseBanTarget } from '../../../src/node/rpc/ban-list.ts'
import { banMethods } from '../../../src/node/rpc/ban-methods.ts'
import { RpcDispatcher } from '../../../src/node/rpc/dispatch.ts'
import { RpcRegistry } from '../../../src/node/rpc/registry.ts'

async function peer(): Promise<PeerId> {
  return peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
}

function inbound(address: string): MultiaddrConnection {
  return { remoteAddr: multiaddr(address) } as unknown as MultiaddrConnection
}

const call = { signal: new AbortController().signal, afterResponse: () => {} }

function rpc(bans: BanList, now: () => number) {
  const dispatcher = new RpcDispatcher(
    new RpcRegistry(banMethods(bans, { defaultSeconds: 3600, now })),
  )
  return async (method: string, params: unknown[] = []) => {
    const { json } = await dispatcher.handle(
      JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
      call,
    )
    return JSON.parse(json!) as {
      result?: unknown
      error?: { code: number; data: { code: string } }
    }
  }
}

describe('ban targets', () => {
  it('reads addresses, subnets and peer ids into one canonical form each', async () => {
    const text = (t: string) => parseBanTarget(t)?.text
    expect(text('1.2.3.4')).toBe('1.2.3.4/32')
    expect(text('1.2.3.77/24')).toBe('1.2.3.0/24')
    expect(text('1.2.3.77/255.255.255.0')).toBe('1.2.3.0/24')
    expect(text('10.9.8.7/0')).toBe('0.0.0.0/0')
    expect(text('2001:db8:aa::1/32')).toBe('2001:db8::/32')
    expect(text('::1')).toBe('::1/128')
    expect(text('::ffff:1.2.3.4')).toBe('1.2.3.4/32')
    expect(text('::ffff:1.2.3.4/120')).toBe('1.2.3.0/24')
    const id = await peer()
    expect(parseBanTarget(id.toString())).toMatchObject({ kind: 'peer', text: id.toString() })
    for (const bad of [
      'foo',
      '',
      '1.2.3.256',
      '1.2.3.4/33',
      '1.2.3.0/255.0.255.0',
      '2001:db8::/129',
      '1.2.3.4/x',
      `${id.toString()}/8`,
      '12D3KooWxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
    ])
      expect(parseBanTarget(bad), bad).toBeUndefined()
  })
})

describe('the ban list', () => {
  it('refuses dials to and connections from what it bans, loopback included, until the ban ends', async () => {
    let t = 1_000_000
    const bans = new BanList({ now: () => t })
    await bans.ban(parseBanTarget('127.0.0.2')!, t + 10_000)
    await bans.ban(parseBanTarget('10.0.0.0/8')!, t + 20_000)
    const g = bans.gater
    expect(g.denyInboundConnection!(inbound('/ip4/127.0.0.2/tcp/4000'))).toBe(true)
    expect(g.denyInboundConnection!(inbound('/ip4/127.0.0.1/tcp/4000'))).toBe(false)
    expect(g.denyInboundConnection!(inbound('/ip4/10.200.3.4/tcp/1/ws'))).toBe(true)
    expect(g.denyInboundConnection!(inbound('/ip6/::ffff:10.1.2.3/tcp/1'))).toBe(true)
    expect(g.denyInboundConnection!(inbound('/ip4/11.0.0.1/tcp/1'))).toBe(false)
    expect(g.denyDialMultiaddr!(multiaddr('/ip4/127.0.0.2/tcp/24000'))).toBe(true)
    expect(g.denyDialMultiaddr!(multiaddr('/dns4/example.org/tcp/24000'))).toBe(false)
    const banned = await peer()
    const other = await peer()
    await bans.ban(parseBanTarget(banned.toString())!, t + 5_000)
    expect(g.denyDialPeer!(banned)).toBe(true)
    expect(g.denyInboundEncryptedConnection!(banned, inbound('/ip4/8.8.8.8/tcp/1'))).toBe(true)
    expect(g.denyOutboundEncryptedConnection!(banned, inbound('/ip4/8.8.8.8/tcp/1'))).toBe(true)
    expect(g.denyInboundEncryptedConnection!(other, inbound('/ip4/8.8.8.8/tcp/1'))).toBe(false)
    expect(g.denyOutboundConnection!(other, inbound('/ip4/10.0.0.1/tcp/1'))).toBe(true)
    t += 5_000
    expect(g.denyDialPeer!(banned)).toBe(false)
    expect(g.denyInboundConnection!(inbound('/ip4/127.0.0.2/tcp/4000'))).toBe(true)
    t += 5_000
    expect(g.denyInboundConnection!(inbound('/ip4/127.0.0.2/tcp/4000'))).toBe(false)
    expect(g.denyInboundConnection!(inbound('/ip4/10.0.0.1/tcp/4000'))).toBe(true)
    expect(bans.list().map((e) => e.target.text)).toEqual(['10.0.0.0/8'])
  })

  it('closes the open connections a ban covers, and only those', async () => {
    const bans = new BanList()
    const closed: string[] = []
    const a = await peer()
    const b = await peer()
    const conn = (address: string, remotePeer: PeerId): BannableConnection => ({
      remoteAddr: multiaddr(address),
      remotePeer,
      close: async () => {
        closed.push(address)
      },
      abort: () => {},
    })
    const open = [
      conn('/ip4/127.0.0.2/tcp/5000', a),
      conn('/ip4/127.0.0.2/tcp/5001/ws', b),
      conn('/ip4/127.0.0.3/tcp/5002', b),
    ]
    bans.attach(() => open)
    expect(await bans.ban(parseBanTarget('127.0.0.2')!, Date.now() + 60_000)).toBe(2)
    expect(closed).toEqual(['/ip4/127.0.0.2/tcp/5000', '/ip4/127.0.0.2/tcp/5001/ws'])
    closed.length = 0
    expect(await bans.ban(parseBanTarget(b.toString())!, Date.now() + 60_000)).toBe(2)
    expect(closed).toEqual(['/ip4/127.0.0.2/tcp/5001/ws', '/ip4/127.0.0.3/tcp/5002'])
  })

  it('aborts a banned connection that does not close in order in time', async () => {
    const bans = new BanList()
    const aborted: string[] = []
    const stuck: BannableConnection = {
      remoteAddr: multiaddr('/ip4/127.0.0.2/tcp/5000'),
      remotePeer: await peer(),
      // A close that never finishes by itself, as a peer that stops reading would make it.
      close: ({ signal } = {}) =>
        new Promise((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason))),
      abort: (e) => {
        aborted.push(e.message)
      },
    }
    bans.attach(() => [stuck])
    expect(await bans.ban(parseBanTarget('127.0.0.2')!, Date.now() + 60_000)).toBe(1)
    expect(aborted).toEqual(['banned: 127.0.0.2/32'])
  })

  it('keeps at most maxEntries bans, dropping the oldest', async () => {
    const bans = new BanList({ maxEntries: 2 })
    for (const ip of ['1.1.1.1', '2.2.2.2', '3.3.3.3'])
      await bans.ban(parseBanTarget(ip)!, Date.now() + 60_000)
    expect(bans.list().map((e) => e.target.text)).toEqual(['2.2.2.2/32', '3.3.3.3/32'])
  })
})

describe('setban, listbanned, clearbanned', () => {
  it('add, list, remove and clear, with bitcoind’s answers and error codes', async () => {
    let t = 1_700_000_000_000
    const now = () => t
    const defence = new Defence({ now })
    const bans = new BanList({ defence, now })
    const call = rpc(bans, now)
    expect(await call('setban', ['192.168.1.7/24', 'add'])).toMatchObject({ result: null })
    expect(await call('setban', ['127.0.0.2', 'add', 60])).toMatchObject({ result: null })
    expect(await call('setban', ['2001:db8::', 'add', 2_000_000_000, true])).toMatchObject({
      result: null,
    })
    defence.blacklistIp('203.0.113.9', 100)
    t += 10_000
    const listed = (await call('listbanned')).result
    expect(listed).toEqual([
      {
        address: '192.168.1.0/24',
        ban_created: 1_700_000_000,
        banned_until: 1_700_003_600,
        ban_duration: 3600,
        time_remaining: 3590,
        source: 'operator',
      },
      {
        address: '127.0.0.2/32',
        ban_created: 1_700_000_000,
        banned_until: 1_700_000_060,
        ban_duration: 60,
        time_remaining: 50,
        source: 'operator',
      },
      {
        address: '2001:db8::/128',
        ban_created: 1_700_000_000,
        banned_until: 2_000_000_000,
        ban_duration: 300_000_000,
        time_remaining: 299_999_990,
        source: 'operator',
      },
      {
        address: '203.0.113.9/32',
        ban_created: null,
        banned_until: 1_700_000_100,
        ban_duration: null,
        time_remaining: 90,
        source: 'defence',
      },
    ])
    const error = async (method: string, params: unknown[]) => (await call(method, params)).error
    // Banned already (the same subnet however it is written): -23.
    expect(await error('setban', ['192.168.1.200/255.255.255.0', 'add'])).toMatchObject({
      code: -23,
      data: { code: 'RPC_ALREADY_BANNED' },
    })
    // An address inside a banned subnet is banned already too (bitcoind's IsBanned(addr)).
    expect(await error('setban', ['192.168.1.99', 'add'])).toMatchObject({ code: -23 })
    // No address, subnet or peer id; a remove of what is not banned: -30.
    expect(await error('setban', ['300.1.1.1', 'add'])).toMatchObject({
      code: -30,
      data: { code: 'RPC_INVALID_BAN_TARGET' },
    })
    expect(await error('setban', ['10.0.0.1', 'remove'])).toMatchObject({ code: -30 })
    // An absolute time in the past: -8. A bad command or bantime: -32602.
    expect(await error('setban', ['10.0.0.1', 'add', 1_600_000_000, true])).toMatchObject({
      code: -8,
      data: { code: 'RPC_BAN_TIME_PAST' },
    })
    expect(await error('setban', ['10.0.0.1', 'ban'])).toMatchObject({ code: -32602 })
    expect(await error('setban', ['10.0.0.1', 'add', -5])).toMatchObject({ code: -32602 })
    expect(await error('setban', ['10.0.0.1', 'add', '60'])).toMatchObject({ code: -32602 })
    // None of those changed anything.
    expect(((await call('listbanned')).result as unknown[]).length).toBe(4)

    expect(await call('setban', ['192.168.1.0/24', 'remove'])).toMatchObject({ result: null })
    // A single address the defence blacklisted is lifted by remove too.
    expect(await call('setban', ['203.0.113.9', 'remove'])).toMatchObject({ result: null })
    expect(defence.isBlacklisted('203.0.113.9')).toBe(false)
    expect(
      ((await call('listbanned')).result as { address: string }[]).map((e) => e.address),
    ).toEqual(['127.0.0.2/32', '2001:db8::/128'])
    // An ended ban is gone.
    t += 50_000
    expect(
      ((await call('listbanned')).result as { address: string }[]).map((e) => e.address),
    ).toEqual(['2001:db8::/128'])
    defence.blacklistIp('198.51.100.1')
    expect(await call('clearbanned')).toMatchObject({ result: null })
    expect((await call('listbanned')).result).toEqual([])
    expect(defence.isBlacklisted('198.51.100.1')).toBe(false)
  })

  it('lists, lifts and clears the peers the defence’s scores banned', async () => {
    let t = 1_700_000_000_000
    const now = () => t
    const defence = new Defence({ now, settings: { banDurationSeconds: 600 } })
    const call = rpc(new BanList({ defence, now }), now)
    const [a, b] = [await peer(), await peer()]
    for (const p of [a, b])
      defence.ban(p, new PeerError('PEER_RATE_LIMITED', 'flood', PeerAction.Fatal))
    expect(defence.isBanned(a)).toBe(true)
    t += 100_000
    expect((await call('listbanned')).result).toEqual(
      [a, b].map((p) => ({
        address: p.toString(),
        ban_created: null,
        banned_until: 1_700_000_600,
        ban_duration: null,
        time_remaining: 500,
        source: 'defence',
      })),
    )
    expect(await call('setban', [a.toString(), 'remove'])).toMatchObject({ result: null })
    expect(defence.isBanned(a)).toBe(false)
    expect(defence.score(a)).toBe(0)
    // Not banned (any more): -30, and its score untouched.
    expect((await call('setban', [a.toString(), 'remove'])).error).toMatchObject({ code: -30 })
    expect(await call('clearbanned')).toMatchObject({ result: null })
    expect(defence.isBanned(b)).toBe(false)
    expect((await call('listbanned')).result).toEqual([])
  })
})
