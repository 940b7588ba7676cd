// The handshake over real libp2p hosts (docs/PROTOCOL.md, "Handshake"): in memory, over loopback
// TCP and loopback WebSockets. Matching peers verify each other and expose the masternode key;
// another network, another genesis or a forged binding disconnects and bans; a silent or
// malformed peer is disconnected. Every wait is bounded; every host stops in afterEach.
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Stream } from '@libp2p/interface'
import { type LengthPrefixedStream, lpStream } from '@libp2p/utils'
import { afterEach, describe, expect, it } from 'vitest'
import { createBrowserHost } from '../../../src/browser/net/host.ts'
import { bytesToHex, fromHex, keySigner, SMALL_ORDER_KEYS } from '../../../src/core/index.ts'
import { type HandshakeFailure, handshake } from '../../../src/core/net/handshake/index.ts'
import {
  type Hello,
  HelloCodec,
  PeerRole,
  peerBindingMessage,
} from '../../../src/core/protocol/handshake.ts'
import { protocolId } from '../../../src/core/protocol/protocol-ids.ts'
import {
  addressOf,
  disconnected,
  GENESIS,
  handshakeHost,
  masternodeSigner,
  nextEvent,
  OTHER_GENESIS,
  rawHost,
  stopAll,
  TIP,
  type Transport,
  track,
} from '../../support/net-hosts.ts'

afterEach(stopAll)

const HANDSHAKE_ID = protocolId('devnet', 'handshake')

/**
 * A handshaking masternode and a raw peer that dials it, opens the handshake stream and writes
 * what `write` likes; resolves the masternode's rejection once the raw peer is disconnected.
 */
async function rawHelloRejection(
  write: (lp: LengthPrefixedStream<Stream>) => unknown,
): Promise<HandshakeFailure> {
  const a = await handshakeHost('memory')
  const raw = await rawHost('memory')
  const rejected = nextEvent(a.services.handshake, 'peer:rejected')
  const connection = await raw.dial(addressOf(a, 'memory'))
  await write(lpStream(await connection.newStream(HANDSHAKE_ID)))
  const r = await rejected
  expect(r.peerId.equals(raw.peerId)).toBe(true)
  await disconnected(a, raw.peerId)
  return r
}

describe.each<Transport>(['memory', 'tcp', 'ws'])('handshake over %s', (transport) => {
  it('two matching peers verify each other; the masternode key finds its peer', async () => {
    const a = await handshakeHost(transport, { masternodeSigner: masternodeSigner(1) })
    const b = await handshakeHost(transport, { role: PeerRole.FullNode })
    const aSees = nextEvent(a.services.handshake, 'peer:verified')
    const bSees = nextEvent(b.services.handshake, 'peer:verified')
    const connection = await b.dial(addressOf(a, transport))
    const [fromA, fromB] = await Promise.all([aSees, bSees])

    expect(fromA.peerId.equals(b.peerId)).toBe(true)
    expect(fromA.role).toBe('full-node')
    expect(fromA.masternodeKey).toBeUndefined()
    expect(fromB.peerId.equals(a.peerId)).toBe(true)
    expect(fromB.role).toBe('masternode')
    expect(bytesToHex(fromB.masternodeKey!)).toBe(bytesToHex(masternodeSigner(1).publicKey))
    expect(fromB.tipHeight).toBe(TIP.height)
    expect(bytesToHex(fromB.tipHash)).toBe(bytesToHex(TIP.hash))

    const byKey = b.services.handshake.peerOfMasternode(masternodeSigner(1).publicKey)
    expect(byKey?.peerId.equals(a.peerId)).toBe(true)
    expect(b.services.handshake.peer(a.peerId)?.connectionId).toBe(connection.id)
    await expect(b.services.handshake.verified(connection)).resolves.toBe(fromB)

    // The connection stays up after the handshake, and its end is seen on both sides.
    expect(connection.status).toBe('open')
    const gone = nextEvent(a.services.handshake, 'peer:gone')
    await connection.close()
    expect((await gone).peerId.equals(b.peerId)).toBe(true)
    expect(a.services.handshake.peer(b.peerId)).toBeUndefined()
    expect(b.services.handshake.peerOfMasternode(masternodeSigner(1).publicKey)).toBeUndefined()
  })

  it('another genesis: both sides disconnect and ban; the banned peer is refused when it returns', async () => {
    const a = await handshakeHost(transport)
    const bKey = await generateKeyPair('Ed25519')
    const b = await handshakeHost(
      transport,
      { genesisHash: OTHER_GENESIS, masternodeSigner: masternodeSigner(2) },
      bKey,
    )
    const aRejects = nextEvent(a.services.handshake, 'peer:rejected')
    const bRejects = nextEvent(b.services.handshake, 'peer:rejected')
    await b.dial(addressOf(a, transport))
    const [ra, rb] = await Promise.all([aRejects, bRejects])
    for (const r of [ra, rb]) {
      expect(r.error.code).toBe('HANDSHAKE_WRONG_GENESIS')
      expect(r.banned).toBe(true)
    }
    await disconnected(a, b.peerId)
    expect(a.services.handshake.isBanned(b.peerId)).toBe(true)
    expect(a.services.handshake.peer(b.peerId)).toBeUndefined()

    // The same identity comes back (without a handshake of its own): closed before any hello.
    await b.stop()
    const again = await rawHost(transport, bKey)
    const refused = nextEvent(a.services.handshake, 'peer:rejected')
    await again.dial(addressOf(a, transport))
    const second = await refused
    expect(second.error.code).toBe('HANDSHAKE_BANNED')
    expect(second.peerId.equals(b.peerId)).toBe(true)
    await disconnected(a, b.peerId)
  })
})

