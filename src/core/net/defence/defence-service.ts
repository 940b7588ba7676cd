/**
 * The defence layer (DESIGN §5, "Defence"): one object holding the peer scores, the per-peer token
 * buckets and the IP blacklist, seen by the rest of the node through the interfaces it implements —
 * the handshake's `BanPolicy` (Fatal handshake failures ban here; banned peers are refused there),
 * the engine service's `PenaltySink` (undecodable frames, failed signatures, the engine's own
 * `penalize` effects), every protocol service's `InboundGate` (rate limits), and a
 * `ConnectionGater` (the IP blacklist and the per-IP cap). It is made before the host, because the
 * gater is a host option, and joins the host as a libp2p service (`services: { defence:
 * guard.service(), handshake: ..., ... }`, listed first), which hands it the connection manager to
 * close banned peers with and the handshake's events (failures that cost without banning).
 *
 * Committee members (a peer whose handshake proved a key of the current committee, as the
 * committee links service answers) have their own buckets on the consensus protocol, at
 * `committeeRequestsPerSecond`: the committee's honest load flows, a member past even that is
 * throttled and charged, and everything else it sends (other protocols, malformed frames,
 * penalties) is dealt with as anyone's.
 *
 * Invariants: a ban closes every connection of the peer and, unless exempt, blacklists the IP
 * addresses it is connected from; a banned peer's frames are dropped until its connections are
 * gone; every map is bounded (scores and buckets by `maxTrackedPeers`, the blacklist by
 * `maxBlacklistedIps`, the per-IP counts by the connections the host holds, each count released
 * when its connection closes); nothing (timer, listener) outlives `stop()`.
 */
import type {
  ConnectionGater,
  MultiaddrConnection,
  PeerId,
  Startable,
  TypedEventTarget,
} from '@libp2p/interface'
import { TypedEventEmitter } from '@libp2p/interface'
import type { ConnectionManager } from '@libp2p/interface-internal'
import type { Multiaddr } from '@multiformats/multiaddr'
import { PeerAction, PeerError, type TimeCoinError } from '../../errors.ts'
import type { ProtocolKey } from '../../protocol/protocols.ts'
import type { Penalty, PenaltySink } from '../engine-service/penalties.ts'
import type { BanPolicy } from '../handshake/ban-list.ts'
import type { HandshakeEvents } from '../handshake/handshake-service.ts'
import {
  type CommitteeMembership,
  type InboundGate,
  type MessageClass,
  messageClassOf,
} from './inbound-gate.ts'
import { ipKey, ipOf, isLoopbackKey } from './ip-address.ts'
import { IpBlacklist } from './ip-blacklist.ts'
import { PeerScores } from './peer-scores.ts'
import { type DefenceSettings, defenceSettings } from './settings.ts'
import { TokenBuckets } from './token-buckets.ts'

/** The parts of a libp2p node the defence uses once it joins the host. */
export interface DefenceComponents {
  connectionManager: Pick<ConnectionManager, 'closeConnections' | 'getConnections'>
  /** The handshake service, when the host has one (its failures cost their peer). */
  handshake?: TypedEventTarget<Pick<HandshakeEvents, 'peer:rejected'>>
  /** The committee links service, on a masternode: its members get the committee's buckets. */
  committeeLinks?: CommitteeMembership
}

export interface DefenceInit {
  /** Overrides of `DEFAULT_DEFENCE_SETTINGS`. */
  readonly settings?: Partial<DefenceSettings>
  /** Milliseconds since the Unix epoch (default `Date.now`): scores, buckets, bans, the blacklist. */
  readonly now?: () => number
}

export interface PeerBan {
  readonly peer: PeerId
  /** The code of the penalty that reached the ban score (docs/ERRORS.md). */
  readonly code: string
  readonly reason: string
  /** IP keys blacklisted with the ban. */
  readonly ips: readonly string[]
}

export interface DefenceEvents {
  'peer:banned': CustomEvent<PeerBan>
}

