/**
 * Discovery as a libp2p service (docs/PROTOCOL.md §22, docs/ARCHITECTURE.md §7): a node starts
 * from its configured `addnode` addresses and its saved peer book, dials with backoff until it has
 * `targetPeers` handshaken relay peers (masternodes and full nodes), and learns more by peer
 * exchange — it asks each new relay peer for addresses (`PeersRequest`) and answers others with a
 * bounded, recent, shuffled sample of its book (`PeersAnswer`). What it receives is checked
 * (count, peer ids, multiaddrs, no private hosts unless allowed) and only ever dialled; a
 * malformed answer costs its sender. The book learns listen addresses from identify and
 * masternode keys from handshakes, so the committee links find members through it, and it is
 * saved through a `PeerBookStore` every `saveIntervalMs` and at stop, and loaded before any
 * service starts.
 *
 * Invariants: every stream handler waits for its connection's handshake; at most
 * `maxParallelDials` dials in flight, each bounded by `dialTimeoutMs`; one peer is asked at most
 * once per `exchangeIntervalMs` (the record of when is bounded by the book and the connections);
 * an answer names at most the peers asked for; no timer, dial or stream outlives `stop()`.
 */
import type {
  Connection,
  IdentifyResult,
  Libp2pEvents,
  PeerId,
  Startable,
  Stream,
  TypedEventTarget,
} from '@libp2p/interface'
import type { ConnectionManager, Registrar } from '@libp2p/interface-internal'
import { lpStream } from '@libp2p/utils'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import { PeerAction, PeerError, type TimeCoinError } from '../../errors.ts'
import type { NetworkName } from '../../primitives/network.ts'
import { PeerRole } from '../../protocol/handshake.ts'
import {
  type ExchangedPeer,
  MAX_EXCHANGED_PEERS,
  PEERS_ANSWER_FRAMES,
  PEERS_REQUEST_FRAMES,
} from '../../protocol/peer-exchange.ts'
import { PROTOCOLS, protocolIdOf } from '../../protocol/protocols.ts'
import { DEFAULT_BACKOFF_MAX_MS, DEFAULT_BACKOFF_MIN_MS } from '../committee-links/constants.ts'
import type { InboundGate } from '../defence/inbound-gate.ts'
import { frameLimits } from '../defence/read-limits.ts'
import type { PenaltySink } from '../engine-service/penalties.ts'
import type { HandshakeService } from '../handshake/handshake-service.ts'
import type { VerifiedPeer } from '../handshake/verified-peers.ts'
import { streamError } from '../stream-error.ts'
import { AddressBook, dialAddresses } from './address-book.ts'
import { dialableAddress, peerIdFromBytes, peerIdToBytes } from './address-policy.ts'
import {
  DEFAULT_ANSWER_MAX_AGE_MS,
  DEFAULT_DIAL_INTERVAL_MS,
  DEFAULT_DIAL_TIMEOUT_MS,
  DEFAULT_EXCHANGE_INTERVAL_MS,
  DEFAULT_MAX_PARALLEL_DIALS,
  DEFAULT_SAVE_INTERVAL_MS,
  DEFAULT_TARGET_PEERS,
  MAX_EXCHANGE_STREAMS,
  SHARE_MAX_FAILURES,
} from './constants.ts'
import { MemoryPeerBookStore, type PeerBookStore } from './peer-book-store.ts'

/** The parts of a libp2p node the service uses (the handshake service included). */
export interface DiscoveryComponents {
  peerId: PeerId
  registrar: Pick<Registrar, 'handle' | 'unhandle'>
  connectionManager: Pick<ConnectionManager, 'openConnection' | 'getConnections'>
  events: TypedEventTarget<Libp2pEvents>
  handshake: Pick<
    HandshakeService,
    'verified' | 'peer' | 'peers' | 'addEventListener' | 'removeEventListener'
  >
}