describe('handshake refusals (memory)', () => {
  it('another network: disconnect and ban', async () => {
    const a = await handshakeHost('memory')
    const b = await handshakeHost('memory', {
      network: 'testnet',
      masternodeSigner: masternodeSigner(2),
    })
    const aRejects = nextEvent(a.services.handshake, 'peer:rejected')
    const bRejects = nextEvent(b.services.handshake, 'peer:rejected')
    await b.dial(addressOf(a, 'memory'))
    const [ra, rb] = await Promise.all([aRejects, bRejects])
    expect(ra.error.code).toBe('HANDSHAKE_WRONG_NETWORK')
    expect(rb.error.code).toBe('HANDSHAKE_WRONG_NETWORK')
    expect(ra.banned && rb.banned).toBe(true)
    await disconnected(a, b.peerId)
  })

  it("a masternode key with another key's signature: disconnect and ban", async () => {
    const a = await handshakeHost('memory')
    const real = masternodeSigner(3)
    const other = masternodeSigner(4)
    const forged = { publicKey: real.publicKey, sign: (m: Uint8Array) => other.sign(m) }
    const b = await handshakeHost('memory', { masternodeSigner: forged })
    const aRejects = nextEvent(a.services.handshake, 'peer:rejected')
    const bVerifies = nextEvent(b.services.handshake, 'peer:verified')
    await b.dial(addressOf(a, 'memory'))
    const r = await aRejects
    expect(r.error.code).toBe('HANDSHAKE_BINDING')
    expect(r.banned).toBe(true)
    expect(r.peerId.equals(b.peerId)).toBe(true)
    await bVerifies // b found nothing wrong with a
    await disconnected(a, b.peerId)
    expect(a.services.handshake.isBanned(b.peerId)).toBe(true)
    expect(a.services.handshake.peerOfMasternode(real.publicKey)).toBeUndefined()
  })

  it('a binding signed over another peer id: disconnect and ban', async () => {
    const a = await handshakeHost('memory')
    const c = await handshakeHost('memory', { masternodeSigner: masternodeSigner(6) })
    const key = masternodeSigner(5)
    // b signs c's peer id instead of its own: a replayed or lent binding.
    const cPeerBytes = c.peerId.toMultihash().bytes
    const lent = {
      publicKey: key.publicKey,
      sign: () => key.sign(peerBindingMessage(GENESIS, cPeerBytes)),
    }
    const b = await handshakeHost('memory', { masternodeSigner: lent })
    const aRejects = nextEvent(a.services.handshake, 'peer:rejected')
    await b.dial(addressOf(a, 'memory'))
    const r = await aRejects
    expect(r.error.code).toBe('HANDSHAKE_BINDING')
    expect(r.banned).toBe(true)
    await disconnected(a, b.peerId)
  })

  it('a small-order masternode key is refused before its signature is checked', async () => {
    const hello: Hello = {
      version: 1,
      network: 'devnet',
      genesisHash: GENESIS,
      tipHeight: 0,
      tipHash: new Uint8Array(32),
      role: PeerRole.Masternode,
      masternodeKey: fromHex(SMALL_ORDER_KEYS[1]!),
      bindingSignature: new Uint8Array(64), // R = identity, S = 0: "valid" for a small-order key
    }
    const r = await rawHelloRejection((lp) => lp.write(HelloCodec.encode(hello)))
    expect(r.error.code).toBe('HANDSHAKE_BINDING')
    expect(r.error.cause).toMatchObject({ code: 'PUBLIC_KEY_SMALL_ORDER' })
    expect(r.banned).toBe(true)
  })

  it('a malformed hello disconnects without a ban', async () => {
    // Version 1, then a network name of length 99 (> 16).
    const r = await rawHelloRejection((lp) => lp.write(Uint8Array.of(1, 0, 99)))
    expect(r.error.code).toBe('LIMIT_EXCEEDED')
    expect(r.banned).toBe(false)
  })

  it('a frame over the limit is refused by its length prefix, before any payload', async () => {
    // Announce a 1 MiB frame and send only its prefix.
    const r = await rawHelloRejection((lp) => {
      lp.unwrap().send(Uint8Array.of(0x80, 0x80, 0x40))
    })
    expect(r.error.code).toBe('LIMIT_EXCEEDED')
    expect(r.banned).toBe(false)
  })

  it('a peer of another handshake version is disconnected, not banned', async () => {
    const r = await rawHelloRejection((lp) => lp.write(Uint8Array.of(2, 0, 1, 2, 3)))
    expect(r.error.code).toBe('HANDSHAKE_VERSION')
    expect(r.banned).toBe(false)
  })

  it('a silent dialer is disconnected after the timeout, not banned', async () => {
    const a = await handshakeHost('memory', { timeoutMs: 300 })
    const raw = await rawHost('memory')
    const rejected = nextEvent(a.services.handshake, 'peer:rejected')
    const started = Date.now()
    const connection = await raw.dial(addressOf(a, 'memory'))
    const r = await rejected
    expect(r.error.code).toBe('HANDSHAKE_TIMEOUT')
    expect(r.banned).toBe(false)
    expect(Date.now() - started).toBeGreaterThanOrEqual(250)
    await disconnected(a, raw.peerId)
    await expect(a.services.handshake.verified(connection)).rejects.toMatchObject({
      code: 'HANDSHAKE_FAILED',
    })
  })

  it('a listener that takes the stream but never answers is disconnected after the timeout', async () => {
    const a = await handshakeHost('memory', { timeoutMs: 300 })
    const raw = await rawHost('memory')
    await raw.handle(HANDSHAKE_ID, (stream) => {
      stream.addEventListener('message', () => {}) // read and never answer
    })
    const rejected = nextEvent(a.services.handshake, 'peer:rejected')
    const connection = await a.dial(addressOf(raw, 'memory'))
    const pending = a.services.handshake.verified(connection)
    const r = await rejected
    expect(r.error.code).toBe('HANDSHAKE_TIMEOUT')
    await expect(pending).rejects.toMatchObject({ code: 'HANDSHAKE_TIMEOUT' })
    await disconnected(a, raw.peerId)
  })

  it('a peer that does not speak the handshake is disconnected at once', async () => {
    const a = await handshakeHost('memory', { timeoutMs: 5_000 })
    const raw = await rawHost('memory')
    const rejected = nextEvent(a.services.handshake, 'peer:rejected')
    await a.dial(addressOf(raw, 'memory'))
    const r = await rejected
    expect(r.error.code).toBe('HANDSHAKE_FAILED')
    expect(r.banned).toBe(false)
    await disconnected(a, raw.peerId, 2_000)
  })

  it('a stopped service leaves no attempt behind', async () => {
    const a = await handshakeHost('memory', { timeoutMs: 60_000 })
    const raw = await rawHost('memory')
    const connection = await raw.dial(addressOf(a, 'memory'))
    const pending = a.services.handshake.verified(a.getConnections(raw.peerId)[0] ?? connection)
    await a.stop()
    await expect(pending).rejects.toMatchObject({ code: 'HANDSHAKE_FAILED' })
  })
})

