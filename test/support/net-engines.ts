// Masternodes over real libp2p hosts for network tests: each one a Node host (memory, loopback TCP
// or loopback WebSockets) with the handshake, the committee links and the engine service, an engine
// opened from its own store — wired by the daemon's own assembly (src/node/daemon/assemble.ts) —
// and what it reported (finality, confirmation, commits, penalties, alarms). One shared peer book
// tells each where the others listen. `stopCluster` (afterEach) stops every host, then closes
// every store.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { PrivateKey } from '@libp2p/interface'
import { memory } from '@libp2p/memory'
import type { Multiaddr } from '@multiformats/multiaddr'
import {
  bytesToHex,
  type ChainConfig,
  type Committee,
  type Ed25519Verifier,
  type KeyPair,
  keySigner,
  MemoryStore,
  type Notification,
  type Store,
  type Txid,
  type TxOutput,
} from '../../src/core/index.ts'
import {
  AddressBook,
  type BanPolicy,
  type CommitteeLinks,
  type CommitteeLinksInit,
  committeeLinks,
  Defence,
  type DefenceSettings,
  type DiscoveryInit,
  type DiscoveryService,
  type EngineService,
  type GossipInit,
  type GossipService,
  type HandshakeService,
  handshake,
  type MemoryPeerBook,
  type PeerBook,
  type Penalty,
  type SyncService,
  type SyncServiceInit,
  type WalletService,
  type WalletServiceInit,
} from '../../src/core/net/index.ts'
import { PeerRole } from '../../src/core/protocol/handshake.ts'
import { nativeSigner } from '../../src/node/crypto/native-signer.ts'
import { assembleNode } from '../../src/node/daemon/assemble.ts'
import { monotonicClock, nodeTimers } from '../../src/node/engine-ports.ts'
import { createNodeHost, type NodeHost, type NodeHostOptions } from '../../src/node/net/host.ts'
import { openLevelStore } from '../../src/node/storage/level-store.ts'
import { GENESIS_HASH, keyPair } from './ledger-fixture.ts'
import { FAST_DISCOVERY } from './net-discovery.ts'
import { peerHandshake } from './peer-handshake.ts'

export type Transport = 'memory' | 'tcp' | 'ws'

/** Blocks a few times a second, so payments are confirmed within a network test. */
export const FAST_CHAIN = {
  intervalMs: 250,
  timeouts: { proposeMs: 1_000, prevoteMs: 1_000, precommitMs: 1_000, growthMs: 250 },
}

/** Link timers short enough for a test: re-dial after 0.2, 0.4 … 1.6 s; ping every 0.5 s. */
export const FAST_LINKS = {
  backoffMinMs: 200,
  backoffMaxMs: 1_600,
  acceptWaitMs: 500,
  pingIntervalMs: 500,
  pingTimeoutMs: 1_000,
  timeoutMs: 3_000,
}

export type MasternodeHost = NodeHost<{
  handshake: HandshakeService
  committeeLinks: CommitteeLinks
  engine: EngineService
}>

export interface Masternode {
  readonly key: KeyPair
  readonly host: MasternodeHost
  readonly store: Store
  readonly links: CommitteeLinks
  readonly engine: EngineService
  /** txid (hex) → ms (monotonic) when this node saw it final. */
  readonly finalized: Map<string, number>
  /** txid (hex) → height of the block that confirmed it here. */
  readonly confirmed: Map<string, number>
  readonly committed: number[]
  readonly alarms: string[]
  readonly penalties: Penalty[]
  /** The node's defence layer, when it was started with one. */
  readonly defence: Defence | undefined
  /** The gossip service, when the node was started with one (it publishes). */
  readonly gossip: GossipService | undefined
  /** The discovery service, when the node was started with one (its book feeds the links). */
  readonly discovery: DiscoveryService | undefined
  /** The wallet protocol service, when the node was started with one. */
  readonly wallet: WalletService | undefined
  /** The sync service, when the node was started with one. */
  readonly sync: SyncService | undefined
}

export interface ClusterSetup {
  readonly transport: Transport
  readonly committee: Committee
  readonly genesis: { readonly txid: Txid; readonly outputs: readonly TxOutput[] }
  readonly chain?: ChainConfig
  readonly verifier?: Ed25519Verifier
  /** Link settings other than the defaults (tests shorten the timers). */
  readonly links?: LinkSettings
  readonly book: MemoryPeerBook
}

