/**
 * One node's parts wired together, and nothing else (DESIGN, "the daemon only wires parts"): the
 * engine opened from its store, then a libp2p host with the protocol services in the order they
 * use each other — defence, handshake, discovery, committee links (a masternode only), the engine
 * service, gossip, the wallet protocol, sync. The daemon builds its node here from its settings,
 * and the network tests build theirs here from a fixture, so the wiring exists once.
 *
 * Invariants: one `AddressBook` is both discovery's book and the committee links' peer book; one
 * `Defence`, when given, is the connection gater (composed with the ban and reserved-slot
 * gaters), the handshake's ban policy, and every service's penalty sink and inbound gate; the
 * engine service's relay window and gossip's are the defence's `messageMaxAgeSeconds`; a
 * masternode that publishes on gossip has `GOSSIP_FOLLOWER` among its engine's followers.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { ConnectionGater, PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { Ed25519Verifier, KeyPair } from '../../core/crypto/ed25519.ts'
import { loadCommittedBlocks } from '../../core/engine/chain-store.ts'
import type { FinalityEngine } from '../../core/engine/finality-engine.ts'
import {
  type Notification,
  type OpenEngineConfig,
  openEngine,
  type RuntimePorts,
} from '../../core/engine/runtime.ts'
import { keySigner } from '../../core/index.ts'
import {
  AddressBook,
  banGater,
  type CommitteeLinks,
  type CommitteeLinksInit,
  committeeLinks,
  committeeSlotsGater,
  composeGaters,
  type Defence,
  type DiscoveryInit,
  type DiscoveryService,
  discovery,
  type EngineService,
  type EngineServiceInit,
  engineService,
  GOSSIP_FOLLOWER,
  type GossipInit,
  type GossipService,
  gossip,
  type HandshakeService,
  handshake,
  type PeerBook,
  type Penalty,
  type PenaltySink,
  type SyncService,
  type SyncServiceInit,
  syncService,
  type WalletService,
  type WalletServiceInit,
  walletService,
} from '../../core/net/index.ts'
import type { NetworkName } from '../../core/primitives/network.ts'
import { PeerRole } from '../../core/protocol/handshake.ts'
import type { Store } from '../../core/storage/store.ts'
import { openSnapshotStage } from '../../core/sync/snapshot-store.ts'
import { createNodeHost, type NodeHost, type NodeHostOptions } from '../net/host.ts'

/** The services a node's host may carry; those it was not built with are absent. */
export interface NodeServices {
  defence?: Defence
  handshake: HandshakeService
  discovery?: DiscoveryService
  committeeLinks?: CommitteeLinks
  engine: EngineService
  gossip?: GossipService
  wallet?: WalletService
  sync?: SyncService
}

/** A node's host. Services are typed as optional when a node may go without them. */
// biome-ignore lint/suspicious/noExplicitAny: libp2p's ServiceMap is a record of anything.
export type AssembledHost = NodeHost<NodeServices & Record<string, any>>

export type LinkSettings = Partial<
  Omit<CommitteeLinksInit, 'network' | 'masternodeKey' | 'peerBook'>
>

