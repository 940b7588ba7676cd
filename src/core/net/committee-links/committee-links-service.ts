/**
 * Committee links as a libp2p service: one kept-open stream on the consensus protocol per pair of
 * masternodes, over which every engine message between committee members travels (one hop, no
 * stream per message). A masternode dials every member of its committee at start and after each
 * committee change, tags those peers so the connection manager prunes wallets first, re-dials a
 * lost member with backoff (1, 2, 4 … 32 s), and pings each link, closing and re-dialling a dead one.
 * It carries frames (bytes); what they mean is the engine service's business.
 *
 * This module holds the members and guests, the committee, sending, back-pressure, the reserved
 * connection slots and the statistics; dialling and backoff are dialer.ts, which stream is a
 * link's and the inbound streams are streams.ts, pings are health.ts, a member's record is
 * member.ts, and the types and settings are types.ts.
 *
 * Invariants: one member record per committee key (never this node's own), found in O(1) by key;
 * a member's state is Connected exactly while its link has an open stream; at most one dial and at
 * most one backoff timer per member; guest links (masternodes outside the committee, inbound only)
 * ≤ `maxGuests`; every stream handler waits for the connection's handshake, and only handshaken
 * masternodes get a link; nothing (timer, dial, stream) outlives `stop()`.
 */
import type { PeerId, Startable } from '@libp2p/interface'
import { TypedEventEmitter } from '@libp2p/interface'
import { MAX_COMMITTEE_SIZE } from '../../consensus/committee.ts'
import { bytesToHex } from '../../encoding/bytes.ts'
import type { TimeCoinError } from '../../errors.ts'
import { PROTOCOLS, protocolIdOf } from '../../protocol/protocols.ts'
import type { CommitteeMembership } from '../defence/inbound-gate.ts'
import type { VerifiedPeer } from '../handshake/verified-peers.ts'
import { COMMITTEE_TAG, COMMITTEE_TAG_VALUE, MAX_LINK_STREAMS_PER_CONNECTION } from './constants.ts'
import { MemberDialer } from './dialer.ts'
import { LinkHealth } from './health.ts'
import { broken, Link, newLinkCounters } from './link.ts'
import { abortError, type Member, memberStatus, newMember } from './member.ts'
import { InboundStreams } from './streams.ts'
import {
  type CommitteeLinksComponents,
  type CommitteeLinksEvents,
  type CommitteeLinksInit,
  type CommitteeLinksStats,
  type FrameReceiver,
  type LinkSettings,
  LinkState,
  linkSettings,
  type MemberStatus,
} from './types.ts'

export class CommitteeLinks
  extends TypedEventEmitter<CommitteeLinksEvents>
  implements Startable, CommitteeMembership
{
  readonly [Symbol.toStringTag] = '@timecoin/committee-links'
  /** The consensus protocol id of this node's network. */
  readonly protocol: string
  readonly #components: CommitteeLinksComponents
  readonly #self: string
  readonly #settings: LinkSettings
  readonly #members = new Map<string, Member>()
  readonly #guests = new Map<string, Link>()
  readonly #counters = newLinkCounters()
  readonly #dialer: MemberDialer
  readonly #streams: InboundStreams
  readonly #health: LinkHealth
  #receiver: FrameReceiver | undefined
  #started = false
  #paused = false
  #unroutable = 0
  #frameErrors = 0

  constructor(components: CommitteeLinksComponents, init: CommitteeLinksInit) {
    super()
    this.#components = components
    this.#self = bytesToHex(init.masternodeKey)
    this.protocol = protocolIdOf(init.network, 'consensus')
    this.#settings = linkSettings(init)
    const shared = {
      components,
      settings: this.#settings,
      started: () => this.#started,
      current: (member: Member) => this.#members.get(member.hex) === member,
      up: (member: Member) => this.#up(member),
    }
    this.#dialer = new MemberDialer({
      ...shared,
      peerBook: init.peerBook,
      protocol: this.protocol,
      self: this.#self,
      tag: (peer, on) => this.#tag(peer, on),
    })
    this.#streams = new InboundStreams({
      ...shared,
      self: this.#self,
      member: (hex) => this.#members.get(hex),
      guests: this.#guests,
      newLink: (hex) => this.#newLink(hex),
      receiver: () => this.#receiver,
    })
    this.#health = new LinkHealth({
      ...shared,
      members: () => this.#members.values(),
      lost: (link, error) => this.#lost(link, error),
    })
  }

  async start(): Promise<void> {
    const { registrar, handshake } = this.#components
    await registrar.handle(this.protocol, this.#streams.onStream, {
      maxInboundStreams: MAX_LINK_STREAMS_PER_CONNECTION,
      maxOutboundStreams: MAX_LINK_STREAMS_PER_CONNECTION,
    })
    handshake.addEventListener('peer:verified', this.#onVerified)
    this.#started = true
    this.#health.start()
    for (const member of this.#members.values()) this.#dialer.connect(member)
  }

  async stop(): Promise<void> {
    this.#started = false
    this.#health.stop()
    this.#components.handshake.removeEventListener('peer:verified', this.#onVerified)
    for (const member of this.#members.values()) {
      this.#dialer.cancel(member)
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
      const member = newMember(key, hex, guest ?? this.#newLink(hex), this.#self)
      this.#members.set(hex, member)
      if (member.link.open) this.#up(member)
      else if (this.#started) this.#dialer.connect(member)
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
    for (const m of this.#members.values()) yield memberStatus(m)
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
      dials: this.#dialer.dials,
      dialFailures: this.#dialer.dialFailures,
      reconnects: this.#dialer.reconnects,
      pingFailures: this.#health.failures,
      frameErrors: this.#frameErrors,
      refusedStreams: this.#streams.refused,
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

  // ── members ──

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

  #remove(member: Member): void {
    this.#dialer.cancel(member)
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

  // ── link events ──

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
    if (this.#started && member.dial === undefined) this.#dialer.failed(member, error)
  }

  /** A member's handshake completed (it dialled us, perhaps after a restart): link at once. */
  readonly #onVerified = (event: CustomEvent<VerifiedPeer>): void => {
    const key = event.detail.masternodeKey
    if (key === undefined) return
    const member = this.#members.get(bytesToHex(key))
    if (member !== undefined) this.#dialer.verified(member, event.detail.connectionId)
  }
}