export interface DefenceStats {
  /** Penalties charged, by action (rate-limit charges and handshake failures included). */
  readonly penalties: Readonly<Record<PeerAction, number>>
  readonly bans: number
  /** Frames dropped for being over a rate limit, by class (committee members' included). */
  readonly throttled: Readonly<Record<MessageClass, number>>
  /** Committee-link frames counted against a member's own buckets (admitted or not). */
  readonly committeeFrames: number
  /** Frames dropped because their peer was banned (its connections were closing). */
  readonly droppedBanned: number
  readonly trackedPeers: number
  readonly blacklistedIps: number
  /** Inbound connections refused because their IP was blacklisted. */
  readonly refusedBlacklisted: number
  /** Inbound connections refused by the per-IP cap. */
  readonly refusedPerIp: number
}

function zeroClasses(): Record<MessageClass, number> {
  return { consensus: 0, tx: 0, request: 0, wallet: 0, sync: 0, peers: 0 }
}

export class Defence
  extends TypedEventEmitter<DefenceEvents>
  implements BanPolicy, PenaltySink, InboundGate, Startable
{
  readonly [Symbol.toStringTag] = '@timecoin/defence'
  readonly settings: DefenceSettings
  /** The IP blacklist and the per-IP cap; compose it with `banGater` and the slots gater. */
  readonly gater: ConnectionGater
  readonly #now: () => number
  readonly #scores: PeerScores
  readonly #buckets: TokenBuckets<MessageClass>
  /** Current committee members' buckets on the consensus protocol. */
  readonly #committeeBuckets: TokenBuckets<MessageClass>
  readonly #blacklist: IpBlacklist
  /** IP key → inbound connections open or being upgraded from it (entries ≥ 1). */
  readonly #perIp = new Map<string, number>()
  #components: DefenceComponents | undefined
  #handshake: DefenceComponents['handshake']
  #committee: CommitteeMembership | undefined
  #cleanup: ReturnType<typeof setInterval> | undefined
  readonly #penalties: Record<PeerAction, number> = {
    [PeerAction.Fatal]: 0,
    [PeerAction.LowToleranceError]: 0,
    [PeerAction.MidToleranceError]: 0,
    [PeerAction.HighToleranceError]: 0,
  }
  readonly #throttled = zeroClasses()
  #bans = 0
  #droppedBanned = 0
  #committeeFrames = 0
  #refusedBlacklisted = 0
  #refusedPerIp = 0

  constructor(init: DefenceInit = {}) {
    super()
    const s = defenceSettings(init.settings)
    this.settings = s
    this.#now = init.now ?? Date.now
    this.#scores = new PeerScores(s, this.#now)
    const buckets = (ratePerSecond: number) =>
      new TokenBuckets<MessageClass>({
        ratePerSecond,
        burst: Math.max(1, ratePerSecond * s.rateLimitBurstSeconds),
        chargeIntervalMs: s.rateLimitPenaltyIntervalSeconds * 1000,
        maxPeers: s.maxTrackedPeers,
        now: this.#now,
      })
    this.#buckets = buckets(s.maxRequestsPerSecond)
    this.#committeeBuckets = buckets(s.committeeRequestsPerSecond)
    this.#blacklist = new IpBlacklist({
      ttlMs: s.ipBlacklistSeconds * 1000,
      maxEntries: s.maxBlacklistedIps,
      now: this.#now,
    })
    this.gater = {
      denyDialMultiaddr: (address: Multiaddr) => this.#blacklisted(address),
      denyInboundConnection: (connection: MultiaddrConnection) => this.#denyInbound(connection),
      denyOutboundConnection: (_peer: PeerId, connection: MultiaddrConnection) =>
        this.#blacklisted(connection.remoteAddr),
    }
  }

  /** The libp2p service factory that joins this defence to its host. */
  service(): (components: DefenceComponents) => Defence {
    return (components) => {
      this.#components = components
      return this
    }
  }

  async start(): Promise<void> {
    this.#handshake = this.#service(() => this.#components?.handshake)
    this.#handshake?.addEventListener('peer:rejected', this.#onRejected)
    this.#committee = this.#service(() => this.#components?.committeeLinks)
    this.#cleanup = setInterval(this.sweep, this.settings.cleanupIntervalSeconds * 1000)
  }

  async stop(): Promise<void> {
    clearInterval(this.#cleanup)
    this.#cleanup = undefined
    this.#handshake?.removeEventListener('peer:rejected', this.#onRejected)
    this.#handshake = undefined
    this.#committee = undefined
  }

  // ── BanPolicy (the handshake) ──

  /** A Fatal handshake failure: banned at once. */
  ban(peer: PeerId, error: TimeCoinError): void {
    this.#charge(peer, PeerAction.Fatal, error.code, error.message)
  }

  isBanned(peer: PeerId): boolean {
    return this.#scores.isBanned(peer.toString())
  }

  // ── PenaltySink (the engine service, every protocol service) ──

  penalize(penalty: Penalty): void {
    this.#charge(penalty.peer, penalty.action, penalty.code, penalty.reason)
  }

  // ── InboundGate (every protocol service's reader) ──

  admit(peer: PeerId, protocol: ProtocolKey, frame: Uint8Array): boolean {
    const key = peer.toString()
    if (this.#scores.isBanned(key)) {
      this.#droppedBanned++
      return false
    }
    if (!this.settings.enableRateLimiting) return true
    const cls = messageClassOf(protocol, frame)
    const member = protocol === 'consensus' && this.#committee?.isCommitteePeer(peer) === true
    if (member) this.#committeeFrames++
    const taken = (member ? this.#committeeBuckets : this.#buckets).take(key, cls)
    if (taken === 'admit') return true
    this.#throttled[cls]++
    if (taken === 'charge') {
      const limit = member
        ? `${this.settings.committeeRequestsPerSecond} ${cls} frames a second (a committee member)`
        : `${this.settings.maxRequestsPerSecond} ${cls} frames a second`
      const error = new PeerError(
        'PEER_RATE_LIMITED',
        `more than ${limit}`,
        PeerAction.MidToleranceError,
      )
      this.#charge(peer, PeerAction.MidToleranceError, error.code, error.message)
    }
    return false
  }

  // ── the operator's ──

  /** Blacklists an IP address (text, as in a multiaddr) for `seconds` (default the setting's). */
  blacklistIp(ip: string, seconds = this.settings.ipBlacklistSeconds): boolean {
    const key = ipKey(ip)
    if (key === undefined) return false
    this.#blacklist.add(key, seconds * 1000)
    return true
  }

  isBlacklisted(ip: string): boolean {
    const key = ipKey(ip)
    return key !== undefined && this.#blacklist.has(key)
  }

  unblacklistIp(ip: string): boolean {
    const key = ipKey(ip)
    return key !== undefined && this.#blacklist.delete(key)
  }

  /** The blacklist in force (`listbanned`): each IP key and when (ms since the epoch) it ends. */
  blacklisted(): { readonly ip: string; readonly until: number }[] {
    return this.#blacklist.entries().map(({ key, until }) => ({ ip: key, until }))
  }

  /** Empties the blacklist (`clearbanned`); returns how many entries it held. */
  clearBlacklist(): number {
    return this.#blacklist.clear()
  }

  /** The peers the scores banned (`listbanned`): each peer id and when (ms) its ban ends. */
  bannedPeers(): { readonly peer: string; readonly until: number }[] {
    return this.#scores.banned()
  }

  /** Lifts a peer's ban and forgets its score (`setban <peer id> remove`, `clearbanned`). */
  unbanPeer(peer: string): boolean {
    return this.#scores.unban(peer)
  }

  /** A peer's penalty score now (0 when unknown). */
  score(peer: PeerId): number {
    return this.#scores.score(peer.toString())
  }

  /** Drops ended blacklist entries and forgettable scores (also run every cleanup interval). */
  readonly sweep = (): void => {
    this.#blacklist.sweep()
    this.#scores.sweep()
  }

  /** Inbound connections open or being upgraded from `ip` (as counted for the cap). */
  connectionsFrom(ip: string): number {
    const key = ipKey(ip)
    return key === undefined ? 0 : (this.#perIp.get(key) ?? 0)
  }

  stats(): DefenceStats {
    return {
      penalties: { ...this.#penalties },
      bans: this.#bans,
      throttled: { ...this.#throttled },
      committeeFrames: this.#committeeFrames,
      droppedBanned: this.#droppedBanned,
      trackedPeers: this.#scores.size,
      blacklistedIps: this.#blacklist.size,
      refusedBlacklisted: this.#refusedBlacklisted,
      refusedPerIp: this.#refusedPerIp,
    }
  }

  // ── inside ──

  #charge(peer: PeerId, action: PeerAction, code: string, reason: string): void {
    this.#penalties[action]++
    if (this.#scores.apply(peer.toString(), action) !== 'banned') return
    this.#bans++
    this.#buckets.forget(peer.toString())
    this.#committeeBuckets.forget(peer.toString())
    const ips = this.#blacklistPeer(peer)
    this.#components?.connectionManager.closeConnections(peer).catch(() => {})
    this.safeDispatchEvent('peer:banned', { detail: { peer, code, reason, ips } })
  }

  /** Blacklists the addresses `peer` is connected from (unless exempt); returns them. */
  #blacklistPeer(peer: PeerId): string[] {
    const manager = this.#components?.connectionManager
    if (!this.settings.blacklistBannedIps || manager === undefined) return []
    const ips = new Set<string>()
    for (const connection of manager.getConnections(peer)) {
      const ip = ipOf(connection.remoteAddr)
      const key = ip === undefined ? undefined : ipKey(ip)
      if (key !== undefined && !this.#exempt(key)) ips.add(key)
    }
    for (const key of ips) this.#blacklist.add(key)
    return [...ips]
  }

  #exempt(key: string): boolean {
    return this.settings.exemptLoopback && isLoopbackKey(key)
  }

  #keyOf(address: Multiaddr): string | undefined {
    const ip = ipOf(address)
    return ip === undefined ? undefined : ipKey(ip)
  }

  #blacklisted(address: Multiaddr): boolean {
    const key = this.#keyOf(address)
    return key !== undefined && this.#blacklist.has(key)
  }

  /** The IP gate at the socket: the blacklist, then the per-IP cap (counted until close). */
  #denyInbound(connection: MultiaddrConnection): boolean {
    const key = this.#keyOf(connection.remoteAddr)
    if (key === undefined) return false
    if (this.#blacklist.has(key)) {
      this.#refusedBlacklisted++
      return true
    }
    if (this.#exempt(key)) return false
    const count = this.#perIp.get(key) ?? 0
    if (count >= this.settings.maxConnectionsPerIp) {
      this.#refusedPerIp++
      return true
    }
    this.#perIp.set(key, count + 1)
    const release = () => {
      const n = (this.#perIp.get(key) ?? 1) - 1
      if (n <= 0) this.#perIp.delete(key)
      else this.#perIp.set(key, n)
    }
    if (connection.status === 'open') connection.addEventListener('close', release, { once: true })
    else release()
    return false
  }

  /** A handshake failure that did not ban (a Fatal one came through `ban`) costs its action. */
  readonly #onRejected = (event: HandshakeEvents['peer:rejected']): void => {
    const { peerId, error, banned } = event.detail
    if (banned || error.peerAction === undefined) return
    this.#charge(peerId, error.peerAction, error.code, error.message)
  }

  /** A service of the host, if it has one (libp2p's components throw for a missing one). */
  #service<T>(get: () => T | undefined): T | undefined {
    try {
      return get()
    } catch {
      return undefined
    }
  }
}
