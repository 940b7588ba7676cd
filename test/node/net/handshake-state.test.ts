// The handshake service's own state: the ban list (TTL, bound), the verified-peer registry (by
// peer id and by masternode key, dropped with the last connection), the tracked-connection bound,
// and the peer id bytes a binding covers (libp2p's binary multihash, as docs/PROTOCOL.md §20 says).
import { generateKeyPair, publicKeyFromRaw } from '@libp2p/crypto/keys'
import type { PeerId } from '@libp2p/interface'
import { peerIdFromPrivateKey, peerIdFromPublicKey } from '@libp2p/peer-id'
import { afterEach, describe, expect, it } from 'vitest'
import { bytesToHex, fromHex } from '../../../src/core/index.ts'
import { VerifiedPeers } from '../../../src/core/net/handshake/verified-peers.ts'
import { BanList, banGater, type VerifiedPeer } from '../../../src/core/net/index.ts'
import {
  addressOf,
  disconnected,
  handshakeHost,
  nextEvent,
  rawHost,
  stopAll,
} from '../../support/net-hosts.ts'
import vectors from '../../vectors/handshake.json' with { type: 'json' }

afterEach(stopAll)

async function peers(n: number): Promise<PeerId[]> {
  return Promise.all(
    Array.from({ length: n }, async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))),
  )
}

describe('BanList', () => {
  it('bans for its TTL, then forgets', async () => {
    let now = 1_000
    const bans = new BanList({ ttlMs: 100, now: () => now })
    const [p, q] = await peers(2)
    bans.ban(p!)
    expect(bans.isBanned(p!)).toBe(true)
    expect(bans.isBanned(q!)).toBe(false)
    now += 99
    expect(bans.isBanned(p!)).toBe(true)
    now += 1
    expect(bans.isBanned(p!)).toBe(false)
    expect(bans.size).toBe(0)
  })

  it('holds at most maxEntries bans, dropping the oldest; a renewed ban is the newest', async () => {
    const bans = new BanList({ maxEntries: 3 })
    const [a, b, c, d] = await peers(4)
    bans.ban(a!)
    bans.ban(b!)
    bans.ban(c!)
    bans.ban(a!) // renewed: now b is the oldest
    bans.ban(d!)
    expect(bans.size).toBe(3)
    expect([a, b, c, d].map((p) => bans.isBanned(p!))).toEqual([true, false, true, true])
    expect(() => new BanList({ maxEntries: 0 })).toThrow(RangeError)
  })
})

describe('VerifiedPeers', () => {
  const key1 = fromHex('11'.repeat(32))
  const key2 = fromHex('22'.repeat(32))
  const verified = (peerId: PeerId, connectionId: string, key?: Uint8Array): VerifiedPeer => ({
    peerId,
    connectionId,
    role: key === undefined ? 'full-node' : 'masternode',
    masternodeKey: key,
    protocolVersion: 1,
    tipHeight: 0,
    tipHash: new Uint8Array(32),
  })

  it('finds a peer by id and by masternode key until its last connection closes', async () => {
    const [p, q] = await peers(2)
    const reg = new VerifiedPeers()
    reg.add(verified(p!, 'c1', key1))
    reg.add(verified(p!, 'c2', key1))
    reg.add(verified(q!, 'c3'))
    expect(reg.size).toBe(2)
    expect(reg.byMasternodeKey(key1)?.peerId.equals(p)).toBe(true)
    expect(reg.byMasternodeKey(key2)).toBeUndefined()
    expect(reg.removeConnection(p!, 'c1')).toBeUndefined()
    expect(reg.get(p!)?.connectionId).toBe('c2')
    expect(reg.removeConnection(p!, 'c9')).toBeUndefined()
    expect(reg.removeConnection(p!, 'c2')?.peerId.equals(p)).toBe(true)
    expect(reg.get(p!)).toBeUndefined()
    expect(reg.byMasternodeKey(key1)).toBeUndefined()
    expect([...reg].map((v) => v.connectionId)).toEqual(['c3'])
  })

  it('a key moves to the peer that proved it last; a peer that changes key leaves the old one', async () => {
    const [p, q] = await peers(2)
    const reg = new VerifiedPeers()
    reg.add(verified(p!, 'c1', key1))
    reg.add(verified(q!, 'c2', key1))
    expect(reg.byMasternodeKey(key1)?.peerId.equals(q)).toBe(true)
    reg.removeConnection(p!, 'c1') // p's departure does not unmap q's key
    expect(reg.byMasternodeKey(key1)?.peerId.equals(q)).toBe(true)
    reg.add(verified(q!, 'c3', key2))
    expect(reg.byMasternodeKey(key1)).toBeUndefined()
    expect(reg.byMasternodeKey(key2)?.peerId.equals(q)).toBe(true)
  })
})

describe('the handshake service bounds', () => {
  it('closes a connection past maxConnections before any handshake', async () => {
    const a = await handshakeHost('memory', { maxConnections: 1, timeoutMs: 60_000 })
    const first = await rawHost('memory')
    const second = await rawHost('memory')
    await first.dial(addressOf(a, 'memory'))
    const rejected = nextEvent(a.services.handshake, 'peer:rejected')
    await second.dial(addressOf(a, 'memory'))
    const r = await rejected
    expect(r.peerId.equals(second.peerId)).toBe(true)
    expect(r.error.code).toBe('HANDSHAKE_FAILED')
    await disconnected(a, second.peerId)
    expect(a.getConnections(first.peerId).length).toBe(1)
  })
})

describe('banGater', () => {
  it('refuses a banned peer at the gate, both ways, and keeps the wrapped gater', async () => {
    const bans = new BanList()
    const a = await handshakeHost('memory', { bans }, undefined, {
      connectionGater: banGater(bans, { denyDialMultiaddr: () => false }),
    })
    const b = await rawHost('memory')
    bans.ban(b.peerId)
    await expect(b.dial(addressOf(a, 'memory'))).rejects.toThrow()
    await expect(a.dial(addressOf(b, 'memory'))).rejects.toThrow()
    expect(a.getConnections(b.peerId)).toEqual([])
    const c = await rawHost('memory')
    await c.dial(addressOf(a, 'memory'))
    expect(a.getConnections(c.peerId).length).toBe(1)
  })
})

describe('peer id bytes', () => {
  it('are the binary multihash of the libp2p identity (the vector of docs/PROTOCOL.md §20)', () => {
    const id = peerIdFromPublicKey(publicKeyFromRaw(fromHex(vectors.libp2pPublicKey)))
    expect(id.toString()).toBe(vectors.peerId)
    expect(bytesToHex(id.toMultihash().bytes)).toBe(vectors.peerIdBytes)
    expect(vectors.peerIdBytes.startsWith('002408011220')).toBe(true)
  })
})
