// Nodes for the sync tests over @libp2p/memory: masternodes (committee members or keyed nodes
// outside the committee) with the handshake, committee links, engine and sync services, each on
// its own store; hosts with the handshake and sync alone (a snapshot being fetched into an empty
// store); and a tampering relay that answers sync requests with what an honest peer answers,
// altered. `stopSyncNodes` (afterEach) stops every host, then closes every store.
import { memory } from '@libp2p/memory'
import type { Multiaddr } from '@multiformats/multiaddr'
import {
  bytesToHex,
  type KeyPair,
  MemoryStore,
  openEngine,
  type Store,
} from '../../src/core/index.ts'
import {
  type CommitteeLinks,
  type EngineService,
  engineService,
  type HandshakeService,
  handshake,
  type MemoryPeerBook,
  type Penalty,
  type SyncService,
  type SyncServiceInit,
  syncService,
} from '../../src/core/net/index.ts'
import { PeerRole } from '../../src/core/protocol/handshake.ts'
import { protocolIdOf } from '../../src/core/protocol/protocols.ts'
import { nativeSigner } from '../../src/node/crypto/native-signer.ts'
import { monotonicClock, nodeTimers } from '../../src/node/engine-ports.ts'
import { createNodeHost, type NodeHost } from '../../src/node/net/host.ts'
import { GENESIS_HASH } from './ledger-fixture.ts'
import { type ClusterSetup, masternodeServices, memoryName } from './net-engines.ts'

export type SyncSettings = Partial<Omit<SyncServiceInit, 'network' | 'genesisHash' | 'store'>>

export type SyncMasternodeHost = NodeHost<{
  handshake: HandshakeService
  committeeLinks: CommitteeLinks
  engine: EngineService
  sync: SyncService
}>

export interface SyncNode {
  readonly key: KeyPair
  readonly host: SyncMasternodeHost
  readonly store: Store
  readonly engine: EngineService
  readonly sync: SyncService
  readonly links: CommitteeLinks
  /** Heights this node committed, in order. */
  readonly committed: number[]
  readonly alarms: string[]
  /** Penalties the engine and the sync service handed out. */
  readonly penalties: Penalty[]
}

interface Stoppable {
  stop(): void | Promise<void>
}

const running: Stoppable[] = []
const stores: Store[] = []

function track<T extends Stoppable>(host: T): T {
  running.push(host)
  return host
}

export interface SyncNodeOptions {
  readonly store?: Store
  readonly sync?: SyncSettings
  /** The peer book its committee links dial from (default the setup's). */
  readonly book?: MemoryPeerBook
}

/**
 * A masternode host with an engine opened from `options.store` (a fresh memory store by default)
 * and the sync service; publishes its address in the setup's peer book.
 */
export async function startSyncNode(
  setup: ClusterSetup,
  key: KeyPair,
  options: SyncNodeOptions = {},
): Promise<SyncNode> {
  const store = options.store ?? new MemoryStore()
  stores.push(store)
  const engine = await openEngine(store, {
    genesisHash: GENESIS_HASH,
    genesis: setup.genesis,
    committee: setup.committee,
    key,
    signer: nativeSigner(key),
    ...(setup.chain === undefined ? {} : { chain: setup.chain }),
  })
  const committed: number[] = []
  const alarms: string[] = []
  const penalties: Penalty[] = []
  const sink = { penalize: (p: Penalty) => penalties.push(p) }
  const host: SyncMasternodeHost = track(
    await createNodeHost({
      transports: [memory()],
      listenAddresses: [`/memory/${memoryName()}`],
      gossipsub: false,
      services: {
        ...masternodeServices(key, options.book ?? setup.book, setup.links),
        engine: engineService({
          network: 'devnet',
          genesisHash: GENESIS_HASH,
          engine,
          store,
          clock: monotonicClock,
          timers: nodeTimers,
          ...(setup.verifier === undefined ? {} : { verifier: setup.verifier }),
          penalties: sink,
          onStoreError: (e) => alarms.push(`store: ${String(e)}`),
          notify: (n) => {
            if (n.type === 'committed') committed.push(n.height)
            else if (n.type === 'alarm') alarms.push(`${n.code}: ${n.message}`)
          },
        }),
        sync: syncService({
          network: 'devnet',
          genesisHash: GENESIS_HASH,
          store,
          penalties: sink,
          ...options.sync,
        }),
      },
    }),
  )
  setup.book.set(key.publicKey, memoryAddresses(host))
  return {
    key,
    host,
    store,
    engine: host.services.engine,
    sync: host.services.sync,
    links: host.services.committeeLinks,
    committed,
    alarms,
    penalties,
  }
}