/** What stopping a node needs: a masternode or a full node. */
type Running = Pick<Masternode, 'engine' | 'store'> & {
  readonly host: { stop(): void | Promise<void> }
}

const live: Running[] = []
/** Hosts without an engine (wallets, link-only peers), stopped first. */
const wallets: { stop(): void | Promise<void> }[] = []
const dirs: string[] = []
let memoryCounter = 0

function listenAddresses(transport: Transport, memoryName: string): string[] {
  switch (transport) {
    case 'memory':
      return [`/memory/${memoryName}`]
    case 'tcp':
      return ['/ip4/127.0.0.1/tcp/0']
    case 'ws':
      return ['/ip4/127.0.0.1/tcp/0/ws']
  }
}

/** A fresh memory address name (kept by a restarted node so others find it again). */
export function memoryName(): string {
  return `engine-net-${process.pid}-${memoryCounter++}`
}

/** A LevelDB store in a temporary folder, removed by `stopCluster`. */
export async function levelStore(): Promise<Store> {
  const dir = await mkdtemp(join(tmpdir(), 'timecoin-net-'))
  dirs.push(dir)
  return openLevelStore(dir)
}

export interface StartOptions {
  readonly store?: Store
  readonly privateKey?: PrivateKey
  /** The engine service's verification budget before links stop reading. */
  readonly maxPendingVerifications?: number
  /** For memory: the listen name (reuse it to restart a node at the same address). */
  readonly memoryName?: string
  /**
   * Defends the node with these settings: a `Defence` scores its penalties (as well as recording
   * them), rates every inbound frame, bans through the handshake and gates connections (composed
   * with the ban and reserved-slot gaters).
   */
  readonly defence?: Partial<DefenceSettings>
  /** Serves the wallet protocol with these settings (the `wallet` service). */
  readonly wallet?: Partial<Omit<WalletServiceInit, 'network' | 'store'>>
  /** libp2p's connection monitor other than its defaults (the wallet fan-out measure). */
  readonly connectionMonitor?: NodeHostOptions['connectionMonitor']
  /**
   * Runs gossipsub and the gossip service, publishing the transactions it sees final and the
   * blocks it commits (its engine gets the gossip layer as a follower).
   */
  readonly gossip?: boolean
  /** Runs the sync service with these settings (the `sync` service, listed last). */
  readonly sync?: Partial<Omit<SyncServiceInit, 'network' | 'genesisHash' | 'store'>>
  /**
   * Runs discovery (test timers, private addresses allowed) with its own `AddressBook`, which is
   * then the committee links' peer book instead of the setup's.
   */
  readonly discovery?: Partial<Omit<DiscoveryInit, 'network' | 'book'>>
}

/** Opens an engine from `store` and starts a masternode host around it; publishes its address. */
export async function startMasternode(
  setup: ClusterSetup,
  key: KeyPair,
  options: StartOptions = {},
): Promise<Masternode> {
  const store = options.store ?? new MemoryStore()
  const { finalized, confirmed, committed, alarms, notify } = tracker()
  const penalties: Penalty[] = []
  const defence =
    options.defence === undefined ? undefined : new Defence({ settings: options.defence })
  const withDiscovery = options.discovery !== undefined
  const base = nodeBase(setup, store, options.memoryName)
  const assembled = await assembleNode({
    ...base,
    key,
    masternode: true,
    signer: nativeSigner(key),
    ...(options.privateKey === undefined ? {} : { privateKey: options.privateKey }),
    ...(options.connectionMonitor === undefined
      ? {}
      : { host: { ...base.host, connectionMonitor: options.connectionMonitor } }),
    ...(defence === undefined ? {} : { defence }),
    // With discovery, its own book is the links' peer book; without, the setup's shared one.
    book: withDiscovery
      ? new AddressBook({ allowPrivate: true, backoffMinMs: 100, backoffMaxMs: 800 })
      : setup.book,
    discovery: withDiscovery ? { ...FAST_DISCOVERY, ...options.discovery } : false,
    ...(setup.links === undefined ? {} : { links: setup.links }),
    gossip: options.gossip === true ? {} : false,
    wallet: options.wallet ?? false,
    sync: options.sync ?? false,
    ...(options.maxPendingVerifications === undefined
      ? {}
      : { engine: { maxPendingVerifications: options.maxPendingVerifications } }),
    notify,
    onPenalty: (p) => penalties.push(p),
    onStoreError: (e) => alarms.push(`store: ${String(e)}`),
  })
  const host = assembled.host as unknown as MasternodeHost
  const services = assembled.host.services
  const node: Masternode = {
    key,
    host,
    store,
    links: host.services.committeeLinks,
    engine: host.services.engine,
    finalized,
    confirmed,
    committed,
    alarms,
    penalties,
    defence,
    gossip: services.gossip,
    discovery: services.discovery,
    wallet: services.wallet,
    sync: services.sync,
  }
  live.push(node)
  setup.book.set(key.publicKey, addressesOf(host, setup.transport))
  return node
}

