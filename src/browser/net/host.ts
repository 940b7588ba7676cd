/**
 * The browser libp2p host: it dials masternodes over WebSockets (a page cannot listen), with
 * Noise, Yamux, identify and ping, plus the protocol services the caller adds
 * (`services: { handshake: handshake(...) }`). No gossipsub: a light client follows its own
 * addresses over the wallet protocol instead. Every libp2p package the browser shell uses is
 * configured here and nowhere else.
 *
 * Invariants: imports no `node:` module (the boundary test bundles it for the browser); dials only
 * what `browserDialDenied` allows unless the caller's gater says otherwise; holds few connections.
 */
import { type Identify, identify } from '@libp2p/identify'
import type { ConnectionGater, PrivateKey, ServiceMap } from '@libp2p/interface'
import { noise } from '@libp2p/noise'
import { type Ping, ping } from '@libp2p/ping'
import { webSockets } from '@libp2p/websockets'
import { yamux } from '@libp2p/yamux'
import { createLibp2p, type Libp2p, type ServiceFactoryMap } from 'libp2p'
import { browserDialDenied } from './dial-policy.ts'

/** A light client talks to a few masternodes (DESIGN §1): a handful of connections is plenty. */
export const DEFAULT_BROWSER_MAX_CONNECTIONS = 16

export interface BrowserHostOptions<S extends ServiceMap = ServiceMap> {
  /** The page's libp2p identity; generated when absent (a light client needs none persisted). */
  readonly privateKey?: PrivateKey
  /** Allow plain `ws://` to loopback: development against a local devnet (default false). */
  readonly allowInsecureLoopback?: boolean
  /** Overrides the dial policy and adds other gates. */
  readonly connectionGater?: ConnectionGater
  readonly maxConnections?: number
  readonly services?: ServiceFactoryMap<S>
  /** Start at once (default true). */
  readonly start?: boolean
}

export interface BrowserHostServices {
  identify: Identify
  ping: Ping
}

export type BrowserHost<S extends ServiceMap = ServiceMap> = Libp2p<BrowserHostServices & S>

/** Builds (and by default starts) a browser host. Stop it with `host.stop()`. */
export async function createBrowserHost<S extends ServiceMap = ServiceMap>(
  options: BrowserHostOptions<S> = {},
): Promise<BrowserHost<S>> {
  const allowInsecureLoopback = options.allowInsecureLoopback ?? false
  const services: Record<string, unknown> = {
    identify: identify(),
    ping: ping(),
    ...options.services,
  }
  return createLibp2p<BrowserHostServices & S>({
    ...(options.privateKey === undefined ? {} : { privateKey: options.privateKey }),
    start: options.start ?? true,
    nodeInfo: { name: 'timecoin-light' },
    addresses: { listen: [] },
    transports: [webSockets()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: {
      denyDialMultiaddr: (address) => browserDialDenied(address, allowInsecureLoopback),
      ...options.connectionGater,
    },
    connectionManager: {
      maxConnections: options.maxConnections ?? DEFAULT_BROWSER_MAX_CONNECTIONS,
    },
    services: services as ServiceFactoryMap<BrowserHostServices & S>,
  })
}