export type SnapshotHost = NodeHost<{ handshake: HandshakeService; sync: SyncService }>

/** A full node's host with the handshake and the sync service in snapshot mode over `store`. */
export async function startSnapshotHost(
  setup: ClusterSetup,
  store: Store,
  penalties: Penalty[],
  sync: SyncSettings = {},
): Promise<SnapshotHost> {
  stores.push(store)
  return track(
    await createNodeHost({
      transports: [memory()],
      listenAddresses: [`/memory/${memoryName()}`],
      gossipsub: false,
      services: {
        handshake: handshake({
          network: 'devnet',
          genesisHash: GENESIS_HASH,
          role: PeerRole.FullNode,
          tip: () => ({ height: 0, hash: GENESIS_HASH }),
          timeoutMs: 5_000,
        }),
        sync: syncService({
          network: 'devnet',
          genesisHash: GENESIS_HASH,
          store,
          mode: 'snapshot',
          committee: setup.committee,
          penalties: { penalize: (p) => penalties.push(p) },
          ...sync,
        }),
      },
    }),
  )
}

export type RelayHost = NodeHost<{ handshake: HandshakeService }>

/**
 * A full node that answers every sync request with the answer `honest` gives it, passed through
 * `tamper` (which sees the request and the answer frames, each without its length prefix).
 */
export async function startTamperingRelay(
  honest: { readonly host: Pick<SyncMasternodeHost, 'getMultiaddrs'> },
  tamper: (request: Uint8Array, frame: Uint8Array, index: number) => Uint8Array,
): Promise<RelayHost> {
  const host: RelayHost = track(
    await createNodeHost({
      transports: [memory()],
      listenAddresses: [`/memory/${memoryName()}`],
      gossipsub: false,
      services: {
        handshake: handshake({
          network: 'devnet',
          genesisHash: GENESIS_HASH,
          role: PeerRole.FullNode,
          tip: () => ({ height: 0, hash: GENESIS_HASH }),
          timeoutMs: 5_000,
        }),
      },
    }),
  )
  const { lpStream } = await import('@libp2p/utils')
  const protocol = protocolIdOf('devnet', 'sync')
  const upstream = await host.dial(memoryAddresses(honest.host))
  await host.services.handshake.verified(upstream)
  await host.handle(
    protocol,
    async (stream) => {
      const signal = AbortSignal.timeout(10_000)
      try {
        const down = lpStream(stream)
        const request = (await down.read({ signal })).subarray()
        const up = await upstream.newStream(protocol, { signal })
        const lpUp = lpStream(up, { maxDataLength: 80_000_000 })
        await lpUp.write(request, { signal })
        const frames = [(await lpUp.read({ signal })).subarray()]
        // A Status (tag 0x40) is answered by a Status alone; a request by a Status and its answer.
        if (request[0] !== 0x40) frames.push((await lpUp.read({ signal })).subarray())
        await up.close({ signal })
        await down.writeV(
          frames.map((f, i) => tamper(request, f, i)),
          { signal },
        )
        await stream.close({ signal })
      } catch (error) {
        stream.abort(error instanceof Error ? error : new Error(String(error)))
      }
    },
    { maxInboundStreams: 16 },
  )
  return host
}

export function memoryAddresses(host: Pick<SyncMasternodeHost, 'getMultiaddrs'>): Multiaddr[] {
  return host.getMultiaddrs().filter((a) => a.toString().startsWith('/memory/'))
}

/** Stops one host now (a peer that goes away). */
export async function stopHost(host: Stoppable): Promise<void> {
  const i = running.indexOf(host)
  if (i !== -1) running.splice(i, 1)
  await host.stop()
}

export async function stopSyncNodes(): Promise<void> {
  await Promise.all(running.splice(0).map((h) => h.stop()))
  for (const s of stores.splice(0)) await s.close()
}

/** A hex label of a node's key, for failure messages. */
export function nameOf(node: { readonly key: KeyPair }): string {
  return bytesToHex(node.key.publicKey).slice(0, 8)
}