/**
 * What every test node shares (assemble.ts does the wiring): devnet, the test genesis, its store,
 * the monotonic clock, the setup's verifier, a listener on the setup's transport, and a short
 * handshake deadline.
 */
function nodeBase(setup: ClusterSetup, store: Store, name = memoryName()) {
  return {
    network: 'devnet' as const,
    genesis: {
      genesisHash: GENESIS_HASH,
      genesis: setup.genesis,
      committee: setup.committee,
      ...(setup.chain === undefined ? {} : { chain: setup.chain }),
    },
    store,
    clock: monotonicClock,
    timers: nodeTimers,
    ...(setup.verifier === undefined ? {} : { verifier: setup.verifier }),
    host: {
      ...(setup.transport === 'memory' ? { transports: [memory()] } : {}),
      listenAddresses: listenAddresses(setup.transport, name),
    },
    handshakeTimeoutMs: 5_000,
  }
}

/** What a node reports — finality, confirmation, commits, alarms — and the `notify` recording it. */
function tracker() {
  const finalized = new Map<string, number>()
  const confirmed = new Map<string, number>()
  const committed: number[] = []
  const alarms: string[] = []
  const notify = (n: Notification): void => {
    if (n.type === 'finalized') finalized.set(bytesToHex(n.txid), performance.now())
    else if (n.type === 'committed') committed.push(n.height)
    else if (n.type === 'alarm') alarms.push(`${n.code}: ${n.message}`)
    else if (n.type === 'utxoState' && n.state.kind === 'Confirmed') {
      const id = bytesToHex(n.state.txid)
      if (!confirmed.has(id)) confirmed.set(id, n.state.height)
    }
  }
  return { finalized, confirmed, committed, alarms, notify }
}

/** The handshake of a node that is no masternode: a full node or a light client. */
export { peerHandshake }

export type FullNodeHost = NodeHost<{
  handshake: HandshakeService
  engine: EngineService
  gossip: GossipService
}>

/** A full node: no committee links, an engine whose key is in no committee, fed by gossip. */
export interface FullNode
  extends Pick<
    Masternode,
    'key' | 'store' | 'engine' | 'finalized' | 'confirmed' | 'committed' | 'alarms' | 'penalties'
  > {
  readonly host: FullNodeHost
  readonly gossip: GossipService
}

let fullNodes = 0

/** Starts a full node on the setup's transport; it connects to no one until a test dials. */
export async function startFullNode(
  setup: ClusterSetup,
  options: {
    readonly store?: Store
    readonly gossip?: Partial<Omit<GossipInit, 'network' | 'genesisHash'>>
  } = {},
): Promise<FullNode> {
  const key = keyPair(900 + fullNodes++)
  const store = options.store ?? new MemoryStore()
  const { finalized, confirmed, committed, alarms, notify } = tracker()
  const penalties: Penalty[] = []
  const assembled = await assembleNode({
    ...nodeBase(setup, store),
    key,
    masternode: false,
    discovery: false,
    gossip: options.gossip ?? {},
    notify,
    onPenalty: (p) => penalties.push(p),
    onStoreError: (e) => alarms.push(`store: ${String(e)}`),
  })
  const host = assembled.host as unknown as FullNodeHost
  const node: FullNode = {
    key,
    host,
    store,
    engine: host.services.engine,
    gossip: host.services.gossip,
    finalized,
    confirmed,
    committed,
    alarms,
    penalties,
  }
  live.push(node)
  return node
}

