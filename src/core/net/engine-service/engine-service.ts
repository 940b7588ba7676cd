/**
 * The node runtime over libp2p: the engine's one runtime (`EngineRuntime`) with the network as its
 * transport. An engine `send` is encoded once and queued on the committee link of its addressee (a
 * member, or a masternode holding a guest link), or handed to `route` (a wallet's stream); an
 * inbound frame is decoded and delivered, and the runtime pre-verifies its signatures off the engine
 * (a batching front with a verdict cache over the shell's verifier: in Node a worker pool). The
 * `tx` protocol takes a transaction from any handshaken peer, and carries one to a masternode no
 * link reaches (relay.ts: other services' routes, and the "already relayed" filter). A full node
 * has no committee links: everything goes by routes and the `tx` protocol. Penalties — undecodable frames,
 * failed signatures, the engine's own `penalize` effects — go to the `PenaltySink` with their
 * error's peer action; writes go through the store, durable where the engine asks.
 *
 * Invariants: the engine sees only decoded, pre-verified messages, in arrival order per the
 * runtime; each message is encoded once however many members it goes to; once
 * `maxPendingVerifications` verifications and writes are in flight every link stops reading (the
 * peers' muxer windows then hold them back) until half of them are done; the links follow the engine's committee after every
 * commit; stopping is final, like a crash (a node restarts from its store with a new service).
 */
import type { Connection, PeerId, Startable, Stream } from '@libp2p/interface'
import type { ConnectionManager, Registrar } from '@libp2p/interface-internal'
import { lpStream } from '@libp2p/utils'
import type { Ed25519Verifier } from '../../crypto/ed25519.ts'
import { ed25519 } from '../../crypto/ed25519.ts'
import { assertVerdicts } from '../../crypto/signature-bundle.ts'
import {
  type BatchVerifier,
  createBatchVerifier,
  DEFAULT_VERDICT_CACHE_ENTRIES,
} from '../../crypto/verify-queue.ts'
import { bytesToHex, fromHex } from '../../encoding/bytes.ts'
import type { FinalityEngine } from '../../engine/finality-engine.ts'
import type { PeerId as EnginePeerId, Message } from '../../engine/messages.ts'
import { messageBundle } from '../../engine/preverify.ts'
import {
  EngineRuntime,
  type Notification,
  type RuntimePorts,
  storeWriter,
} from '../../engine/runtime.ts'
import { PeerAction, PeerError, TimeCoinError } from '../../errors.ts'
import type { NetworkName } from '../../primitives/network.ts'
import { PROTOCOLS, protocolIdOf } from '../../protocol/protocols.ts'
import type { Store } from '../../storage/store.ts'
import type { CommitteeLinks } from '../committee-links/committee-links-service.ts'
import type { InboundGate } from '../defence/inbound-gate.ts'
import { frameLimits } from '../defence/read-limits.ts'
import { BanList } from '../handshake/ban-list.ts'
import type { HandshakeService } from '../handshake/handshake-service.ts'
import { streamError } from '../stream-error.ts'
import { FatalBans, type PenaltySink } from './penalties.ts'
import {
  masternodeConnection,
  type RelayFilterSettings,
  type RelayStats,
  Relays,
  type Route,
} from './relay.ts'

/** The parts of a libp2p node the service uses (the handshake and committee links included). */
export interface EngineServiceComponents {
  registrar: Pick<Registrar, 'handle' | 'unhandle'>
  connectionManager: Pick<ConnectionManager, 'closeConnections' | 'getConnections'>
  handshake: Pick<HandshakeService, 'verified' | 'peerOfMasternode' | 'peer'>
  /** Absent on a full node: it has no committee links. */
  committeeLinks?: Pick<
    CommitteeLinks,
    | 'receive'
    | 'send'
    | 'routes'
    | 'setCommittee'
    | 'pauseInbound'
    | 'resumeInbound'
    | 'inboundPaused'
    | 'state'
  >
}

