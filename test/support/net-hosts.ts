// Hosts for network tests: Node hosts over memory, loopback TCP or loopback WebSockets, with a
// handshake service (honest, or with a forged signer), and bare "raw" hosts that speak whatever
// bytes a test wants. Every host made here is registered and stopped by `stopAll` (afterEach).
import type { Connection, Libp2p, PeerId, PrivateKey } from '@libp2p/interface'
import { memory } from '@libp2p/memory'
import type { Multiaddr } from '@multiformats/multiaddr'
import { keySigner, type Signer, sha256, utf8ToBytes } from '../../src/core/index.ts'
import {
  type HandshakeEvents,
  type HandshakeInit,
  type HandshakeService,
  handshake,
} from '../../src/core/net/handshake/index.ts'
import { PeerRole } from '../../src/core/protocol/handshake.ts'
import { createNodeHost, type NodeHost, type NodeHostOptions } from '../../src/node/net/host.ts'

export const GENESIS = sha256(utf8ToBytes('net test genesis'))
export const OTHER_GENESIS = sha256(utf8ToBytes('another chain of the same name'))
export const TIP = { height: 7, hash: sha256(utf8ToBytes('tip')) }

/** Fixed masternode keys: deterministic secret keys 1…n. */
export function masternodeSigner(n: number): Signer {
  const secret = new Uint8Array(32)
  secret[0] = n
  secret[31] = 0x5a
  return keySigner(secret)
}

export type Transport = 'memory' | 'tcp' | 'ws'

type HandshakeHost = NodeHost<{ handshake: HandshakeService }>

/** What these helpers need of any host. */
type AnyHost = Pick<Libp2p, 'stop' | 'getMultiaddrs' | 'getConnections'>

const live: AnyHost[] = []
let memoryCounter = 0

function transportOptions(transport: Transport) {
  switch (transport) {
    case 'memory':
      return {
        transports: [memory()],
        listenAddresses: [`/memory/net-test-${process.pid}-${memoryCounter++}`],
      }
    case 'tcp':
      return { listen: { host: '127.0.0.1', tcpPort: 0, wsPort: null } }
    case 'ws':
      return { listen: { host: '127.0.0.1', tcpPort: 0, wsPort: 0 } }
  }
}

export function track<H extends AnyHost>(host: H): H {
  live.push(host)
  return host
}

/** A Node host with a handshake service (a masternode by default, key `n`). */
export async function handshakeHost(
  transport: Transport,
  init: Partial<HandshakeInit> = {},
  privateKey?: PrivateKey,
  host: Pick<NodeHostOptions, 'connectionGater'> = {},
): Promise<HandshakeHost> {
  const role = init.role ?? PeerRole.Masternode
  const full: HandshakeInit = {
    network: 'devnet',
    genesisHash: GENESIS,
    tip: () => TIP,
    timeoutMs: 5_000,
    ...init,
    role,
    ...(role === PeerRole.Masternode
      ? { masternodeSigner: init.masternodeSigner ?? masternodeSigner(1) }
      : {}),
  }
  return track(
    await createNodeHost({
      ...transportOptions(transport),
      ...(privateKey === undefined ? {} : { privateKey }),
      ...host,
      gossipsub: false,
      services: { handshake: handshake(full) },
    }),
  )
}

/** A Node host with no handshake at all: the peer that never says hello, or says what a test wants. */
export async function rawHost(transport: Transport, privateKey?: PrivateKey): Promise<NodeHost> {
  return track(
    await createNodeHost({
      ...transportOptions(transport),
      ...(privateKey === undefined ? {} : { privateKey }),
      gossipsub: false,
    }),
  )
}

/** The address of `host` for `transport` (the WebSocket one for 'ws'). */
export function addressOf(host: AnyHost, transport: Transport): Multiaddr {
  const all = host.getMultiaddrs()
  const pick = all.find((a) => {
    const s = a.toString()
    if (transport === 'ws') return s.includes('/ws')
    if (transport === 'tcp') return s.includes('/tcp/') && !s.includes('/ws')
    return s.startsWith('/memory/')
  })
  if (pick === undefined) throw new Error(`no ${transport} address in ${all.join(', ')}`)
  return pick
}

export async function stopAll(): Promise<void> {
  const hosts = live.splice(0)
  await Promise.all(hosts.map((h) => h.stop()))
}

/** The next `type` event of `service` matching `filter`, or a rejection after `ms`. */
export function nextEvent<K extends keyof HandshakeEvents>(
  service: HandshakeService,
  type: K,
  filter: (detail: HandshakeEvents[K]['detail']) => boolean = () => true,
  ms = 5_000,
): Promise<HandshakeEvents[K]['detail']> {
  return new Promise((resolve, reject) => {
    const listener = (event: HandshakeEvents[K]) => {
      if (!filter(event.detail)) return
      clearTimeout(timer)
      service.removeEventListener(type, listener)
      resolve(event.detail)
    }
    const timer = setTimeout(() => {
      service.removeEventListener(type, listener)
      reject(new Error(`no ${String(type)} within ${ms} ms`))
    }, ms)
    service.addEventListener(type, listener)
  })
}

/** Resolves once `host` has no open connection to `peer`; rejects after `ms`. */
export async function disconnected(host: AnyHost, peer: PeerId, ms = 5_000) {
  const deadline = Date.now() + ms
  while (host.getConnections(peer).some((c: Connection) => c.status === 'open')) {
    if (Date.now() > deadline) throw new Error(`still connected to ${peer} after ${ms} ms`)
    await new Promise((r) => setTimeout(r, 20))
  }
}
