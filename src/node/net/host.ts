/**
 * The Node libp2p host: TCP and WebSocket listeners, Noise, Yamux, identify, ping and — for
 * masternodes and full nodes — gossipsub, plus whatever protocol services the caller adds
 * (`services: { handshake: handshake(...) }`). Every libp2p package the Node shell uses is
 * configured here and nowhere else, so a libp2p upgrade touches this folder only.
 *
 * Invariants: connection limits are explicit, never libp2p's defaults (DESIGN §5: the default
 * `inboundConnectionThreshold` of 5 per second per host refuses most of a loopback devnet);
 * gossipsub signs nothing and names messages by content hash (what it carries is signed already),
 * and takes RPCs as large as the largest topic message (a committed block), not its 4 MiB default.
 */
import { type GossipSub, type GossipsubOpts, gossipsub, StrictNoSign } from '@libp2p/gossipsub'
import { type Identify, identify } from '@libp2p/identify'
import type { ConnectionGater, PrivateKey, ServiceMap } from '@libp2p/interface'
import { noise } from '@libp2p/noise'
import { type Ping, ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { webSockets } from '@libp2p/websockets'
import { yamux } from '@libp2p/yamux'
import { createLibp2p, type Libp2p, type Libp2pOptions, type ServiceFactoryMap } from 'libp2p'
import { sha256 } from '../../core/crypto/sha256.ts'
import { GOSSIP_MAX_MESSAGE_BYTES } from '../../core/protocol/gossip-topics.ts'

/**
 * Connections held at once (`maxconnections`): 40% reserved for the committee leaves 1,200 — the
 * 1,000 wallet subscribers and relay peers fit (the settings' default; a test checks both agree).
 */
export const DEFAULT_MAX_CONNECTIONS = 2_000
/** New inbound connections per second from one host: a devnet or a proxy is one host. */
export const DEFAULT_INBOUND_CONNECTION_THRESHOLD = 10_000
/** A gossipsub RPC read at most: the largest topic message and its envelope (topic, id, control). */
export const GOSSIP_MAX_RPC_BYTES = GOSSIP_MAX_MESSAGE_BYTES + 64 * 1024
/** Inbound connections being upgraded (Noise, Yamux) at once. */
export const DEFAULT_MAX_INCOMING_PENDING_CONNECTIONS = 256

export interface NodeHostListen {
  /** Interface to bind (default 0.0.0.0; tests use 127.0.0.1). */
  readonly host?: string
  /** TCP port (24000 mainnet, 24100 testnet; 0 picks a free one). */
  readonly tcpPort?: number
  /** WebSocket port for browsers (24002 / 24102; 0 picks one); null serves no WebSockets. */
  readonly wsPort?: number | null
}

/** A TLS certificate chain and its private key, PEM text (`tlscert`, `tlskey`). */
export interface NodeHostTls {
  readonly cert: string
  readonly key: string
}

/** A transport as libp2p takes it (`tcp()`, `webSockets()`, `memory()`). */
export type TransportFactory = NonNullable<Libp2pOptions['transports']>[number]

export interface NodeHostOptions<S extends ServiceMap = ServiceMap> {
  /** The node's libp2p identity (persisted by the daemon); generated when absent. */
  readonly privateKey?: PrivateKey
  /** Where to listen; ignored when `listenAddresses` is given. */
  readonly listen?: NodeHostListen
  /** Exact multiaddrs to listen on (e.g. `/memory/a` with an in-memory transport). */
  readonly listenAddresses?: readonly string[]
  /** Multiaddrs announced to peers instead of the listening ones (`externalip`). */
  readonly announce?: readonly string[]
  /** Replaces TCP + WebSockets (tests hand in `@libp2p/memory`). */
  readonly transports?: readonly TransportFactory[]
  /**
   * Serve wss:// on the WebSocket port (`/tls/ws`) with this certificate instead of ws://; one
   * port serves one of them. Dialing out to wss:// needs nothing here.
   */
  readonly tls?: NodeHostTls
  /** `maxconnections` (default 2,000). */
  readonly maxConnections?: number
  readonly inboundConnectionThreshold?: number
  readonly maxIncomingPendingConnections?: number
  /** The defence layer's gate (bans, IP blacklist, per-IP caps). */
  readonly connectionGater?: ConnectionGater
  /**
   * libp2p's connection monitor: a ping stream on every connection each `pingInterval`, and a
   * ping not answered in time (adaptive, at least `pingTimeout.minTimeout`) aborts the connection.
   * Default: libp2p's (every 10 s, 5 s at least) — with a thousand wallets that is a hundred ping
   * streams a second, and a busy node drops every wallet whose answer is late.
   */
  readonly connectionMonitor?: Libp2pOptions['connectionMonitor']
  /** Gossipsub settings, or false for a node that relays nothing (default on). */
  readonly gossipsub?: false | Partial<GossipsubOpts>
  /** Protocol services added to the host's own (identify, ping, pubsub). */
  readonly services?: ServiceFactoryMap<S>
  /** Start listening at once (default true). */
  readonly start?: boolean
}

export interface NodeHostServices {
  identify: Identify
  ping: Ping
  /** Absent when the host was built with `gossipsub: false`. */
  pubsub?: GossipSub
}

export type NodeHost<S extends ServiceMap = ServiceMap> = Libp2p<NodeHostServices & S>

function listenAddresses(
  options: Pick<NodeHostOptions, 'listen' | 'listenAddresses' | 'tls'>,
): string[] {
  if (options.listenAddresses !== undefined) return [...options.listenAddresses]
  const { host = '0.0.0.0', tcpPort = 0, wsPort = 0 } = options.listen ?? {}
  const family = host.includes(':') ? 'ip6' : 'ip4'
  const out = [`/${family}/${host}/tcp/${tcpPort}`]
  if (wsPort !== null)
    out.push(`/${family}/${host}/tcp/${wsPort}/${options.tls === undefined ? 'ws' : 'tls/ws'}`)
  return out
}

/** Gossipsub as the network uses it: unsigned envelopes, ids by content hash. */
function pubsub(init: Partial<GossipsubOpts>) {
  return gossipsub({
    globalSignaturePolicy: StrictNoSign,
    msgIdFn: (message) => sha256(message.data),
    allowPublishToZeroTopicPeers: true,
    maxInboundDataLength: GOSSIP_MAX_RPC_BYTES,
    ...init,
  })
}

/** Builds (and by default starts) a Node host. Stop it with `host.stop()`. */
export async function createNodeHost<S extends ServiceMap = ServiceMap>(
  options: NodeHostOptions<S> = {},
): Promise<NodeHost<S>> {
  const services: Record<string, unknown> = {
    identify: identify(),
    ping: ping(),
    ...(options.gossipsub === false ? {} : { pubsub: pubsub(options.gossipsub ?? {}) }),
    ...options.services,
  }
  return createLibp2p<NodeHostServices & S>({
    ...(options.privateKey === undefined ? {} : { privateKey: options.privateKey }),
    ...(options.connectionGater === undefined ? {} : { connectionGater: options.connectionGater }),
    ...(options.connectionMonitor === undefined
      ? {}
      : { connectionMonitor: options.connectionMonitor }),
    start: options.start ?? true,
    nodeInfo: { name: 'timecoin' },
    addresses: {
      listen: listenAddresses(options),
      ...(options.announce === undefined ? {} : { announce: [...options.announce] }),
    },
    transports:
      options.transports === undefined
        ? [
            tcp(),
            webSockets(
              options.tls === undefined
                ? {}
                : { https: { cert: options.tls.cert, key: options.tls.key } },
            ),
          ]
        : [...options.transports],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: {
      maxConnections: options.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
      inboundConnectionThreshold:
        options.inboundConnectionThreshold ?? DEFAULT_INBOUND_CONNECTION_THRESHOLD,
      maxIncomingPendingConnections:
        options.maxIncomingPendingConnections ?? DEFAULT_MAX_INCOMING_PENDING_CONNECTIONS,
    },
    services: services as ServiceFactoryMap<NodeHostServices & S>,
  })
}