export interface NodeParts {
  readonly network: NetworkName
  /** What `openEngine` takes from the genesis (`LoadedGenesis.engine`), its key added below. */
  readonly genesis: Omit<OpenEngineConfig, 'key' | 'signer' | 'followers'>
  readonly store: Store
  /**
   * The engine's key. With `masternode` (then it is required) it is also the handshake's
   * masternode key and the links' identity; a full node needs none: its engine follows the chain
   * (applies certified blocks, finalizes on the members' votes) and votes on nothing.
   */
  readonly key?: KeyPair
  /** A masternode (handshake role, committee links) rather than a full node. */
  readonly masternode: boolean
  /** Signs with `key` (default: the core's signer; the daemon hands in node:crypto's). */
  readonly signer?: OpenEngineConfig['signer']
  /** The engine clock and its timers (the daemon: `wallClock`, `wallTimers`). */
  readonly clock: RuntimePorts['clock']
  readonly timers: RuntimePorts['timers']
  /** Checks signatures off the engine (the daemon: the worker pool). */
  readonly verifier?: Ed25519Verifier
  /** The libp2p identity (generated when absent). */
  readonly privateKey?: PrivateKey
  /** Where and how the host listens; `services`, gater and identity are filled in here. */
  readonly host: Omit<NodeHostOptions, 'services' | 'connectionGater' | 'privateKey' | 'gossipsub'>
  /** The defence layer (recommended; without it a Fatal penalty bans through the handshake). */
  readonly defence?: Defence
  /** A gate asked before the defence's (the operator's bans: `setban`). */
  readonly gater?: ConnectionGater
  /** Peer discovery; false: none (the committee links then dial only what `book` knows). */
  readonly discovery?: false | Omit<DiscoveryInit, 'network' | 'book'>
  /**
   * The book the links dial from, which discovery fills (then it must be an `AddressBook`);
   * default: a new `AddressBook`, private addresses as discovery says.
   */
  readonly book?: PeerBook
  readonly links?: LinkSettings
  /** Gossipsub and the gossip service (a masternode publishes). */
  readonly gossip?: false | Omit<GossipInit, 'network' | 'genesisHash' | 'publish'>
  /** The wallet protocol; false: none. */
  readonly wallet?: false | Omit<WalletServiceInit, 'network' | 'store'>
  /** The sync service; false: none. */
  readonly sync?: false | Omit<SyncServiceInit, 'network' | 'genesisHash' | 'store'>
  /** The engine service's remaining settings (the budget, the relay filter, the verdict cache). */
  readonly engine?: Pick<
    EngineServiceInit,
    'maxPendingVerifications' | 'relayFilter' | 'verdictCacheEntries'
  >
  /** Every runtime notification (finality, commits, output states, alarms). */
  readonly notify?: (notification: Notification) => void
  /** Told every penalty as well (tests record them; the defence scores them). */
  readonly onPenalty?: (penalty: Penalty) => void
  /** A store write failed and the runtime stopped. */
  readonly onStoreError?: (error: unknown) => void
  /** The handshake's deadline (default 10 s). */
  readonly handshakeTimeoutMs?: number
  /** The mempool's limits (default: the ledger's). */
  readonly mempool?: OpenEngineConfig['mempool']
}

export interface AssembledNode {
  readonly host: AssembledHost
  readonly engine: FinalityEngine
  readonly service: EngineService
  readonly book: PeerBook
  readonly key: KeyPair | undefined
  readonly masternode: boolean
}

function penaltySink(defence: Defence | undefined, onPenalty: NodeParts['onPenalty']) {
  if (defence === undefined && onPenalty === undefined) return undefined
  const sink: PenaltySink = {
    penalize: (p) => {
      onPenalty?.(p)
      defence?.penalize(p)
    },
  }
  return sink
}