describe('the browser host', () => {
  it('dials a Node masternode over loopback ws:// when allowed, and handshakes', async () => {
    const a = await handshakeHost('ws')
    const light = track(
      await createBrowserHost({
        allowInsecureLoopback: true,
        services: {
          handshake: handshake({
            network: 'devnet',
            genesisHash: GENESIS,
            role: PeerRole.LightClient,
            tip: () => ({ height: 0, hash: new Uint8Array(32) }),
          }),
        },
      }),
    )
    const lightSees = nextEvent(light.services.handshake, 'peer:verified')
    const aSees = nextEvent(a.services.handshake, 'peer:verified')
    await light.dial(addressOf(a, 'ws'))
    const [fromLight, fromA] = await Promise.all([lightSees, aSees])
    expect(fromLight.role).toBe('masternode')
    expect(fromA.role).toBe('light-client')
  })

  it('refuses plain ws:// and private addresses by default', async () => {
    const a = await handshakeHost('ws')
    const light = track(await createBrowserHost())
    await expect(light.dial(addressOf(a, 'ws'))).rejects.toThrow()
    expect(light.getConnections()).toEqual([])
  })
})

describe('handshake service settings', () => {
  it('refuses a masternode role without a strong key, and a signer without the role', () => {
    const weak = { publicKey: fromHex(SMALL_ORDER_KEYS[2]!), sign: () => new Uint8Array(64) }
    const components = {} as Parameters<ReturnType<typeof handshake>>[0]
    const base = { network: 'devnet' as const, genesisHash: GENESIS, tip: () => TIP }
    expect(() =>
      handshake({ ...base, role: PeerRole.Masternode, masternodeSigner: weak })(components),
    ).toThrow(/small-order/)
    expect(() => handshake({ ...base, role: PeerRole.Masternode })(components)).toThrow(RangeError)
    expect(() =>
      handshake({
        ...base,
        role: PeerRole.FullNode,
        masternodeSigner: keySigner(new Uint8Array(32).fill(9)),
      })(components),
    ).toThrow(RangeError)
  })
})
