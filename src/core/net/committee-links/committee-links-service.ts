/**
 * Committee links as a libp2p service: one kept-open stream on the consensus protocol per pair of
 * masternodes, over which every engine message between committee members travels (one hop, no
 * stream per message). A masternode dials every member of its committee at start and after each
 * committee change, tags those peers so the connection manager prunes wallets first, re-dials a
 * lost member with backoff (1, 2, 4 … 32 s), and pings each link, closing and re-dialling a dead one.
 * It carries frames (bytes); what they mean is the engine service's business.
 *
 * Which stream is the link: the side with the lower masternode key opens it; the other side waits
 * `acceptWaitMs` for it and then opens one itself. When two streams meet, both sides keep the one
 * opened by the lower key, or, of two opened by the same side, the newer — so both ends settle on
 * the same stream, and a restarted peer's new stream replaces its dead one.
 *
 * Invariants: one member record per committee key (never this node's own), found in O(1) by key;
 * a member's state is Connected exactly while its link has an open stream; at most one dial and at
 * most one backoff timer per member; guest links (masternodes outside the committee, inbound only)
 * ≤ `maxGuests`; every stream handler waits for the connection's handshake, and only handshaken
 * masternodes get a link; nothing (timer, dial, stream) outlives `stop()`.
 */
import type {
  AbortOptions,
  Connection,
  PeerId,
  PeerStore,
  Startable,
  Stream,
} from '@libp2p/interface'
import { TypedEventEmitter } from '@libp2p/interface'
import type { ConnectionManager, Registrar } from '@libp2p/interface-internal'
import { MAX_COMMITTEE_SIZE } from '../../consensus/committee.ts'
import { bytesToHex, equalBytes } from '../../encoding/bytes.ts'
import { LinkError, PeerAction, TimeCoinError } from '../../errors.ts'
import type { NetworkName } from '../../primitives/network.ts'
import { PeerRole } from '../../protocol/handshake.ts'
import { PROTOCOLS, protocolIdOf } from '../../protocol/protocols.ts'
import type { CommitteeMembership } from '../defence/inbound-gate.ts'
import type { HandshakeService } from '../handshake/handshake-service.ts'
import type { VerifiedPeer } from '../handshake/verified-peers.ts'
import {
  COMMITTEE_TAG,
  COMMITTEE_TAG_VALUE,
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
  MAX_LINK_STREAMS_PER_CONNECTION,
} from './constants.ts'
import { broken, Link, type LinkCounters, newLinkCounters } from './link.ts'
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