/** Link settings a test may change (all but the node's identity and its peer book). */
export type LinkSettings = Partial<
  Omit<CommitteeLinksInit, 'network' | 'masternodeKey' | 'peerBook'>
>

/**
 * The handshake and committee-link services of masternode `key`, dialling peers from `book`;
 * `bans` replaces the handshake's own ban list (a `Defence`).
 */
export function masternodeServices(
  key: KeyPair,
  book: PeerBook,
  links: LinkSettings = {},
  bans?: BanPolicy,
) {
  return {
    handshake: handshake({
      network: 'devnet',
      genesisHash: GENESIS_HASH,
      role: PeerRole.Masternode,
      masternodeSigner: keySigner(key.secretKey),
      tip: () => ({ height: 0, hash: GENESIS_HASH }),
      timeoutMs: 5_000,
      ...(bans === undefined ? {} : { bans }),
    }),
    committeeLinks: committeeLinks({
      network: 'devnet',
      masternodeKey: key.publicKey,
      peerBook: book,
      ...links,
    }),
  }
}

export type LinkOnlyHost = NodeHost<{ handshake: HandshakeService; committeeLinks: CommitteeLinks }>

/** A masternode host with links and no engine: it sends whatever frames a test writes. */
export async function startLinkOnly(setup: ClusterSetup, key: KeyPair): Promise<LinkOnlyHost> {
  const host: LinkOnlyHost = await createNodeHost({
    ...(setup.transport === 'memory' ? { transports: [memory()] } : {}),
    listenAddresses: listenAddresses(setup.transport, memoryName()),
    gossipsub: false,
    services: masternodeServices(key, setup.book, setup.links),
  })
  host.services.committeeLinks.receive({ frame: () => {}, misbehaved: () => {} })
  wallets.push(host)
  return host
}

export type WalletHost = NodeHost<{ handshake: HandshakeService }>

/** A light client's host on `transport` (dials only; submits over the tx protocol). */
export async function startWallet(transport: Transport): Promise<WalletHost> {
  const host: WalletHost = await createNodeHost({
    ...(transport === 'memory' ? { transports: [memory()] } : {}),
    listenAddresses: listenAddresses(transport, memoryName()),
    gossipsub: false,
    services: { handshake: peerHandshake(PeerRole.LightClient) },
  })
  wallets.push(host)
  return host
}

export function addressesOf(
  host: Pick<MasternodeHost, 'getMultiaddrs'>,
  transport: Transport,
): Multiaddr[] {
  return host.getMultiaddrs().filter((a) => {
    const s = a.toString()
    if (transport === 'memory') return s.startsWith('/memory/')
    if (transport === 'ws') return s.includes('/ws')
    return s.includes('/tcp/') && !s.includes('/ws')
  })
}

/**
 * Starts a masternode for each key of `setup.committee`'s fixture (`options(i)` for the i-th of
 * the committee) after the members already `started`, and resolves once every committee link is
 * up. Starting one member first lets a test attach followers to it before a quorum makes blocks.
 */
export async function startCommittee(
  setup: ClusterSetup,
  keys: readonly KeyPair[],
  options: (i: number) => StartOptions | Promise<StartOptions> = () => ({}),
  started: readonly Masternode[] = [],
): Promise<Masternode[]> {
  const nodes = [...started]
  for (const key of keys) nodes.push(await startMasternode(setup, key, await options(nodes.length)))
  await until(() => linked(nodes), 'every committee link up')
  return nodes
}

/** Whether every node has a link up to every other. */
export function linked(nodes: readonly Masternode[]): boolean {
  return nodes.every((n) => n.links.stats().connected === nodes.length - 1)
}

/** Stops one node as a crash would (its host, then its store). */
export async function stopMasternode(node: Running, closeStore = true): Promise<void> {
  const i = live.indexOf(node)
  if (i !== -1) live.splice(i, 1)
  await node.host.stop()
  await node.engine.runtime.idle()
  if (closeStore) await node.store.close()
}

export async function stopCluster(): Promise<void> {
  await Promise.all(wallets.splice(0).map((w) => w.stop()))
  await Promise.all(live.splice(0).map((n) => stopMasternode(n)))
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true })
}

/** Resolves once `ready()` holds, polling every 20 ms; rejects with `what` after `ms`. */
export async function until(ready: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = performance.now() + ms
  while (!ready()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${ms} ms: ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}