/** Opens the engine from `parts.store` and builds (and starts) the host around it. */
export async function assembleNode(parts: NodeParts): Promise<AssembledNode> {
  const { network, defence, masternode } = parts
  const genesisHash = parts.genesis.genesisHash
  const gossipOn = parts.gossip !== false && parts.gossip !== undefined
  const mnKey = masternode ? parts.key : undefined
  if (masternode && mnKey === undefined) throw new TypeError('a masternode needs its key')
  // An install of a snapshot that a crash stopped is no store to open: its records are deleted
  // (the sync service in snapshot mode resumes one instead; here the node syncs from genesis).
  await openSnapshotStage(parts.store, { resume: false })
  const engine = await openEngine(parts.store, {
    ...parts.genesis,
    ...(parts.key === undefined ? {} : { key: parts.key }),
    ...(parts.signer === undefined || parts.key === undefined ? {} : { signer: parts.signer }),
    ...(gossipOn && masternode ? { followers: [GOSSIP_FOLLOWER] } : {}),
    ...(parts.mempool === undefined ? {} : { mempool: parts.mempool }),
  })
  const privateKey = parts.privateKey ?? (await generateKeyPair('Ed25519'))
  const discoveryInit = parts.discovery === false ? undefined : (parts.discovery ?? {})
  const book =
    parts.book ??
    new AddressBook({
      self: peerIdFromPrivateKey(privateKey).toString(),
      allowPrivate: discoveryInit?.allowPrivate ?? false,
    })
  if (discoveryInit !== undefined && !(book instanceof AddressBook))
    throw new TypeError('discovery fills an AddressBook: give one as the book, or none')
  const sink = penaltySink(defence, parts.onPenalty)
  // The engine service charges every penalty to the sink; the other services do so when the node
  // is defended (without a defence they count their own).
  const charged = {
    ...(sink === undefined ? {} : { penalties: sink }),
    ...(defence === undefined ? {} : { inbound: defence }),
  }
  const guarded = defence === undefined ? {} : charged
  const maxAgeSeconds = defence?.settings.messageMaxAgeSeconds
  const tip = () => engine.tip ?? { height: 0, hash: genesisHash }
  let built: AssembledHost | undefined
  const host: AssembledHost = await createNodeHost({
    ...parts.host,
    privateKey,
    ...(defence === undefined && parts.gater === undefined
      ? {}
      : {
          connectionGater: composeGaters(
            ...(parts.gater === undefined ? [] : [parts.gater]),
            ...(defence === undefined
              ? []
              : [
                  defence.gater,
                  banGater(defence),
                  committeeSlotsGater(() => built?.services.committeeLinks),
                ]),
          ),
        }),
    gossipsub: gossipOn ? {} : false,
    services: {
      ...(defence === undefined ? {} : { defence: defence.service() }),
      handshake: handshake({
        network,
        genesisHash,
        tip,
        ...(mnKey !== undefined
          ? { role: PeerRole.Masternode, masternodeSigner: keySigner(mnKey.secretKey) }
          : { role: PeerRole.FullNode }),
        ...(parts.handshakeTimeoutMs === undefined ? {} : { timeoutMs: parts.handshakeTimeoutMs }),
        ...(defence === undefined ? {} : { bans: defence }),
      }),
      ...(discoveryInit === undefined
        ? {}
        : {
            discovery: discovery({
              ...discoveryInit,
              network,
              book: book as AddressBook,
              ...guarded,
            }),
          }),
      ...(mnKey !== undefined
        ? {
            committeeLinks: committeeLinks({
              ...parts.links,
              network,
              masternodeKey: mnKey.publicKey,
              peerBook: book,
            }),
          }
        : {}),
      engine: engineService({
        ...parts.engine,
        network,
        genesisHash,
        engine,
        store: parts.store,
        clock: parts.clock,
        timers: parts.timers,
        ...(parts.verifier === undefined ? {} : { verifier: parts.verifier }),
        ...charged,
        ...(maxAgeSeconds === undefined
          ? {}
          : { relayFilter: { ...parts.engine?.relayFilter, maxAgeMs: maxAgeSeconds * 1000 } }),
        ...(parts.notify === undefined ? {} : { notify: parts.notify }),
        ...(parts.onStoreError === undefined ? {} : { onStoreError: parts.onStoreError }),
      }),
      ...(gossipOn
        ? {
            gossip: gossip({
              clock: parts.clock,
              ...(maxAgeSeconds === undefined ? {} : { messageMaxAgeSeconds: maxAgeSeconds }),
              ...(parts.gossip as Omit<GossipInit, 'network' | 'genesisHash' | 'publish'>),
              network,
              genesisHash,
              publish: masternode,
            }),
          }
        : {}),
      ...(parts.wallet === false || parts.wallet === undefined
        ? {}
        : {
            wallet: walletService({
              loadBlock: async (height) => (await loadCommittedBlocks(parts.store, height, 1))[0],
              ...parts.wallet,
              network,
              store: parts.store,
              ...guarded,
            }),
          }),
      ...(parts.sync === false || parts.sync === undefined
        ? {}
        : {
            sync: syncService({
              ...parts.sync,
              network,
              genesisHash,
              store: parts.store,
              ...guarded,
            }),
          }),
    },
  })
  built = host
  return { host, engine, service: host.services.engine, book, key: parts.key, masternode }
}