interface Member {
  readonly key: Uint8Array
  readonly hex: string
  readonly link: Link
  /** This node opens the link (its key is the lower). */
  readonly opener: boolean
  state: LinkState
  /** Failed attempts since the link was last up: the backoff exponent. */
  failures: number
  everConnected: boolean
  timer: ReturnType<typeof setTimeout> | undefined
  dial: AbortController | undefined
  /** The connection the dial in flight is using, once it has one. */
  dialConnection: string | undefined
  /** Resolves an acceptor's wait for the member's stream. */
  inbound: (() => void) | undefined
  pinging: boolean
  pingFailures: number
  rttMs: number | undefined
  lastError: TimeCoinError | undefined
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

function abortError(message: string): LinkError {
  return broken(message)
}

function closeQuietly(stream: Stream): void {
  stream.close({ signal: AbortSignal.timeout(1_000) }).catch((error: unknown) => {
    stream.abort(error instanceof Error ? error : new Error(String(error)))
  })
}

function typed(error: unknown, fallback: string): TimeCoinError {
  if (error instanceof TimeCoinError) return error
  const message = error instanceof Error ? `${fallback}: ${error.message}` : fallback
  return broken(message, error)
}

export class CommitteeLinks
  extends TypedEventEmitter<CommitteeLinksEvents>
  implements Startable, CommitteeMembership
{
  readonly [Symbol.toStringTag] = '@timecoin/committee-links'
  /** The consensus protocol id of this node's network. */
  readonly protocol: string
  readonly #components: CommitteeLinksComponents
  readonly #self: string
  readonly #peerBook: PeerBook | undefined
  readonly #settings: Required<Omit<CommitteeLinksInit, 'network' | 'masternodeKey' | 'peerBook'>>
  readonly #members = new Map<string, Member>()
  readonly #guests = new Map<string, Link>()
  readonly #counters = newLinkCounters()
  #receiver: FrameReceiver | undefined
  #pingTimer: ReturnType<typeof setInterval> | undefined
  #started = false
  #paused = false
  #unroutable = 0
  #dials = 0
  #dialFailures = 0
  #reconnects = 0
  #pingFailures = 0
  #frameErrors = 0
  #refused = 0

  constructor(components: CommitteeLinksComponents, init: CommitteeLinksInit) {
    super()
    this.#components = components
    this.#self = bytesToHex(init.masternodeKey)
    this.#peerBook = init.peerBook
    this.protocol = protocolIdOf(init.network, 'consensus')
    this.#settings = {
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
    const s = this.#settings
    if (!(s.backoffMinMs > 0 && s.backoffMaxMs >= s.backoffMinMs))
      throw new RangeError('committee links: backoff needs 0 < min ≤ max')
    if (!(s.reservedShare >= 0 && s.reservedShare <= 1))
      throw new RangeError('committee links: the reserved share is between 0 and 1')
  }

  async start(): Promise<void> {
    const { registrar, handshake } = this.#components
    await registrar.handle(this.protocol, this.#onStream, {
      maxInboundStreams: MAX_LINK_STREAMS_PER_CONNECTION,
      maxOutboundStreams: MAX_LINK_STREAMS_PER_CONNECTION,
    })
    handshake.addEventListener('peer:verified', this.#onVerified)
    this.#started = true
    this.#pingTimer = setInterval(this.#pingAll, this.#settings.pingIntervalMs)
    for (const member of this.#members.values()) this.#connect(member)
  }

  async stop(): Promise<void> {
    this.#started = false
    clearInterval(this.#pingTimer)
    this.#pingTimer = undefined
    this.#components.handshake.removeEventListener('peer:verified', this.#onVerified)
    for (const member of this.#members.values()) {
      this.#cancel(member)
      member.state = LinkState.Disconnected
      member.link.queue.clear()
      const stream = member.link.detach()
      stream?.abort(abortError('the committee links stopped'))
    }
    for (const link of this.#guests.values())
      link.detach()?.abort(abortError('the committee links stopped'))
    this.#guests.clear()
    await this.#components.registrar.unhandle(this.protocol)
  }

  /** Where inbound frames go; set once by the engine service. */
  receive(receiver: FrameReceiver): void {
    this.#receiver = receiver
  }

  /**
   * The committee this node links to (its own key is skipped): new members are dialled at once,
   * members that left are untagged, and their open link stays as a guest link while there is room.
   */
  setCommittee(keys: readonly Uint8Array[]): void {
    if (keys.length > MAX_COMMITTEE_SIZE)
      throw new RangeError(`a committee of ${keys.length} keys, limit ${MAX_COMMITTEE_SIZE}`)
    const next = new Map<string, Uint8Array>()
    for (const key of keys) {
      const hex = bytesToHex(key)
      if (hex !== this.#self) next.set(hex, key)
    }
    for (const member of [...this.#members.values()])
      if (!next.has(member.hex)) this.#remove(member)
    for (const [hex, key] of next) {
      if (this.#members.has(hex)) continue
      const guest = this.#guests.get(hex)
      this.#guests.delete(hex)
      const member: Member = {
        key: key.slice(),
        hex,
        link: guest ?? this.#newLink(hex),
        opener: this.#self < hex,
        state: LinkState.Disconnected,
        failures: 0,
        everConnected: false,
        timer: undefined,
        dial: undefined,
        dialConnection: undefined,
        inbound: undefined,
        pinging: false,
        pingFailures: 0,
        rttMs: undefined,
        lastError: undefined,
      }
      this.#members.set(hex, member)
      if (member.link.open) this.#up(member)
      else if (this.#started) this.#connect(member)
    }
  }

  /**
   * Queues `frame` for masternode `key` (hex): a member's link queues it even while reconnecting,
   * a guest link only while open. `essential` frames are the last dropped when a queue is full.
   * False when the frame was not queued (no link, or dropped).
   */
  send(key: string, frame: Uint8Array, essential = true): boolean {
    const member = this.#members.get(key)
    if (member !== undefined) return member.link.send(frame, essential)
    const guest = this.#guests.get(key)
    if (guest?.open) return guest.send(frame, essential)
    this.#unroutable++
    return false
  }

  /** Whether a frame for `key` (hex) has a link to go to. */
  routes(key: string): boolean {
    return this.#members.has(key) || this.#guests.get(key)?.open === true
  }

  /** Stops reading every link (back-pressure to the peers) until `resumeInbound`. */
  pauseInbound(): void {
    if (this.#paused) return
    this.#paused = true
    for (const link of this.#links()) link.pause()
  }

  resumeInbound(): void {
    if (!this.#paused) return
    this.#paused = false
    for (const link of this.#links()) link.resume()
  }

  get inboundPaused(): boolean {
    return this.#paused
  }

  /** A member's link state by key (bytes or hex), in O(1); undefined for a non-member. */
  state(key: Uint8Array | string): LinkState | undefined {
    return this.#members.get(typeof key === 'string' ? key : bytesToHex(key))?.state
  }

  /** Every member's link, for status pages and metrics. */
  *members(): IterableIterator<MemberStatus> {
    for (const m of this.#members.values())
      yield {
        key: m.hex,
        state: m.state,
        peer: m.link.peer,
        queuedBytes: m.link.queue.bytes,
        rttMs: m.rttMs,
        failures: m.failures,
        lastError: m.lastError,
      }
  }

  /** Connection slots kept for committee members: `reservedShare` of `maxConnections`. */
  get reservedSlots(): number {
    const max = this.#components.connectionManager.getMaxConnections()
    return Math.ceil(max * this.#settings.reservedShare)
  }

  /**
   * Whether another connection of a peer outside the committee fits beside the reserved slots.
   * The wallet protocol and the defence layer's gater ask before taking one.
   */
  admitsNonMember(): boolean {
    const { connectionManager } = this.#components
    const members = this.#memberPeers()
    let others = 0
    for (const c of connectionManager.getConnections())
      if (!members.has(c.remotePeer.toString())) others++
    return others < connectionManager.getMaxConnections() - this.reservedSlots
  }

  /**
   * Whether an inbound connection of `peer` may be taken: always for a member's known peer,
   * otherwise while `admitsNonMember()` (the gate of `committeeSlotsGater`).
   */
  admitsInbound(peer: PeerId): boolean {
    return this.#memberPeers().has(peer.toString()) || this.admitsNonMember()
  }

  /**
   * Whether `peer`'s handshake proved the key of a current member (the defence layer's
   * `CommitteeMembership`: members' link frames get the committee's rate limits), in O(1).
   */
  isCommitteePeer(peer: PeerId): boolean {
    const key = this.#components.handshake.peer(peer)?.masternodeKey
    return key !== undefined && this.#members.has(bytesToHex(key))
  }

  /** The libp2p ids members last proved (O(members)). */
  #memberPeers(): Set<string> {
    const peers = new Set<string>()
    for (const m of this.#members.values())
      if (m.link.peer !== undefined) peers.add(m.link.peer.toString())
    return peers
  }

  stats(): CommitteeLinksStats {
    let connected = 0
    for (const m of this.#members.values()) if (m.state === LinkState.Connected) connected++
    return {
      ...this.#counters,
      members: this.#members.size,
      connected,
      guests: this.#guests.size,
      unroutable: this.#unroutable,
      dials: this.#dials,
      dialFailures: this.#dialFailures,
      reconnects: this.#reconnects,
      pingFailures: this.#pingFailures,
      frameErrors: this.#frameErrors,
      refusedStreams: this.#refused,
    }
  }

  *#links(): IterableIterator<Link> {
    for (const m of this.#members.values()) yield m.link
    yield* this.#guests.values()
  }

  #newLink(hex: string): Link {
    const spec = PROTOCOLS.consensus
    const link = new Link({
      key: hex,
      maxQueueBytes: this.#settings.maxQueueBytes,
      maxWriteBytes: this.#settings.maxWriteBytes,
      maxDataLength: spec.maxDataLength,
      checkLength: spec.dialer.checkLength,
      drainTimeoutMs: this.#settings.timeoutMs,
      counters: this.#counters,
      hooks: { frame: this.#onFrame, failed: this.#onFailed, closed: this.#onClosed },
    })
    if (this.#paused) link.pause()
    return link
  }

  // ── dialling ──

  /** Starts a dial of `member` now, unless its link is up or a dial is in flight. */
  #connect(member: Member): void {
    if (!this.#started || member.link.open || member.dial !== undefined) return
    clearTimeout(member.timer)
    member.timer = undefined
    if (member.everConnected || member.failures > 0) {
      member.state = LinkState.Reconnecting
      this.#reconnects++
    } else member.state = LinkState.Connecting
    const controller = new AbortController()
    member.dial = controller
    member.dialConnection = undefined
    this.#dials++
    this.#dial(member, controller).then(
      () => {
        if (member.dial === controller) member.dial = undefined
      },
      (error: unknown) => {
        if (member.dial !== controller) return // superseded or cancelled: not a failure
        member.dial = undefined
        if (this.#members.get(member.hex) !== member || member.link.open) return
        this.#dialFailures++
        this.#failed(member, typed(error, 'dial failed'))
      },
    )
  }

  async #dial(member: Member, controller: AbortController): Promise<void> {
    const { timeoutMs, acceptWaitMs } = this.#settings
    const signal = AbortSignal.any([controller.signal, AbortSignal.timeout(timeoutMs)])
    const connection = await this.#connectionTo(member, signal)
    if (member.dial === controller) member.dialConnection = connection.id
    const peer = await this.#components.handshake.verified(connection, { signal })
    if (peer.masternodeKey === undefined || !equalBytes(peer.masternodeKey, member.key))
      throw new LinkError(
        'LINK_WRONG_PEER',
        `the address of member ${member.hex.slice(0, 16)}… reached ${
          peer.masternodeKey === undefined ? 'a peer that is no masternode' : 'another masternode'
        }`,
      )
    this.#tag(connection.remotePeer, true)
    if (member.link.open) return
    if (!member.opener) await this.#awaitInbound(member, acceptWaitMs, signal)
    if (member.link.open || member.dial !== controller) return
    const stream = await connection.newStream(this.protocol, { signal })
    if (member.dial !== controller || !this.#started) {
      stream.abort(abortError('the dial was superseded'))
      return
    }
    this.#offer(member.link, stream, this.#self, connection.remotePeer)
    if (member.link.open) this.#up(member)
  }

  /** An open, handshaken connection to the member, or a new one to its known addresses. */
  async #connectionTo(member: Member, signal: AbortSignal): Promise<Connection> {
    const { connectionManager, handshake } = this.#components
    const known = handshake.peerOfMasternode(member.key)
    if (known !== undefined) {
      const open = connectionManager
        .getConnections(known.peerId)
        .find((c) => c.status === 'open' && handshake.verifiedConnection(c) !== undefined)
      if (open !== undefined) return open
    }
    const addresses = this.#peerBook?.addressesOf(member.key) ?? []
    if (addresses.length > 0) return connectionManager.openConnection([...addresses], { signal })
    const peer = known?.peerId ?? member.link.peer
    if (peer !== undefined) return connectionManager.openConnection(peer, { signal })
    throw new LinkError(
      'LINK_NO_ADDRESS',
      `no address known for member ${member.hex.slice(0, 16)}…`,
    )
  }

  /** Resolves once the member's own stream is attached, or after `ms`; rejects on abort. */
  #awaitInbound(member: Member, ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer)
        signal.removeEventListener('abort', onAbort)
        if (member.inbound === done) member.inbound = undefined
        resolve()
      }
      const onAbort = () => {
        clearTimeout(timer)
        if (member.inbound === done) member.inbound = undefined
        reject(signal.reason)
      }
      const timer = setTimeout(done, ms)
      signal.addEventListener('abort', onAbort, { once: true })
      member.inbound = done
    })
  }

  /** A failed dial or a lost link: Reconnecting, next dial after 1, 2, 4 … 32 s. */
  #failed(member: Member, error: TimeCoinError): void {
    member.lastError = error
    member.state = LinkState.Reconnecting
    member.failures++
    if (!this.#started || member.timer !== undefined) return
    const { backoffMinMs, backoffMaxMs } = this.#settings
    const delay = Math.min(backoffMaxMs, backoffMinMs * 2 ** Math.min(member.failures - 1, 30))
    member.timer = setTimeout(() => {
      member.timer = undefined
      this.#connect(member)
    }, delay)
  }

  #up(member: Member): void {
    const first = member.state !== LinkState.Connected
    member.state = LinkState.Connected
    member.failures = 0
    member.pingFailures = 0
    member.everConnected = true
    clearTimeout(member.timer)
    member.timer = undefined
    member.inbound?.()
    const peer = member.link.peer
    if (peer !== undefined) this.#tag(peer, true)
    if (first) this.safeDispatchEvent('link:up', { detail: { key: member.hex, peer } })
  }

  /** Ends a member's dial and backoff. */
  #cancel(member: Member): void {
    const dial = member.dial
    member.dial = undefined
    dial?.abort(abortError('the dial was cancelled'))
    clearTimeout(member.timer)
    member.timer = undefined
  }

  #remove(member: Member): void {
    this.#cancel(member)
    this.#members.delete(member.hex)
    member.state = LinkState.Disconnected
    const peer = member.link.peer
    if (peer !== undefined) this.#tag(peer, false)
    member.link.queue.clear()
    if (member.link.open && this.#guests.size < this.#settings.maxGuests)
      this.#guests.set(member.hex, member.link)
    else member.link.detach()?.abort(abortError('no longer a committee member'))
  }

  #tag(peer: PeerId, on: boolean): void {
    this.#components.peerStore
      .merge(peer, {
        tags: { [COMMITTEE_TAG]: on ? { value: COMMITTEE_TAG_VALUE } : undefined },
      })
      .catch(() => {})
  }

  // ── streams ──

  /**
   * Offers `stream` (opened by `opener`, hex) as `link`'s stream: taken unless the link has an
   * open stream, with the same peer, opened by a lower key (the pair's preferred opener); a
   * stream not taken is closed.
   */
  #offer(link: Link, stream: Stream, opener: string, peer: PeerId): void {
    // A key proved by another libp2p peer than the link's: the masternode moved (restarted with a
    // new identity); the old stream is dead or soon will be.
    const moved = link.peer !== undefined && !link.peer.equals(peer)
    if (link.open && !moved && link.opener < opener) {
      closeQuietly(stream)
      return
    }
    const old = link.detach()
    link.attach(stream, opener, peer)
    if (old !== null) closeQuietly(old)
  }

  readonly #onStream = (stream: Stream, connection: Connection): void => {
    void this.#accept(stream, connection)
  }

  async #accept(stream: Stream, connection: Connection): Promise<void> {
    let peer: VerifiedPeer
    try {
      peer = await this.#components.handshake.verified(connection, {
        signal: AbortSignal.timeout(this.#settings.timeoutMs),
      })
    } catch (error) {
      stream.abort(typed(error, 'the connection was not handshaken'))
      return
    }
    if (!this.#started) {
      stream.abort(abortError('the committee links stopped'))
      return
    }
    const key = peer.masternodeKey
    if (peer.role !== PeerRole.Masternode || key === undefined) {
      this.#refuse(
        stream,
        connection.remotePeer,
        `a consensus stream from a ${peer.role}, not a masternode`,
        PeerAction.HighToleranceError,
      )
      return
    }
    const hex = bytesToHex(key)
    const member = this.#members.get(hex)
    if (member !== undefined) {
      this.#offer(member.link, stream, hex, connection.remotePeer)
      if (member.link.open && member.link.stream === stream) this.#up(member)
      return
    }
    if (hex === this.#self) {
      this.#refuse(stream, connection.remotePeer, 'a consensus stream claiming our own key')
      return
    }
    let guest = this.#guests.get(hex)
    if (guest === undefined) {
      if (this.#guests.size >= this.#settings.maxGuests) {
        this.#refuse(stream, connection.remotePeer, 'the guest links are full')
        return
      }
      guest = this.#newLink(hex)
      this.#guests.set(hex, guest)
    }
    this.#offer(guest, stream, hex, connection.remotePeer)
  }

  #refuse(stream: Stream, peer: PeerId, reason: string, action?: PeerAction): void {
    this.#refused++
    const error = new LinkError('LINK_STREAM_REFUSED', reason, action)
    stream.abort(error)
    if (action !== undefined) this.#receiver?.misbehaved(peer, error)
  }

  readonly #onFrame = (link: Link, frame: Uint8Array): void => {
    const peer = link.peer
    if (!this.#started || peer === undefined) return
    this.#receiver?.frame(link.key, frame, peer)
  }

  /** A framing error or a write that never drained: the stream is reset and the link re-formed. */
  readonly #onFailed = (link: Link, error: TimeCoinError): void => {
    const stream = link.detach()
    if (error.peerAction !== undefined) {
      this.#frameErrors++
      if (link.peer !== undefined) this.#receiver?.misbehaved(link.peer, error)
    }
    stream?.abort(error)
    this.#lost(link, error)
  }

  readonly #onClosed = (link: Link): void => {
    this.#lost(link, broken('the link stream closed'))
  }