export interface EngineServiceInit {
  readonly network: NetworkName
  readonly genesisHash: Uint8Array
  /** The engine, opened from `store` (`openEngine`). */
  readonly engine: FinalityEngine
  readonly store: Store
  readonly clock: RuntimePorts['clock']
  readonly timers: RuntimePorts['timers']
  /** Checks signatures (default: the core's native-first verifier; in Node the worker pool). */
  readonly verifier?: Ed25519Verifier
  /** Verdicts remembered (default 16,384; 0: none). */
  readonly verdictCacheEntries?: number
  /** Finality, commits, output states, alarms and penalties, after the service has seen them. */
  readonly notify?: (notification: Notification) => void
  /** Where penalties go (default: `FatalBans` over `bans`). */
  readonly penalties?: PenaltySink
  /** The handshake's ban policy, so the default sink's bans hold at the next connection. */
  readonly bans?: ConstructorParameters<typeof FatalBans>[0]
  /**
   * Asked for every inbound frame (links and `tx` streams) before it is decoded; false drops the
   * frame (the defence layer's rate limits and bans). Default: every frame is handled.
   */
  readonly inbound?: InboundGate
  /** Delivers a message for a peer no link reaches (a wallet's stream); false when it cannot. */
  readonly route?: (to: EnginePeerId, message: Message) => boolean
  /** The "already relayed" filter of the direct paths (default 32,768 a generation, 1e-4, 300 s). */
  readonly relayFilter?: Partial<RelayFilterSettings>
  /** Verifications and writes in flight above which links stop reading (default 4,096). */
  readonly maxPendingVerifications?: number
  /** A store write failed: the runtime has stopped (it cannot keep persist-before-send). */
  readonly onStoreError?: (error: unknown) => void
}

export interface EngineServiceStats extends RelayStats {
  readonly framesIn: number
  readonly decodeErrors: number
  /** Messages encoded for sending (once per message, however many addressees). */
  readonly encoded: number
  readonly sent: number
  readonly encodeErrors: number
  /** Sends no link or route could take. */
  readonly unroutable: number
  readonly transactionsReceived: number
  /** Vote batches sent over committee links (each addressee counts). */
  readonly votesSent: number
  /** Vote batches received on committee links (decoded, before verification). */
  readonly votesReceived: number
  /** Finality certificates received on committee links (decoded, before verification). */
  readonly certificatesReceived: number
  readonly penalties: number
  readonly inboundPauses: number
}

/** Messages the engine repeats on its own timers: the first dropped when a link's queue is full. */
const REPEATED: ReadonlySet<Message['type']> = new Set([
  'InstantFinalityRequest',
  'TransactionRequest',
  'BlockRequest',
])

/** Peers outside the masternodes whose messages the engine may name (transaction submitters). */
export const MAX_OTHER_PEERS = 1_024
/** The engine's name for a peer that is not a masternode. */
const OTHER_PREFIX = 'peer:'

export const DEFAULT_MAX_PENDING_VERIFICATIONS = 4_096

type Links = NonNullable<EngineServiceComponents['committeeLinks']>

/** A full node's stand-in for the committee links it does not have: nothing routes or reads. */
const NO_LINKS: Links = {
  receive() {},
  send: () => false,
  routes: () => false,
  setCommittee() {},
  pauseInbound() {},
  resumeInbound() {},
  inboundPaused: false,
  state: () => undefined,
}

/** The host's committee links, or none (libp2p's components throw for a missing service). */
function linksOf(components: EngineServiceComponents): Links {
  try {
    return components.committeeLinks ?? NO_LINKS
  } catch {
    return NO_LINKS
  }
}

export class EngineService implements Startable {
  readonly [Symbol.toStringTag] = '@timecoin/engine'
  readonly runtime: EngineRuntime
  /** The batching front of the verifier port (its stats show cache hits and batches). */
  readonly verifier: BatchVerifier
  readonly penalties: PenaltySink
  /** The `tx` protocol id of this node's network. */
  readonly txProtocol: string
  readonly #components: EngineServiceComponents
  readonly #init: EngineServiceInit
  readonly #maxPending: number
  /** `peer:<id>` → libp2p peer, for peers that are not masternodes (LRU, ≤ MAX_OTHER_PEERS). */
  readonly #others = new Map<string, PeerId>()
  readonly #links: Links
  readonly #relays: Relays
  #epoch = -1
  #lastMessage: Message | undefined
  #lastBytes: Uint8Array | undefined
  #storeError: unknown
  #framesIn = 0
  #decodeErrors = 0
  #encoded = 0
  #sent = 0
  #encodeErrors = 0
  #unroutable = 0
  #transactions = 0
  #votesSent = 0
  #votesReceived = 0
  #certificatesReceived = 0
  #penalties = 0
  #pauses = 0
  /** Services told every notification too (the wallet protocol): a few, set by code. */
  readonly #listeners = new Set<(notification: Notification) => void>()
  /** Links stopped reading because too much is in flight. */
  #paused = false
  /** The engine has started and not stopped: frames that arrive earlier are dropped (re-sent). */
  #running = false