export interface DiscoveryInit {
  readonly network: NetworkName
  /** `addnode`: multiaddrs dialled first (with or without `/p2p/<id>`). */
  readonly addnode?: readonly string[]
  /**
   * The book (shared with the committee links as their `peerBook`); by default a new one, with
   * `allowPrivate` as given here.
   */
  readonly book?: AddressBook
  /** Where the book is saved (default: in memory only). */
  readonly store?: PeerBookStore
  /** Keep and share private, loopback and `/memory` addresses (default false). */
  readonly allowPrivate?: boolean
  readonly targetPeers?: number
  readonly maxParallelDials?: number
  readonly dialIntervalMs?: number
  readonly dialTimeoutMs?: number
  readonly backoffMinMs?: number
  readonly backoffMaxMs?: number
  readonly exchangeIntervalMs?: number
  readonly answerMaxAgeMs?: number
  readonly saveIntervalMs?: number
  /** Where a malformed answer's cost goes (default: counted only). */
  readonly penalties?: PenaltySink
  /**
   * Asked for every request before it is decoded; false refuses it (the defence layer's rate
   * limits and bans). Default: every request is answered.
   */
  readonly inbound?: InboundGate
  /** Wall-clock ms (the book's times survive restarts); default `Date.now`. */
  readonly now?: () => number
  /** Uniform in [0, 1), for the answer's shuffle; default `Math.random`. */
  readonly random?: () => number
  /** A save failed (the next save tries again). */
  readonly onSaveError?: (error: unknown) => void
}

export interface DiscoveryStats {
  readonly known: number
  readonly relayPeers: number
  readonly dials: number
  readonly dialFailures: number
  readonly asked: number
  readonly answered: number
  /** Peers added to the book from answers. */
  readonly learned: number
  readonly invalidAnswers: number
  readonly saves: number
}

/** An `addnode` address and its own backoff. */
interface Seed {
  readonly address: Multiaddr
  /** The peer it reached, once it did. */
  peerId: string | undefined
  failures: number
  retryAt: number
}

function invalid(reason: string): PeerError {
  return new PeerError('PEER_EXCHANGE_INVALID', reason, PeerAction.LowToleranceError)
}

const isRelay = (peer: VerifiedPeer | undefined) =>
  peer !== undefined && peer.role !== PeerRole.LightClient

export class DiscoveryService implements Startable {
  readonly [Symbol.toStringTag] = '@timecoin/discovery'
  readonly book: AddressBook
  /** The peer-exchange protocol id of this node's network. */
  readonly protocol: string
  readonly #components: DiscoveryComponents
  readonly #store: PeerBookStore
  readonly #seeds: Seed[]
  readonly #s: Required<
    Pick<
      DiscoveryInit,
      | 'targetPeers'
      | 'maxParallelDials'
      | 'dialIntervalMs'
      | 'dialTimeoutMs'
      | 'backoffMinMs'
      | 'backoffMaxMs'
      | 'exchangeIntervalMs'
      | 'answerMaxAgeMs'
      | 'saveIntervalMs'
      | 'now'
      | 'random'
    >
  >
  readonly #penalties: PenaltySink | undefined
  readonly #inbound: InboundGate | undefined
  readonly #onSaveError: ((error: unknown) => void) | undefined
  /** Dial targets in flight: peer ids and seed addresses. */
  readonly #dialing = new Set<string>()
  /** Peer id → when it was last asked; only peers in the book or connected (pruned on tick). */
  readonly #asked = new Map<string, number>()
  #controller = new AbortController()
  #dialTimer: ReturnType<typeof setInterval> | undefined
  #saveTimer: ReturnType<typeof setInterval> | undefined
  #saving: Promise<void> = Promise.resolve()
  #started = false
  #dials = 0
  #dialFailures = 0
  #askedCount = 0
  #answered = 0
  #learned = 0
  #invalid = 0
  #saves = 0

