// Hosts for discovery tests: Node hosts over @libp2p/memory with the handshake (a full node, or a
// masternode with key `n`) and the discovery service on short timers, private addresses allowed
// (memory addresses are local). Every host is tracked by net-hosts.ts and stopped by `stopAll`.
import type { PrivateKey } from '@libp2p/interface'
import { memory } from '@libp2p/memory'
import {
  type DiscoveryInit,
  type DiscoveryService,
  discovery,
  type HandshakeService,
  handshake,
  type Penalty,
} from '../../src/core/net/index.ts'
import { PeerRole } from '../../src/core/protocol/handshake.ts'
import { createNodeHost, type NodeHost } from '../../src/node/net/host.ts'
import { GENESIS, masternodeSigner, TIP, track } from './net-hosts.ts'

export type DiscoveryHost = NodeHost<{ handshake: HandshakeService; discovery: DiscoveryService }>

/** Discovery timers short enough for a test (dial every 50 ms, re-dial after 0.1 … 0.8 s). */
export const FAST_DISCOVERY = {
  dialIntervalMs: 50,
  dialTimeoutMs: 3_000,
  backoffMinMs: 100,
  backoffMaxMs: 800,
  exchangeIntervalMs: 500,
  saveIntervalMs: 200,
  allowPrivate: true,
} as const

let counter = 0

/** A fresh memory address (reuse it to restart a node where others will look for it). */
export function memoryAddress(): string {
  return `/memory/discovery-${process.pid}-${counter++}`
}

export interface DiscoveryHostOptions {
  readonly listen?: string
  readonly privateKey?: PrivateKey
  /** A masternode with key `n` (default: a full node). */
  readonly masternode?: number
  readonly discovery?: Partial<Omit<DiscoveryInit, 'network'>>
  /** Penalties the discovery service judged are pushed here. */
  readonly penalties?: Penalty[]
}

export async function discoveryHost(options: DiscoveryHostOptions = {}): Promise<DiscoveryHost> {
  const penalties = options.penalties
  return track(
    await createNodeHost({
      transports: [memory()],
      listenAddresses: [options.listen ?? memoryAddress()],
      ...(options.privateKey === undefined ? {} : { privateKey: options.privateKey }),
      gossipsub: false,
      services: {
        handshake: handshake({
          network: 'devnet',
          genesisHash: GENESIS,
          tip: () => TIP,
          timeoutMs: 5_000,
          ...(options.masternode === undefined
            ? { role: PeerRole.FullNode }
            : {
                role: PeerRole.Masternode,
                masternodeSigner: masternodeSigner(options.masternode),
              }),
        }),
        discovery: discovery({
          network: 'devnet',
          ...FAST_DISCOVERY,
          ...(penalties === undefined ? {} : { penalties: { penalize: (p) => penalties.push(p) } }),
          ...options.discovery,
        }),
      },
    }),
  )
}

/** The peer ids (strings) `host` has a handshaken connection to. */
export function handshaken(host: DiscoveryHost): Set<string> {
  return new Set([...host.services.handshake.peers()].map((p) => p.peerId.toString()))
}
