/**
 * The committee links service's types: the link states DESIGN §5 names, the parts of a libp2p
 * node the service uses, its settings (`CommitteeLinksInit`, resolved once with the defaults and
 * checked by `linkSettings`), the receiver of inbound frames, the events, the statistics and a
 * member's status. No behaviour beyond resolving the settings.
 *
 * Invariants: `linkSettings` returns every setting filled in, with 0 < backoffMin ≤ backoffMax
 * and a reserved share between 0 and 1, or throws a RangeError.
 */
import type { AbortOptions, PeerId, PeerStore } from '@libp2p/interface'
import type { ConnectionManager, Registrar } from '@libp2p/interface-internal'
import type { TimeCoinError } from '../../errors.ts'
import type { NetworkName } from '../../primitives/network.ts'
import type { HandshakeService } from '../handshake/handshake-service.ts'
import {
  DEFAULT_ACCEPT_WAIT_MS,
  DEFAULT_BACKOFF_MAX_MS,
  DEFAULT_BACKOFF_MIN_MS,
  DEFAULT_LINK_TIMEOUT_MS,
  DEFAULT_MAX_GUEST_LINKS,
  DEFAULT_MAX_PING_FAILURES,
  DEFAULT_MAX_QUEUE_BYTES,
  DEFAULT_MAX_WRITE_BYTES,
  DEFAULT_PING_INTERVAL_MS,
  DEFAULT_PING_TIMEOUT_MS,
  DEFAULT_RESERVED_SHARE,
} from './constants.ts'
import type { LinkCounters } from './link.ts'
import type { PeerBook } from './peer-book.ts'

/** A committee member's link, as DESIGN §5 names the states. */
export const LinkState = {
  /** Not being dialled: before start, or after stop. */
  Disconnected: 'disconnected',
  /** The first dial is in flight. */
  Connecting: 'connecting',
  /** The link's stream is open. */
  Connected: 'connected',
  /** Lost or never reached: a re-dial is in flight or waits for its backoff. */
  Reconnecting: 'reconnecting',
} as const
export type LinkState = (typeof LinkState)[keyof typeof LinkState]

/** `ping` as `@libp2p/ping` offers it. */
export interface PingService {
  ping(peer: PeerId, options?: AbortOptions): Promise<number>
}

/** The parts of a libp2p node the service uses (the handshake and ping services included). */
export interface CommitteeLinksComponents {
  peerId: PeerId
  registrar: Pick<Registrar, 'handle' | 'unhandle'>
  connectionManager: Pick<
    ConnectionManager,
    'openConnection' | 'getConnections' | 'closeConnections' | 'getMaxConnections'
  >
  peerStore: Pick<PeerStore, 'merge'>
  handshake: Pick<
    HandshakeService,
    | 'peer'
    | 'peerOfMasternode'
    | 'verified'
    | 'verifiedConnection'
    | 'addEventListener'
    | 'removeEventListener'
  >
  /** The host's ping service (both hosts have one); without it links are not health-checked. */
  ping?: PingService
}

export interface CommitteeLinksInit {
  readonly network: NetworkName
  /** This node's masternode key: never a link of its own. */
  readonly masternodeKey: Uint8Array
  /** Where members listen (by masternode key). */
  readonly peerBook?: PeerBook
  /** Bytes queued per link before frames are dropped (default 16 MiB). */
  readonly maxQueueBytes?: number
  /** Most bytes in one stream write (default 256 KiB). */
  readonly maxWriteBytes?: number
  /** Links held for masternodes outside the committee (default 64). */
  readonly maxGuests?: number
  readonly backoffMinMs?: number
  readonly backoffMaxMs?: number
  /** Dial, stream opening and drain deadline (default: the consensus protocol's, 10 s). */
  readonly timeoutMs?: number
  readonly acceptWaitMs?: number
  readonly pingIntervalMs?: number
  readonly pingTimeoutMs?: number
  readonly maxPingFailures?: number
  /** Share of `maxConnections` reserved for members (default 0.4). */
  readonly reservedShare?: number
}

/** Every setting of `CommitteeLinksInit` but the node's identity and its peer book, filled in. */
export type LinkSettings = Required<
  Omit<CommitteeLinksInit, 'network' | 'masternodeKey' | 'peerBook'>
>

/** `init`'s settings with the defaults for those it leaves out, checked. */
export function linkSettings(init: CommitteeLinksInit): LinkSettings {
  const s: LinkSettings = {
    maxQueueBytes: init.maxQueueBytes ?? DEFAULT_MAX_QUEUE_BYTES,
    maxWriteBytes: init.maxWriteBytes ?? DEFAULT_MAX_WRITE_BYTES,
    maxGuests: init.maxGuests ?? DEFAULT_MAX_GUEST_LINKS,
    backoffMinMs: init.backoffMinMs ?? DEFAULT_BACKOFF_MIN_MS,
    backoffMaxMs: init.backoffMaxMs ?? DEFAULT_BACKOFF_MAX_MS,
    timeoutMs: init.timeoutMs ?? DEFAULT_LINK_TIMEOUT_MS,
    acceptWaitMs: init.acceptWaitMs ?? DEFAULT_ACCEPT_WAIT_MS,
    pingIntervalMs: init.pingIntervalMs ?? DEFAULT_PING_INTERVAL_MS,
    pingTimeoutMs: init.pingTimeoutMs ?? DEFAULT_PING_TIMEOUT_MS,
    maxPingFailures: init.maxPingFailures ?? DEFAULT_MAX_PING_FAILURES,
    reservedShare: init.reservedShare ?? DEFAULT_RESERVED_SHARE,
  }
  if (!(s.backoffMinMs > 0 && s.backoffMaxMs >= s.backoffMinMs))
    throw new RangeError('committee links: backoff needs 0 < min ≤ max')
  if (!(s.reservedShare >= 0 && s.reservedShare <= 1))
    throw new RangeError('committee links: the reserved share is between 0 and 1')
  return s
}

/** Where inbound frames go (the engine service). */
export interface FrameReceiver {
  /** A complete frame from masternode `from` (its key, hex) over libp2p peer `peer`. */
  frame(from: string, frame: Uint8Array, peer: PeerId): void
  /**
   * A peer broke the link protocol (a frame over the limit, a consensus stream without the right
   * to one): the stream is reset; the error's peer action says what it costs.
   */
  misbehaved(peer: PeerId, error: TimeCoinError): void
}

export interface LinkEvent {
  /** The masternode key, hex. */
  readonly key: string
  readonly peer: PeerId | undefined
  /** Why a link went down. */
  readonly error?: TimeCoinError
}

export interface CommitteeLinksEvents {
  'link:up': CustomEvent<LinkEvent>
  'link:down': CustomEvent<LinkEvent>
}

export interface CommitteeLinksStats extends LinkCounters {
  readonly members: number
  readonly connected: number
  readonly guests: number
  /** Frames for a peer with no link (neither a member nor a guest). */
  readonly unroutable: number
  readonly dials: number
  readonly dialFailures: number
  /** Re-dials of members after a failure or a lost link. */
  readonly reconnects: number
  readonly pingFailures: number
  /** Links reset for a framing error. */
  readonly frameErrors: number
  readonly refusedStreams: number
}

export interface MemberStatus {
  readonly key: string
  readonly state: LinkState
  readonly peer: PeerId | undefined
  readonly queuedBytes: number
  readonly rttMs: number | undefined
  readonly failures: number
  readonly lastError: TimeCoinError | undefined
}