  #lost(link: Link, error: TimeCoinError): void {
    const member = this.#members.get(link.key)
    if (member === undefined || member.link !== link) {
      if (this.#guests.get(link.key) === link) this.#guests.delete(link.key)
      return
    }
    if (member.state === LinkState.Connected)
      this.safeDispatchEvent('link:down', { detail: { key: member.hex, peer: link.peer, error } })
    if (this.#started && member.dial === undefined) this.#failed(member, error)
  }

  /** A member's handshake completed (it dialled us, perhaps after a restart): link at once. */
  readonly #onVerified = (event: CustomEvent<VerifiedPeer>): void => {
    const key = event.detail.masternodeKey
    if (key === undefined) return
    const member = this.#members.get(bytesToHex(key))
    if (member === undefined || member.link.open) return
    // The dial in flight made this connection: it goes on with it.
    if (member.dial !== undefined && member.dialConnection === event.detail.connectionId) return
    if (member.dial !== undefined) {
      const stale = member.dial
      member.dial = undefined
      stale.abort(abortError('superseded by a new connection'))
    }
    this.#connect(member)
  }

  // ── health ──

  readonly #pingAll = (): void => {
    for (const member of this.#members.values())
      if (member.state === LinkState.Connected && !member.pinging) void this.#ping(member)
  }

  /** The ping service, if the host has one (libp2p's components throw for a missing service). */
  #pinger(): PingService | undefined {
    try {
      return this.#components.ping
    } catch {
      return undefined
    }
  }

  async #ping(member: Member): Promise<void> {
    const peer = member.link.peer
    const pinger = this.#pinger()
    if (peer === undefined || pinger === undefined) return
    member.pinging = true
    try {
      member.rttMs = await pinger.ping(peer, {
        signal: AbortSignal.timeout(this.#settings.pingTimeoutMs),
      })
      member.pingFailures = 0
    } catch (error) {
      this.#pingFailures++
      member.pingFailures++
      if (
        this.#started &&
        member.pingFailures >= this.#settings.maxPingFailures &&
        this.#members.get(member.hex) === member
      ) {
        member.pingFailures = 0
        const stream = member.link.detach()
        stream?.abort(typed(error, 'the member did not answer pings'))
        this.#lost(member.link, typed(error, 'the member did not answer pings'))
        await this.#components.connectionManager.closeConnections(peer).catch(() => {})
      }
    } finally {
      member.pinging = false
    }
  }
}