  constructor(components: EngineServiceComponents, init: EngineServiceInit) {
    this.#components = components
    this.#init = init
    this.#maxPending = init.maxPendingVerifications ?? DEFAULT_MAX_PENDING_VERIFICATIONS
    this.txProtocol = protocolIdOf(init.network, 'tx')
    this.#links = linksOf(components)
    this.#relays = new Relays({
      clock: init.clock,
      seed: crypto.getRandomValues(new Uint8Array(16)),
      ...(init.relayFilter === undefined ? {} : { filter: init.relayFilter }),
    })
    this.verifier = createBatchVerifier(init.verifier ?? ed25519, {
      cacheEntries: init.verdictCacheEntries ?? DEFAULT_VERDICT_CACHE_ENTRIES,
    })
    this.penalties =
      init.penalties ??
      new FatalBans(init.bans ?? new BanList(), (peer) =>
        components.connectionManager.closeConnections(peer),
      )
    this.runtime = new EngineRuntime(init.engine, {
      clock: init.clock,
      timers: init.timers,
      transport: this.#send,
      store: this.#storeWrites(storeWriter(init.store, this.#storeFailed)),
      verify: this.#verify,
      notify: this.#notify,
    })
  }

  /** The store error that stopped the runtime, if one did. */
  get storeError(): unknown {
    return this.#storeError
  }

  async start(): Promise<void> {
    this.#links.receive({
      frame: this.#onFrame,
      misbehaved: (peer, error) => this.#penalize(peer, error),
    })
    await this.#components.registrar.handle(this.txProtocol, this.#onTxStream, {
      maxInboundStreams: 32,
    })
  }

  /** Links to the committee, then starts the engine (every service has started by now). */
  afterStart(): void {
    this.#followCommittee()
    this.runtime.start()
    this.#running = true
  }

  async stop(): Promise<void> {
    this.#running = false
    this.runtime.stop()
    await this.#components.registrar.unhandle(this.txProtocol)
  }

  /** A transaction from this node's own wallet or RPC (rejects with the typed error if invalid). */
  submit(tx: Parameters<EngineRuntime['submit']>[0]): Promise<void> {
    return this.runtime.submit(tx)
  }

  /**
   * Tells `listener` every notification too (finality, commits, output states …), after the
   * service and before `init.notify`; returns the call that stops it. The wallet protocol listens.
   */
  onNotification(listener: (notification: Notification) => void): () => void {
    this.#listeners.add(listener)
    return () => {
      this.#listeners.delete(listener)
    }
  }

  /**
   * A message another service received from libp2p peer `peer` (gossip), named as the engine
   * names peers (its masternode key, else `peer:<id>`), verified and handled like a link's frame.
   */
  deliver(peer: PeerId, message: Message): void {
    if (!this.#running || this.runtime.stopped) return
    const key = this.#components.handshake.peer(peer)?.masternodeKey
    this.#deliver(key === undefined ? this.#otherName(peer) : bytesToHex(key), message)
  }

  /**
   * Offers the messages no link takes to `route` first (gossip takes the blocks the engine gives
   * its followers); returns the call that removes it.
   */
  addRoute(route: Route): () => void {
    return this.#relays.addRoute(route)
  }

  stats(): EngineServiceStats {
    return {
      framesIn: this.#framesIn,
      decodeErrors: this.#decodeErrors,
      encoded: this.#encoded,
      sent: this.#sent,
      encodeErrors: this.#encodeErrors,
      unroutable: this.#unroutable,
      transactionsReceived: this.#transactions,
      votesSent: this.#votesSent,
      votesReceived: this.#votesReceived,
      certificatesReceived: this.#certificatesReceived,
      penalties: this.#penalties,
      inboundPauses: this.#pauses,
      ...this.#relays.stats(),
    }
  }

  // ── ports ──

  readonly #send = (to: EnginePeerId, message: Message): void => {
    const links = this.#links
    // Anyone but a committee member (a guest link, a wallet, a follower) is relayed to: a vote
    // batch it already got is skipped.
    if (links.state(to) === undefined && !this.#relays.firstRelay(to, message)) return
    if (links.routes(to)) {
      const bytes = this.#encode(message)
      if (bytes === undefined) return
      this.#sent++
      if (message.type === 'InstantFinalityVote') this.#votesSent++
      links.send(to, bytes, !REPEATED.has(message.type))
      return
    }
    if (
      this.#relays.route(to, message) ||
      this.#init.route?.(to, message) === true ||
      this.#relays.relayTransaction(
        to,
        message,
        this.#init.network,
        this.#masternodeConnection,
        relayTransaction,
      )
    ) {
      this.#sent++
      return
    }
    this.#unroutable++
  }

  readonly #masternodeConnection = masternodeConnection(
    (key) => this.#components.handshake.peerOfMasternode(key),
    (peer) => this.#components.connectionManager.getConnections(peer),
  )

  /** Encodes once per message: a broadcast hands the same object to every member. */
  #encode(message: Message): Uint8Array | undefined {
    if (message === this.#lastMessage) return this.#lastBytes
    try {
      const bytes = PROTOCOLS.consensus.dialer.encode(message)
      this.#encoded++
      this.#lastMessage = message
      this.#lastBytes = bytes
      return bytes
    } catch {
      // Only a message over its codec's limits fails here; the engine builds none (counted).
      this.#encodeErrors++
      return undefined
    }
  }

  readonly #verify: RuntimePorts['verify'] = (message) => {
    // Structure errors throw here, typed; the runtime turns them into a penalty.
    const bundle = messageBundle(message, this.#init.genesisHash)
    if (bundle.checks.length === 0) return null
    return this.verifier.verifyMany(bundle.checks).then((verdicts) => {
      this.#settled()
      try {
        assertVerdicts(bundle, verdicts)
        return null
      } catch (error) {
        if (error instanceof TimeCoinError) return error
        throw error
      }
    })
  }

  /** The store port, telling the budget when a write is done. */
  #storeWrites(write: RuntimePorts['store']): RuntimePorts['store'] {
    return (ops, sync, done) =>
      write(ops, sync, () => {
        done()
        this.#settled()
      })
  }

  readonly #notify = (n: Notification): void => {
    if (n.type === 'penalize') {
      const peer = this.#libp2pPeer(n.peer)
      if (peer !== undefined) {
        this.#penalties++
        this.penalties.penalize({ peer, action: n.action, code: n.code, reason: n.reason })
      }
    } else if (n.type === 'committed') this.#followCommittee()
    for (const listener of this.#listeners) listener(n)
    this.#init.notify?.(n)
  }

  readonly #storeFailed = (error: unknown): void => {
    this.#storeError = error
    this.runtime.stop()
    this.#init.onStoreError?.(error)
  }

  /** Links follow the engine's committee: at start and after each commit that changed it. */
  #followCommittee(): void {
    const committee = this.#init.engine.committee
    if (committee.epoch === this.#epoch) return
    this.#epoch = committee.epoch
    this.#links.setCommittee(committee.members.map((m) => m.key))
  }

  // ── inbound ──

  readonly #onFrame = (from: string, frame: Uint8Array, peer: PeerId): void => {
    if (!this.#running || this.runtime.stopped) return
    if (this.#init.inbound?.admit(peer, 'consensus', frame) === false) return
    this.#framesIn++
    let message: Message
    try {
      message = PROTOCOLS.consensus.dialer.decode(frame)
    } catch (error) {
      this.#decodeErrors++
      this.#penalize(peer, streamError(error, 'consensus'))
      return
    }
    if (message.type === 'InstantFinalityVote') this.#votesReceived++
    else if (message.type === 'FinalityCertificate') this.#certificatesReceived++
    this.#deliver(from, message)
  }

  #deliver(from: EnginePeerId, message: Message): void {
    this.runtime.deliver(from, message)
    if (this.#paused || this.runtime.pending < this.#maxPending) return
    this.#paused = true
    this.#pauses++
    this.#links.pauseInbound()
    void this.runtime.idle().then(this.#resume)
  }

  /** After a verification or a write: reading resumes once half the budget is free again. */
  readonly #settled = (): void => {
    if (this.#paused && this.runtime.pending <= this.#maxPending / 2) this.#resume()
  }

  readonly #resume = (): void => {
    if (!this.#paused) return
    this.#paused = false
    this.#links.resumeInbound()
  }

  #penalize(peer: PeerId, error: TimeCoinError): void {
    this.#penalties++
    this.penalties.penalize({
      peer,
      action: error.peerAction ?? PeerAction.LowToleranceError,
      code: error.code,
      reason: error.message,
    })
  }

  /** The libp2p peer behind an engine peer name, while it is known. */
  #libp2pPeer(name: EnginePeerId): PeerId | undefined {
    if (name.startsWith(OTHER_PREFIX)) return this.#others.get(name)
    if (name.length !== 64) return undefined
    try {
      return this.#components.handshake.peerOfMasternode(fromHex(name, 32))?.peerId
    } catch {
      return undefined
    }
  }

  /** The engine's name for a peer that is not a masternode (remembered, bounded). */
  #otherName(peer: PeerId): EnginePeerId {
    const name = `${OTHER_PREFIX}${peer.toString()}`
    this.#others.delete(name)
    this.#others.set(name, peer)
    if (this.#others.size > MAX_OTHER_PEERS) {
      const oldest = this.#others.keys().next().value
      if (oldest !== undefined) this.#others.delete(oldest)
    }
    return name
  }

  readonly #onTxStream = (stream: Stream, connection: Connection): void => {
    void this.#acceptTx(stream, connection)
  }

  /** One `TransactionBroadcast` per stream, from any handshaken peer; no answer. */
  async #acceptTx(stream: Stream, connection: Connection): Promise<void> {
    const spec = PROTOCOLS.tx
    const signal = AbortSignal.timeout(spec.timeoutMs)
    try {
      const peer = await this.#components.handshake.verified(connection, { signal })
      const lp = lpStream(stream, frameLimits(spec.maxDataLength))
      const frame = (await lp.read({ signal })).subarray()
      if (this.#init.inbound?.admit(connection.remotePeer, 'tx', frame) === false) {
        stream.abort(new PeerError('PEER_RATE_LIMITED', 'a tx frame over the rate limit'))
        return
      }
      const message = spec.dialer.decode(frame)
      if (!this.#running || this.runtime.stopped) throw new Error('the engine is not running')
      this.#transactions++
      const from =
        peer.masternodeKey === undefined
          ? this.#otherName(connection.remotePeer)
          : bytesToHex(peer.masternodeKey)
      this.#deliver(from, message)
      await stream.close({ signal })
    } catch (error) {
      const t = streamError(error, 'tx')
      if (t.peerAction !== undefined) {
        this.#decodeErrors++
        this.#penalize(connection.remotePeer, t)
      }
      stream.abort(t)
    }
  }
}

/**
 * Sends `tx` to a masternode over the `tx` protocol on `connection` (a wallet or full node
 * relaying it): one frame, then the stream closes. Resolves once the frame is written.
 */
export async function relayTransaction(
  connection: Pick<Connection, 'newStream'>,
  network: NetworkName,
  tx: Extract<Message, { type: 'TransactionBroadcast' }>['tx'],
  options: { signal?: AbortSignal } = {},
): Promise<void> {
  const spec = PROTOCOLS.tx
  const signal = options.signal ?? AbortSignal.timeout(spec.timeoutMs)
  const stream = await connection.newStream(protocolIdOf(network, 'tx'), { signal })
  try {
    await lpStream(stream).write(spec.dialer.encode({ type: 'TransactionBroadcast', tx }), {
      signal,
    })
    await stream.close({ signal })
  } catch (error) {
    stream.abort(error instanceof Error ? error : new Error(String(error)))
    throw error
  }
}
