/**
 * The sync service's faces (docs/PROTOCOL.md §19.6): the libp2p components it uses, its settings,
 * the events it dispatches and its counters. Types only; the service is sync-service.ts.
 */
import type { PeerId } from '@libp2p/interface'
import type { ConnectionManager, Registrar } from '@libp2p/interface-internal'
import type { Committee } from '../../consensus/committee.ts'
import type { Ed25519Verifier } from '../../crypto/ed25519.ts'
import type { TimeCoinError } from '../../errors.ts'
import type { NetworkName } from '../../primitives/network.ts'
import type { Store } from '../../storage/store.ts'
import type { SyncTip } from '../../sync/block-check.ts'
import type { SyncMode, SyncProgress } from '../../sync/sync-client.ts'
import type { CommitteeLinks } from '../committee-links/committee-links-service.ts'
import type { InboundGate } from '../defence/inbound-gate.ts'
import type { EngineService } from '../engine-service/engine-service.ts'
import type { PenaltySink } from '../engine-service/penalties.ts'
import type { HandshakeService } from '../handshake/handshake-service.ts'

/** The parts of a libp2p node the service uses; `engine` and `committeeLinks` when the host has them. */
export interface SyncServiceComponents {
  registrar: Pick<Registrar, 'handle' | 'unhandle'>
  connectionManager: Pick<ConnectionManager, 'getConnections' | 'closeConnections'>
  handshake: Pick<
    HandshakeService,
    'verified' | 'peers' | 'peer' | 'addEventListener' | 'removeEventListener'
  >
  engine?: Pick<EngineService, 'runtime' | 'verifier' | 'penalties'>
  committeeLinks?: Pick<CommitteeLinks, 'addEventListener' | 'removeEventListener' | 'send'>
}

/**
 * `blocks`: catch up through the engine and follow (the default); `snapshot`: fetch a verified
 * snapshot into an empty store, then stop (open the engine on that store and follow in `blocks`
 * mode); `serve`: answer peers, never sync.
 */
export type SyncServiceMode = SyncMode | 'serve'

export interface SyncServiceInit {
  readonly network: NetworkName
  readonly genesisHash: Uint8Array
  /** Blocks are served from it; a snapshot is installed into it (then it must be empty). */
  readonly store: Store
  readonly mode?: SyncServiceMode
  /** Snapshot mode: the genesis committee, and the minimum committee (default devnet's 3). */
  readonly committee?: Committee
  readonly minVoters?: number
  /** Checks certificate signatures when the host has no engine (default: the core's). */
  readonly verifier?: Ed25519Verifier
  /** Where penalties go (default: the engine's sink, else bans on Fatal). */
  readonly penalties?: PenaltySink
  /** Asked before a request frame is decoded (the defence layer's rate limits); none: all pass. */
  readonly inbound?: InboundGate
  /** Blocks asked per range request (1 … 64). */
  readonly rangeSize?: number
  /** Deadline of one request, from opening its stream to the answer (default the protocol's 60 s). */
  readonly requestTimeoutMs?: number
  readonly statusEveryMs?: number
  readonly maxAnswerBytes?: number
  readonly maxSnapshots?: number
  readonly snapshotKeepMs?: number
  /** Mempool entries pushed to a member whose link comes up (0: none). */
  readonly maxPush?: number
  /** The clock snapshots are kept by (ms; default `Date.now`). */
  readonly clock?: () => number
}

export interface SyncServiceEvents {
  /** Where the sync stands (for a progress bar: height / target, chunks / total). */
  'sync:progress': CustomEvent<SyncProgress>
  /** Caught up with every peer that answered. */
  'sync:synced': CustomEvent<SyncTip>
  /** A snapshot was verified and written into the store (snapshot mode). */
  'sync:installed': CustomEvent<{ readonly tip: SyncTip; readonly records: number }>
  /** A peer was penalized for what it served. */
  'sync:penalized': CustomEvent<{ readonly peer: PeerId; readonly error: TimeCoinError }>
  /** The engine refused blocks whose certificates verified: this node's state is wrong. */
  'sync:halted': CustomEvent<Error>
}

export interface SyncServiceStats {
  readonly served: number
  readonly requests: number
  readonly failures: number
  readonly penalties: number
  readonly blocksApplied: number
  readonly chunksStored: number
  /** Snapshot mode: the chunk an install a crash stopped was resumed from (0: none resumed). */
  readonly resumedAt: number
  readonly pushed: number
}
