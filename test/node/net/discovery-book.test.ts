// The peer book and what it lets in (src/core/net/discovery): the address policy (transports the
// hosts speak, private hosts only when allowed, a `/p2p` part naming the peer itself, malformed
// bytes), peer ids as multihashes, the book's bounds (entries, addresses, the key index), who is
// evicted when it is full, backoff and forgetting after failures, the sample peer exchange hands
// out (bounded, recent, shuffled), and records loaded from a store checked like a peer's word.
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import { bytesToHex } from '../../../src/core/index.ts'
import {
  AddressBook,
  checkRecord,
  dialableAddress,
  peerIdFromBytes,
  peerIdToBytes,
} from '../../../src/core/net/index.ts'
import { MAX_PEER_ADDRS } from '../../../src/core/protocol/index.ts'

async function peerIds(n: number): Promise<string[]> {
  const out: string[] = []
  for (let i = 0; i < n; i++)
    out.push(peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString())
  return out
}

const [ID_A, ID_B] = (await peerIds(2)) as [string, string]
const open = { allowPrivate: false }
const local = { allowPrivate: true }

function judge(text: string, policy = open, id: string | undefined = ID_A) {
  const v = dialableAddress(multiaddr(text), id, policy)
  return v.ok ? v.address.toString() : v.why
}

describe('address policy', () => {
  it('keeps public addresses of the transports the hosts speak, without their /p2p part', () => {
    expect(judge('/ip4/8.8.8.8/tcp/24100')).toBe('/ip4/8.8.8.8/tcp/24100')
    expect(judge('/ip4/8.8.8.8/tcp/24102/ws')).toBe('/ip4/8.8.8.8/tcp/24102/ws')
    expect(judge('/dns4/node.example.org/tcp/443/wss')).toBe('/dns4/node.example.org/tcp/443/wss')
    expect(judge('/dns/node.example.org/tcp/443/tls/sni/node.example.org/ws')).toBe(
      '/dns/node.example.org/tcp/443/tls/sni/node.example.org/ws',
    )
    expect(judge('/ip6/2a00:1450::1/tcp/24000')).toBe('/ip6/2a00:1450::1/tcp/24000')
    expect(judge(`/ip4/8.8.4.4/tcp/1/p2p/${ID_A}`)).toBe('/ip4/8.8.4.4/tcp/1')
  })

  it('refuses an address naming another peer, and transports the hosts do not speak', () => {
    expect(judge(`/ip4/8.8.4.4/tcp/1/p2p/${ID_B}`)).toBe('other-peer')
    expect(judge('/ip4/8.8.8.8/udp/4001/quic-v1')).toBe('unsupported')
    expect(judge('/ip4/8.8.8.8/tcp/1/http')).toBe('unsupported')
    expect(judge(`/ip4/8.8.8.8/tcp/1/p2p/${ID_B}/p2p-circuit`)).toBe('unsupported')
    expect(judge('/ip4/8.8.8.8/tcp/0')).toBe('malformed')
  })

  it('refuses private, loopback, link-local and reserved hosts unless allowed', () => {
    for (const text of [
      '/ip4/127.0.0.1/tcp/1',
      '/ip4/10.1.2.3/tcp/1',
      '/ip4/172.20.0.1/tcp/1',
      '/ip4/192.168.1.1/tcp/1',
      '/ip4/169.254.1.1/tcp/1',
      '/ip4/100.64.0.1/tcp/1',
      '/ip4/0.0.0.0/tcp/1',
      '/ip4/224.0.0.1/tcp/1',
      '/ip6/::1/tcp/1',
      '/ip6/::/tcp/1',
      '/ip6/fe80::1/tcp/1',
      '/ip6/fd00::1/tcp/1',
      '/ip6/::ffff:192.168.0.1/tcp/1',
      '/dns4/localhost/tcp/1',
      '/dns/printer.local/tcp/1',
      '/memory/a-test-node',
    ]) {
      expect(judge(text), text).toBe('private')
      expect(judge(text, local), text).not.toBe('private')
    }
    for (const text of [
      '/ip4/172.32.0.1/tcp/1',
      '/ip4/100.128.0.1/tcp/1',
      '/ip6/::ffff:8.8.8.8/tcp/1',
    ])
      expect(judge(text), text).toMatch(/^\/ip/)
  })

  it('calls bytes that are no multiaddr malformed, and never throws', () => {
    for (const bytes of [new Uint8Array(0), Uint8Array.of(1, 2, 3), Uint8Array.of(0xff, 0xff)])
      expect(dialableAddress(bytes, ID_A, open)).toEqual({ ok: false, why: 'malformed' })
    expect(dialableAddress(multiaddr('/ip4/8.8.8.8/tcp/1').bytes, ID_A, open).ok).toBe(true)
  })

  it('takes peer ids that are multihashes of a key, and nothing else', () => {
    const bytes = peerIdToBytes(ID_A)!
    expect(bytes.length).toBe(38)
    expect(peerIdFromBytes(bytes)).toBe(ID_A)
    expect(peerIdFromBytes(bytes.subarray(0, 37))).toBeUndefined()
    expect(peerIdFromBytes(Uint8Array.of(0x12, 0x20, ...new Uint8Array(32)))).toBeDefined()
    expect(peerIdFromBytes(Uint8Array.of(0x12, 0x10, ...new Uint8Array(16)))).toBeUndefined()
    expect(peerIdFromBytes(Uint8Array.of(0x00, 43, ...new Uint8Array(43)))).toBeUndefined()
    expect(peerIdFromBytes(Uint8Array.of(0x55, 2, 1, 2))).toBeUndefined()
    expect(peerIdToBytes('not base58 0OIl')).toBeUndefined()
  })
})