  constructor(components: DiscoveryComponents, init: DiscoveryInit) {
    this.#components = components
    this.protocol = protocolIdOf(init.network, 'peers')
    this.book =
      init.book ??
      new AddressBook({
        self: components.peerId.toString(),
        allowPrivate: init.allowPrivate ?? false,
        backoffMinMs: init.backoffMinMs ?? DEFAULT_BACKOFF_MIN_MS,
        backoffMaxMs: init.backoffMaxMs ?? DEFAULT_BACKOFF_MAX_MS,
      })
    this.#store = init.store ?? new MemoryPeerBookStore()
    this.#penalties = init.penalties
    this.#inbound = init.inbound
    this.#onSaveError = init.onSaveError
    this.#s = {
      targetPeers: init.targetPeers ?? DEFAULT_TARGET_PEERS,
      maxParallelDials: init.maxParallelDials ?? DEFAULT_MAX_PARALLEL_DIALS,
      dialIntervalMs: init.dialIntervalMs ?? DEFAULT_DIAL_INTERVAL_MS,
      dialTimeoutMs: init.dialTimeoutMs ?? DEFAULT_DIAL_TIMEOUT_MS,
      backoffMinMs: init.backoffMinMs ?? DEFAULT_BACKOFF_MIN_MS,
      backoffMaxMs: init.backoffMaxMs ?? DEFAULT_BACKOFF_MAX_MS,
      exchangeIntervalMs: init.exchangeIntervalMs ?? DEFAULT_EXCHANGE_INTERVAL_MS,
      answerMaxAgeMs: init.answerMaxAgeMs ?? DEFAULT_ANSWER_MAX_AGE_MS,
      saveIntervalMs: init.saveIntervalMs ?? DEFAULT_SAVE_INTERVAL_MS,
      now: init.now ?? Date.now,
      random: init.random ?? Math.random,
    }
    // Configuration, not a peer's word: a malformed addnode is the operator's error, at once.
    this.#seeds = (init.addnode ?? []).map((text) => {
      const address = multiaddr(text)
      const id = address.getComponents().find((c) => c.name === 'p2p')?.value
      return { address, peerId: id, failures: 0, retryAt: 0 }
    })
  }

  /** Loads the saved book before any service starts (the committee links dial from it). */
  async beforeStart(): Promise<void> {
    this.book.restore(await this.#store.load())
  }

  async start(): Promise<void> {
    const { registrar, handshake, events } = this.#components
    this.#controller = new AbortController()
    await registrar.handle(this.protocol, this.#onStream, {
      maxInboundStreams: MAX_EXCHANGE_STREAMS,
      maxOutboundStreams: MAX_EXCHANGE_STREAMS,
    })
    handshake.addEventListener('peer:verified', this.#onVerified)
    handshake.addEventListener('peer:gone', this.#onGone)
    events.addEventListener('peer:identify', this.#onIdentify)
    this.#started = true
    this.#dialTimer = setInterval(this.#tick, this.#s.dialIntervalMs)
    this.#saveTimer = setInterval(() => void this.save(), this.#s.saveIntervalMs)
  }

  afterStart(): void {
    this.#tick()
  }

  async stop(): Promise<void> {
    this.#started = false
    clearInterval(this.#dialTimer)
    clearInterval(this.#saveTimer)
    this.#controller.abort(new Error('discovery stopped'))
    const { registrar, handshake, events } = this.#components
    handshake.removeEventListener('peer:verified', this.#onVerified)
    handshake.removeEventListener('peer:gone', this.#onGone)
    events.removeEventListener('peer:identify', this.#onIdentify)
    await registrar.unhandle(this.protocol)
    await this.save(true)
  }

  /** Writes the book if it changed (always with `force`); one write at a time. */
  save(force = false): Promise<void> {
    this.#saving = this.#saving.then(async () => {
      if (!force && !this.book.dirty) return
      try {
        await this.#store.save(this.book.records())
        this.#saves++
      } catch (error) {
        this.#onSaveError?.(error)
      }
    })
    return this.#saving
  }

  stats(): DiscoveryStats {
    return {
      known: this.book.size,
      relayPeers: this.#relayPeers().size,
      dials: this.#dials,
      dialFailures: this.#dialFailures,
      asked: this.#askedCount,
      answered: this.#answered,
      learned: this.#learned,
      invalidAnswers: this.#invalid,
      saves: this.#saves,
    }
  }

  /**
   * Asks `peer` for addresses now (unless asked within `exchangeIntervalMs`); resolves with the
   * number of peers added to the book.
   */
  async exchange(peer: PeerId): Promise<number> {
    const id = peer.toString()
    const now = this.#s.now()
    if (now - (this.#asked.get(id) ?? -Infinity) < this.#s.exchangeIntervalMs) return 0
    this.#asked.set(id, now)
    const connection = this.#components.connectionManager
      .getConnections(peer)
      .find((c) => c.status === 'open')
    if (connection === undefined) return 0
    this.#askedCount++
    const [dialer, listener] = [PEERS_REQUEST_FRAMES, PEERS_ANSWER_FRAMES]
    const signal = AbortSignal.any([
      this.#controller.signal,
      AbortSignal.timeout(this.#s.dialTimeoutMs),
    ])
    let stream: Stream | undefined
    try {
      await this.#components.handshake.verified(connection, { signal })
      stream = await connection.newStream(this.protocol, { signal })
      const lp = lpStream(stream, frameLimits(listener.maxDataLength))
      await lp.write(dialer.encode({ type: 'PeersRequest', max: MAX_EXCHANGED_PEERS }), { signal })
      const answer = listener.decode((await lp.read({ signal })).subarray())
      await stream.close({ signal })
      return this.#merge(answer.peers, MAX_EXCHANGED_PEERS, peer)
    } catch (error) {
      const t = streamError(error, 'peers')
      stream?.abort(t)
      if (t.peerAction !== undefined) this.#penalize(peer, t)
      return 0
    }
  }

  // ── the book ──

  /** The relay peers (masternodes, full nodes) with a handshaken connection now, by id. */
  #relayPeers(): Set<string> {
    const out = new Set<string>()
    for (const p of this.#components.handshake.peers()) if (isRelay(p)) out.add(p.peerId.toString())
    return out
  }

  /** A handshake: seen now, with its masternode key and the address we dialled it at. */
  readonly #onVerified = (event: CustomEvent<VerifiedPeer>): void => {
    const peer = event.detail
    if (!this.#started || !isRelay(peer)) return
    const id = peer.peerId.toString()
    const connection = this.#components.connectionManager
      .getConnections(peer.peerId)
      .find((c) => c.id === peer.connectionId)
    const addrs: Multiaddr[] = []
    if (connection?.direction === 'outbound') {
      const v = dialableAddress(connection.remoteAddr, id, this.book.policy)
      if (v.ok) addrs.push(v.address)
    }
    this.book.seen(id, this.#s.now(), {
      addrs,
      ...(peer.masternodeKey === undefined ? {} : { masternodeKey: peer.masternodeKey }),
    })
    for (const seed of this.#seeds)
      if (seed.peerId === id) {
        seed.failures = 0
        seed.retryAt = 0
      }
    void this.exchange(peer.peerId)
  }

  readonly #onGone = (event: CustomEvent<VerifiedPeer>): void => {
    if (isRelay(event.detail)) this.book.seen(event.detail.peerId.toString(), this.#s.now())
  }

  /** Identify tells where a peer listens: kept once its handshake shows a relay peer. */
  readonly #onIdentify = (event: CustomEvent<IdentifyResult>): void => {
    void this.#identified(event.detail)
  }

  async #identified(result: IdentifyResult): Promise<void> {
    let peer: VerifiedPeer
    try {
      peer = await this.#components.handshake.verified(result.connection, {
        signal: AbortSignal.any([
          this.#controller.signal,
          AbortSignal.timeout(this.#s.dialTimeoutMs),
        ]),
      })
    } catch {
      return
    }
    if (!this.#started || !isRelay(peer)) return
    const id = peer.peerId.toString()
    const addrs: Multiaddr[] = []
    for (const a of result.listenAddrs) {
      const v = dialableAddress(a, id, this.book.policy)
      if (v.ok) addrs.push(v.address)
    }
    this.book.seen(id, this.#s.now(), {
      addrs,
      ...(peer.masternodeKey === undefined ? {} : { masternodeKey: peer.masternodeKey }),
    })
  }

  /**
   * Adds the peers of an answer to the book after checking every one; a malformed answer is
   * dropped whole and costs `from`. Returns how many peers were added or refreshed.
   */
  #merge(peers: readonly ExchangedPeer[], asked: number, from: PeerId): number {
    if (peers.length > asked) {
      this.#reject(from, invalid(`an answer of ${peers.length} peers to a request for ${asked}`))
      return 0
    }
    const now = this.#s.now()
    const own = this.#components.peerId.toString()
    const accepted: { id: string; addrs: Multiaddr[]; lastSeen: number }[] = []
    for (const p of peers) {
      const id = peerIdFromBytes(p.peerId)
      if (id === undefined) {
        this.#reject(from, invalid('an answer naming a peer id that is no multihash of a key'))
        return 0
      }
      const addrs: Multiaddr[] = []
      for (const bytes of p.addrs) {
        const v = dialableAddress(bytes, id, this.book.policy)
        if (v.ok) addrs.push(v.address)
        else if (v.why === 'malformed' || v.why === 'other-peer') {
          this.#reject(from, invalid(`an answer with a ${v.why} address for ${id}`))
          return 0
        }
      }
      // The answering peer and this node are known better here than by hearsay.
      if (id === own || id === from.toString() || addrs.length === 0) continue
      // A time in the future (a fast clock, or a lie) counts as now.
      accepted.push({ id, addrs, lastSeen: Math.min(p.lastSeen, now) })
    }
    let added = 0
    for (const a of accepted) {
      const known = this.book.get(a.id) !== undefined
      if (this.book.learn(a.id, a.addrs, a.lastSeen)) {
        added++
        if (!known) this.#learned++
      }
    }
    if (added > 0) this.#tick()
    return added
  }

  #reject(peer: PeerId, error: PeerError): void {
    this.#invalid++
    this.#penalize(peer, error)
  }

  #penalize(peer: PeerId, error: TimeCoinError): void {
    this.#penalties?.penalize({
      peer,
      action: error.peerAction ?? PeerAction.LowToleranceError,
      code: error.code,
      reason: error.message,
    })
  }

  // ── answering ──

  readonly #onStream = (stream: Stream, connection: Connection): void => {
    void this.#answer(stream, connection)
  }

  /** One `PeersRequest` per stream from a handshaken peer, answered with a sample of the book. */
  async #answer(stream: Stream, connection: Connection): Promise<void> {
    const [dialer, listener] = [PEERS_REQUEST_FRAMES, PEERS_ANSWER_FRAMES]
    const signal = AbortSignal.any([
      this.#controller.signal,
      AbortSignal.timeout(PROTOCOLS.peers.timeoutMs),
    ])
    try {
      await this.#components.handshake.verified(connection, { signal })
      const lp = lpStream(stream, frameLimits(dialer.maxDataLength))
      const frame = (await lp.read({ signal })).subarray()
      if (this.#inbound?.admit(connection.remotePeer, 'peers', frame) === false) {
        stream.abort(new PeerError('PEER_RATE_LIMITED', 'a peers request over the rate limit'))
        return
      }
      const request = dialer.decode(frame)
      const asker = connection.remotePeer.toString()
      const now = this.#s.now()
      const connected = this.#relayPeers()
      const sample = this.book.sample(
        request.max,
        this.#s.random,
        { seenSince: now - this.#s.answerMaxAgeMs, maxFailures: SHARE_MAX_FAILURES },
        (id) => id === asker,
        (e) => (connected.has(e.peerId) ? now : e.lastSeen),
      )
      const peers: ExchangedPeer[] = sample.flatMap((p) => {
        const peerId = peerIdToBytes(p.peerId)
        return peerId === undefined
          ? []
          : [{ peerId, addrs: p.addrs.map((a) => multiaddr(a).bytes), lastSeen: p.lastSeen }]
      })
      await lp.write(listener.encode({ type: 'PeersAnswer', peers }), { signal })
      await stream.close({ signal })
      this.#answered++
    } catch (error) {
      const t = streamError(error, 'peers')
      stream.abort(t)
      if (t.peerAction !== undefined) this.#penalize(connection.remotePeer, t)
    }
  }

  // ── dialling ──

  /** Below the target: dial seeds, then the book's best candidates, else ask a peer for more. */
  readonly #tick = (): void => {
    if (!this.#started) return
    const connected = this.#relayPeers()
    this.#pruneAsked(connected)
    if (connected.size >= this.#s.targetPeers) return
    const now = this.#s.now()
    let slots = this.#s.maxParallelDials - this.#dialing.size
    for (const seed of this.#seeds) {
      if (slots <= 0) return
      const key = seed.address.toString()
      if (seed.retryAt > now || this.#dialing.has(key)) continue
      if (
        seed.peerId !== undefined &&
        (connected.has(seed.peerId) || this.#dialing.has(seed.peerId))
      )
        continue
      slots--
      void this.#dialSeed(seed, key)
    }
    const excluded = (id: string) => connected.has(id) || this.#dialing.has(id)
    const candidates = this.book.candidates(now, Math.max(0, slots), excluded)
    for (const c of candidates) void this.#dialPeer(c.peerId, dialAddresses(c))
    if (candidates.length === 0 && slots > 0) this.#askSomeone(connected, now)
  }

  /** Asks the connected relay peer asked longest ago, if any is due. */
  #askSomeone(connected: ReadonlySet<string>, now: number): void {
    let best: string | undefined
    let bestAt = Infinity
    for (const id of connected) {
      const at = this.#asked.get(id) ?? -Infinity
      if (now - at >= this.#s.exchangeIntervalMs && at < bestAt) {
        best = id
        bestAt = at
      }
    }
    if (best === undefined) return
    for (const p of this.#components.handshake.peers())
      if (p.peerId.toString() === best) return void this.exchange(p.peerId)
  }

  /** Forgets when peers were asked that are neither connected nor in the book. */
  #pruneAsked(connected: ReadonlySet<string>): void {
    for (const id of this.#asked.keys())
      if (!connected.has(id) && this.book.get(id) === undefined) this.#asked.delete(id)
  }

  async #dialSeed(seed: Seed, key: string): Promise<void> {
    this.#dialing.add(key)
    try {
      const peer = await this.#dial(seed.address)
      seed.peerId = peer.toString()
      seed.failures = 0
      seed.retryAt = 0
    } catch {
      seed.failures++
      const delay = this.#s.backoffMinMs * 2 ** Math.min(seed.failures - 1, 30)
      seed.retryAt = this.#s.now() + Math.min(this.#s.backoffMaxMs, delay)
    } finally {
      this.#dialing.delete(key)
    }
  }

  async #dialPeer(id: string, addresses: Multiaddr[]): Promise<void> {
    this.#dialing.add(id)
    try {
      await this.#dial(addresses)
    } catch {
      this.book.failed(id, this.#s.now())
    } finally {
      this.#dialing.delete(id)
    }
  }

  /** Dials and waits for the handshake; resolves with the peer reached. */
  async #dial(target: Multiaddr | Multiaddr[]): Promise<PeerId> {
    this.#dials++
    const signal = AbortSignal.any([
      this.#controller.signal,
      AbortSignal.timeout(this.#s.dialTimeoutMs),
    ])
    try {
      const connection = await this.#components.connectionManager.openConnection(target, {
        signal,
      })
      await this.#components.handshake.verified(connection, { signal })
      return connection.remotePeer
    } catch (error) {
      this.#dialFailures++
      throw error
    }
  }
}