const addr = (n: number) => multiaddr(`/ip4/9.9.${n >> 8}.${n & 0xff}/tcp/24100`)

describe('address book', () => {
  it('holds at most maxEntries: a newcomer replaces the worst only if it is better', async () => {
    const ids = await peerIds(6)
    const book = new AddressBook({ maxEntries: 4 })
    for (const [i, id] of ids.slice(0, 4).entries())
      expect(book.learn(id, [addr(i)], 1_000 + i)).toBe(true)
    book.failed(ids[2]!, 5_000)
    // Older than everything and failure-free: still better than the entry with a failure.
    expect(book.learn(ids[4]!, [addr(4)], 10)).toBe(true)
    expect(book.get(ids[2]!)).toBeUndefined()
    // Now the worst is ids[4] (seen at 10): a newcomer seen earlier is not let in.
    expect(book.learn(ids[5]!, [addr(5)], 5)).toBe(false)
    expect(book.size).toBe(4)
    // A peer this node handshook always gets in.
    book.seen(ids[5]!, 20_000, { addrs: [addr(5)] })
    expect(book.size).toBe(4)
    expect(book.get(ids[5]!)).toBeDefined()
    expect(book.get(ids[4]!)).toBeUndefined()
  })

  it('keeps at most MAX_PEER_ADDRS addresses per peer, the handshaken ones first', () => {
    const book = new AddressBook()
    const many = Array.from({ length: 12 }, (_, i) => addr(i))
    book.learn(ID_A, many, 1)
    expect(book.get(ID_A)!.addrs).toEqual(many.slice(0, MAX_PEER_ADDRS).map(String))
    book.seen(ID_A, 2, { addrs: [addr(99)] })
    expect(book.get(ID_A)!.addrs[0]).toBe(addr(99).toString())
    expect(book.get(ID_A)!.addrs.length).toBe(MAX_PEER_ADDRS)
  })

  it('answers the committee links by masternode key; the key follows the latest peer to prove it', async () => {
    const book = new AddressBook()
    const key = new Uint8Array(32).fill(7)
    book.seen(ID_A, 1, { addrs: [addr(1)], masternodeKey: key })
    expect(book.addressesOf(key).map(String)).toEqual([`${addr(1)}/p2p/${ID_A}`])
    // Restarted with a new libp2p identity: the key moves, the old peer keeps its addresses.
    book.seen(ID_B, 2, { addrs: [addr(2)], masternodeKey: key })
    expect(book.addressesOf(key).map(String)).toEqual([`${addr(2)}/p2p/${ID_B}`])
    expect(book.get(ID_A)!.masternodeKey).toBeUndefined()
    book.forget(ID_B)
    expect(book.addressesOf(key)).toEqual([])
    expect(book.records().every((r) => r.masternodeKey === undefined)).toBe(true)
  })

  it('backs off a failing peer 1, 2, 4 … s and forgets it after maxFailures', () => {
    const book = new AddressBook({ maxFailures: 4, backoffMinMs: 1_000, backoffMaxMs: 4_000 })
    book.learn(ID_A, [addr(1)], 0)
    const due = (now: number) => book.candidates(now, 10, () => false).length
    expect(due(0)).toBe(1)
    book.failed(ID_A, 0)
    expect([due(999), due(1_000)]).toEqual([0, 1])
    book.failed(ID_A, 1_000)
    expect([due(2_999), due(3_000)]).toEqual([0, 1])
    book.failed(ID_A, 3_000)
    expect([due(6_999), due(7_000)]).toEqual([0, 1])
    book.failed(ID_A, 7_000)
    expect(book.get(ID_A)).toBeUndefined()
    // Success clears the count.
    book.learn(ID_B, [addr(2)], 0)
    book.failed(ID_B, 0)
    book.seen(ID_B, 10)
    expect(book.get(ID_B)).toMatchObject({ failures: 0, lastSeen: 10 })
    expect(due(10)).toBe(1)
  })

  it('samples a bounded, recent, shuffled answer without failing peers or the asker', async () => {
    const ids = await peerIds(100)
    const book = new AddressBook()
    for (const [i, id] of ids.entries()) book.learn(id, [addr(i)], i < 10 ? 0 : 1_000)
    for (const id of ids.slice(10, 20)) for (let k = 0; k < 2; k++) book.failed(id, 0)
    let seed = 1
    const random = () => {
      seed = (seed * 48_271) % 2_147_483_647
      return seed / 2_147_483_647
    }
    const filter = { seenSince: 500, maxFailures: 2 }
    const take = (limit: number) =>
      book.sample(
        limit,
        random,
        filter,
        (id) => id === ids[99],
        (e) => e.lastSeen,
      )
    const first = take(64)
    expect(first.length).toBe(64)
    expect(new Set(first.map((p) => p.peerId)).size).toBe(64)
    const eligible = new Set(ids.slice(20, 99))
    expect(first.every((p) => eligible.has(p.peerId))).toBe(true)
    // Shuffled: another draw differs, and every eligible peer can be drawn.
    const second = take(64)
    expect(second.map((p) => p.peerId)).not.toEqual(first.map((p) => p.peerId))
    expect(take(200).length).toBe(eligible.size)
  })

  it('restores only records that would pass as a peer’s word, at most maxEntries', async () => {
    const ids = await peerIds(3)
    const good = { peerId: ids[0]!, addrs: ['/ip4/8.8.8.8/tcp/1'], lastSeen: 5, failures: 1 }
    const key = bytesToHex(new Uint8Array(32).fill(1))
    expect(checkRecord(good, open)).toEqual(good)
    expect(checkRecord({ ...good, masternodeKey: key }, open)?.masternodeKey).toBe(key)
    for (const bad of [
      null,
      'x',
      { ...good, peerId: 'nope' },
      { ...good, addrs: ['/ip4/10.0.0.1/tcp/1'] },
      { ...good, addrs: 'x' },
      { ...good, addrs: [7] },
      { ...good, addrs: ['/not/a/multiaddr'] },
      { ...good, lastSeen: -1 },
      { ...good, failures: 1.5 },
      { ...good, masternodeKey: 'ab' },
    ])
      expect(checkRecord(bad, open), JSON.stringify(bad)).toBeUndefined()
    // Private addresses are dropped, public ones kept.
    expect(
      checkRecord({ ...good, addrs: ['/ip4/10.0.0.1/tcp/1', '/ip4/8.8.8.8/tcp/2'] }, open)?.addrs,
    ).toEqual(['/ip4/8.8.8.8/tcp/2'])

    const book = new AddressBook({ maxEntries: 2, self: ids[2]! })
    const taken = book.restore([
      good,
      { ...good, peerId: ids[2]! }, // ourselves
      { peerId: 'bad' },
      { ...good, peerId: ids[1]! },
      { ...good, peerId: ID_A },
    ])
    expect(taken).toBe(2)
    expect(book.size).toBe(2)
    expect(book.get(ids[2]!)).toBeUndefined()
    expect(book.records().map((r) => r.peerId)).toEqual([ids[0], ids[1]])
    expect(book.dirty).toBe(false)
  })
})
