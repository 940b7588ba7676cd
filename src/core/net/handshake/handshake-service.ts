/**
 * The handshake as a libp2p service: on every connection both ends send one hello (version,
 * network, genesis, tip, role, and a masternode's key bound to its peer id) over one stream that
 * the dialing side opens, and judge the other's. Uses only libp2p's interfaces (registrar,
 * connection manager, the host's events), so it runs in the Node host, the browser host and over
 * `@libp2p/memory` alike.
 *
 * Invariants: every tracked connection ends verified, or closed within `timeoutMs`; a Fatal
 * failure (wrong network or genesis, a forged binding) bans the peer and closes all its
 * connections; a banned peer's new connections are closed before any handshake; at most
 * `maxConnections` connections are tracked, each at most once, and each state is dropped when its
 * connection closes or the service stops (no timer outlives either).
 */
import type {
  AbortOptions,
  Connection,
  Libp2pEvents,
  PeerId,
  Startable,
  Stream,
  TypedEventTarget,
} from '@libp2p/interface'
import { TypedEventEmitter } from '@libp2p/interface'
import type { ConnectionManager, Registrar } from '@libp2p/interface-internal'
import { lpStream } from '@libp2p/utils'
import { type Ed25519Verifier, ed25519, type Signer } from '../../crypto/ed25519.ts'
import { assertStrongPublicKey } from '../../crypto/public-key-rule.ts'
import { verifyBundle } from '../../crypto/signature-bundle.ts'
import { equalBytes } from '../../encoding/bytes.ts'
import { EncodingError, HandshakeError, PeerAction, TimeCoinError } from '../../errors.ts'
import { NETWORKS, type NetworkName } from '../../primitives/network.ts'
import {
  HANDSHAKE_VERSION,
  type Hello,
  HelloCodec,
  helloVersion,
  PeerRole,
  peerBindingBundle,
  signPeerBinding,
} from '../../protocol/handshake.ts'
import { protocolId } from '../../protocol/protocol-ids.ts'
import { frameLimits, isOversizeRead } from '../defence/read-limits.ts'
import { BanList, type BanPolicy } from './ban-list.ts'
import {
  CLOSE_TIMEOUT_MS,
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_MAX_TRACKED_CONNECTIONS,
  MAX_HELLO_FRAME,
} from './constants.ts'
import { type VerifiedPeer, VerifiedPeers } from './verified-peers.ts'

/** The parts of a libp2p node the service uses. */
export interface HandshakeComponents {
  peerId: PeerId
  registrar: Pick<Registrar, 'handle' | 'unhandle'>
  connectionManager: Pick<ConnectionManager, 'closeConnections'>
  events: TypedEventTarget<Libp2pEvents>
}

/** This node's tip, as the handshake announces it. */
export interface Tip {
  readonly height: number
  readonly hash: Uint8Array
}

export interface HandshakeInit {
  readonly network: NetworkName
  readonly genesisHash: Uint8Array
  readonly role: PeerRole
  /** Signs with the masternode key; required exactly when `role` is masternode. */
  readonly masternodeSigner?: Signer
  /** Read at every handshake. */
  readonly tip: () => Tip
  /** A connection not handshaken by then is closed (default 10 s). */
  readonly timeoutMs?: number
  /** Most connections tracked at once (default 4,096). */
  readonly maxConnections?: number
  /** Who is banned and how a Fatal failure bans (default: an in-memory `BanList`). */
  readonly bans?: BanPolicy
  /** Checks binding signatures (default: the core's ZIP215 verifier). */
  readonly verifier?: Ed25519Verifier
}

export interface HandshakeFailure {
  readonly peerId: PeerId
  readonly connectionId: string
  readonly error: TimeCoinError
  /** Whether this failure banned the peer (its error was Fatal). */
  readonly banned: boolean
}

export interface HandshakeEvents {
  /** A connection's handshake succeeded. */
  'peer:verified': CustomEvent<VerifiedPeer>
  /** A connection's handshake failed; the connection is being closed. */
  'peer:rejected': CustomEvent<HandshakeFailure>
  /** The last handshaken connection of a peer closed. */
  'peer:gone': CustomEvent<VerifiedPeer>
}

/** One connection's handshake in flight. */
interface Attempt {
  readonly connection: Connection
  /** Aborted when the attempt settles: ends its stream operations. */
  readonly controller: AbortController
  readonly result: Promise<VerifiedPeer>
  readonly resolve: (peer: VerifiedPeer) => void
  readonly reject: (error: TimeCoinError) => void
  readonly timer: ReturnType<typeof setTimeout>
  /** A handshake stream is open on it (there is at most one per connection). */
  streaming: boolean
}

function failed(message: string, cause?: unknown): HandshakeError {
  return new HandshakeError('HANDSHAKE_FAILED', message, undefined, { cause })
}

/** A typed error for whatever a stream operation threw. */
function typed(error: unknown): TimeCoinError {
  if (error instanceof TimeCoinError) return error
  if (isOversizeRead(error))
    return new EncodingError(
      'LIMIT_EXCEEDED',
      `hello frame longer than ${MAX_HELLO_FRAME} bytes`,
      PeerAction.LowToleranceError,
      { cause: error },
    )
  return failed(`handshake stream failed: ${error instanceof Error ? error.message : error}`, error)
}

/**
 * Closes our end of a failed handshake stream and waits, at most CLOSE_TIMEOUT_MS, until the
 * peer closes its end — which it does once it has read our hello — so the peer judges us too
 * before the connection goes (closing the connection at once would discard its unread hello).
 */
async function closeAfterPeer(stream: Stream): Promise<void> {
  const signal = AbortSignal.timeout(CLOSE_TIMEOUT_MS)
  const closed = new Promise<void>((resolve) => {
    if (stream.status !== 'open' && stream.status !== 'closing') return resolve()
    stream.addEventListener('close', () => resolve(), { once: true })
    signal.addEventListener('abort', () => resolve(), { once: true })
  })
  try {
    await stream.close({ signal })
    await closed
  } catch (error) {
    stream.abort(error instanceof Error ? error : new Error(String(error)))
  }
}

function raceSignal<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort)
        resolve(v)
      },
      (e) => {
        signal.removeEventListener('abort', onAbort)
        reject(e)
      },
    )
  })
}

export class HandshakeService extends TypedEventEmitter<HandshakeEvents> implements Startable {
  readonly [Symbol.toStringTag] = '@timecoin/handshake'
  /** The handshake protocol id of this node's network. */
  readonly protocol: string
  /** The handshake ids of every network: another network's peer is judged and banned, not ignored. */
  readonly #protocols: readonly string[]
  readonly #components: HandshakeComponents
  readonly #init: HandshakeInit
  readonly #timeoutMs: number
  readonly #maxConnections: number
  readonly #bans: BanPolicy
  readonly #verifier: Ed25519Verifier
  readonly #attempts = new Map<string, Attempt>()
  /** Handshaken open connections: connection id → what was proved. */
  readonly #done = new Map<string, VerifiedPeer>()
  readonly #peers = new VerifiedPeers()
  #binding: Uint8Array | undefined
  #started = false

  constructor(components: HandshakeComponents, init: HandshakeInit) {
    super()
    if (!(init.genesisHash instanceof Uint8Array) || init.genesisHash.length !== 32)
      throw new RangeError('handshake: genesisHash must be 32 bytes')
    if ((init.role === PeerRole.Masternode) !== (init.masternodeSigner !== undefined))
      throw new RangeError(
        'handshake: a masternode signer is given exactly for the masternode role',
      )
    if (init.masternodeSigner !== undefined)
      assertStrongPublicKey(init.masternodeSigner.publicKey, 'masternode key')
    this.#components = components
    this.#init = init
    this.#timeoutMs = init.timeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS
    this.#maxConnections = init.maxConnections ?? DEFAULT_MAX_TRACKED_CONNECTIONS
    this.#bans = init.bans ?? new BanList()
    this.#verifier = init.verifier ?? ed25519
    this.protocol = protocolId(init.network, 'handshake', HANDSHAKE_VERSION)
    this.#protocols = NETWORKS.map((n) => protocolId(n, 'handshake', HANDSHAKE_VERSION))
  }

  async start(): Promise<void> {
    const { masternodeSigner, genesisHash } = this.#init
    if (masternodeSigner !== undefined)
      this.#binding = signPeerBinding(
        masternodeSigner,
        genesisHash,
        this.#components.peerId.toMultihash().bytes,
      )
    for (const id of this.#protocols)
      await this.#components.registrar.handle(id, this.#onStream, {
        maxInboundStreams: 1,
        maxOutboundStreams: 1,
      })
    this.#components.events.addEventListener('connection:open', this.#onOpen)
    this.#components.events.addEventListener('connection:close', this.#onClose)
    this.#started = true
  }

  async stop(): Promise<void> {
    this.#started = false
    this.#components.events.removeEventListener('connection:open', this.#onOpen)
    this.#components.events.removeEventListener('connection:close', this.#onClose)
    for (const attempt of [...this.#attempts.values()])
      this.#settle(attempt)?.reject(failed('the handshake service stopped'))
    this.#done.clear()
    this.#peers.clear()
    for (const id of this.#protocols) await this.#components.registrar.unhandle(id)
  }

  /** The peer's facts from its latest handshake, while one of its handshaken connections is open. */
  peer(peerId: PeerId): VerifiedPeer | undefined {
    return this.#peers.get(peerId)
  }

  /** The connected peer that proved masternode key `key` (most recently), in O(1). */
  peerOfMasternode(key: Uint8Array): VerifiedPeer | undefined {
    return this.#peers.byMasternodeKey(key)
  }

  /** Every peer with an open handshaken connection. */
  peers(): IterableIterator<VerifiedPeer> {
    return this.#peers[Symbol.iterator]()
  }

  /** What this connection's handshake proved, or undefined while it is pending or failed. */
  verifiedConnection(connection: Connection): VerifiedPeer | undefined {
    return this.#done.get(connection.id)
  }

  /**
   * Resolves once `connection` is handshaken; rejects when its handshake fails, it closes, or
   * `options.signal` aborts. Protocol handlers await it before serving a stream, since a peer's
   * first stream may arrive while its hello is still being checked here.
   */
  verified(connection: Connection, options: AbortOptions = {}): Promise<VerifiedPeer> {
    const done = this.#done.get(connection.id)
    if (done !== undefined) return Promise.resolve(done)
    const attempt = this.#attempts.get(connection.id) ?? this.#track(connection)
    if (attempt === undefined)
      return Promise.reject(failed(`connection ${connection.id} is not handshaken`))
    return raceSignal(attempt.result, options.signal)
  }

  /** Whether the ban policy refuses this peer now. */
  isBanned(peerId: PeerId): boolean {
    return this.#bans.isBanned(peerId)
  }

  readonly #onOpen = (event: CustomEvent<Connection>): void => {
    const connection = event.detail
    if (this.#attempts.has(connection.id) || this.#done.has(connection.id)) return
    this.#track(connection)
  }

  readonly #onClose = (event: CustomEvent<Connection>): void => {
    const connection = event.detail
    const attempt = this.#attempts.get(connection.id)
    // A hello may have arrived just before the close: a running exchange still reads and judges
    // it (a wrong genesis still bans), and ends on its own (end of stream, or the timer).
    if (attempt !== undefined && !attempt.streaming)
      this.#settle(attempt)?.reject(failed('the connection closed during the handshake'))
    if (this.#done.delete(connection.id)) {
      const gone = this.#peers.removeConnection(connection.remotePeer, connection.id)
      if (gone !== undefined) this.safeDispatchEvent('peer:gone', { detail: gone })
    }
  }

  readonly #onStream = (stream: Stream, connection: Connection): void => {
    const attempt =
      this.#attempts.get(connection.id) ??
      (connection.direction === 'inbound' ? this.#track(connection) : undefined)
    if (attempt === undefined || connection.direction !== 'inbound' || attempt.streaming) {
      stream.abort(failed('unexpected handshake stream'))
      return
    }
    attempt.streaming = true
    void this.#run(attempt, stream)
  }

  /**
   * Starts tracking an open connection (the dialing side opens the handshake stream), or closes
   * it at once when its peer is banned or too many are tracked. Undefined when not tracked.
   */
  #track(connection: Connection): Attempt | undefined {
    if (!this.#started || connection.status !== 'open' || this.#done.has(connection.id))
      return undefined
    const peerId = connection.remotePeer
    if (this.#bans.isBanned(peerId)) {
      this.#reject(connection, new HandshakeError('HANDSHAKE_BANNED', `peer ${peerId} is banned`))
      return undefined
    }
    if (this.#attempts.size + this.#done.size >= this.#maxConnections) {
      this.#reject(connection, failed(`already ${this.#maxConnections} connections tracked`))
      return undefined
    }
    let resolve!: (peer: VerifiedPeer) => void
    let reject!: (error: TimeCoinError) => void
    const promise = new Promise<VerifiedPeer>((res, rej) => {
      resolve = res
      reject = rej
    })
    promise.catch(() => {}) // awaited only by `verified` callers; a failure is reported by event
    const attempt: Attempt = {
      connection,
      controller: new AbortController(),
      result: promise,
      resolve,
      reject,
      timer: setTimeout(() => {
        const error = new HandshakeError(
          'HANDSHAKE_TIMEOUT',
          `no handshake within ${this.#timeoutMs} ms`,
        )
        this.#fail(attempt, error)
      }, this.#timeoutMs),
      streaming: false,
    }
    this.#attempts.set(connection.id, attempt)
    if (connection.direction === 'outbound') void this.#initiate(attempt)
    return attempt
  }

  async #initiate(attempt: Attempt): Promise<void> {
    attempt.streaming = true
    let stream: Stream
    try {
      stream = await attempt.connection.newStream(this.protocol, {
        signal: attempt.controller.signal,
      })
    } catch (error) {
      this.#fail(attempt, failed('the peer did not take a handshake stream', error))
      return
    }
    await this.#run(attempt, stream)
  }

  async #run(attempt: Attempt, stream: Stream): Promise<void> {
    try {
      const hello = await this.#exchange(attempt, stream)
      this.#succeed(attempt, hello)
      stream.close({ signal: AbortSignal.timeout(CLOSE_TIMEOUT_MS) }).catch((e: Error) => {
        stream.abort(e)
      })
    } catch (error) {
      const typedError = typed(error)
      if (this.#settle(attempt) === undefined) {
        stream.abort(typedError)
        return
      }
      attempt.reject(typedError)
      const banned = this.#report(attempt.connection, typedError)
      await closeAfterPeer(stream)
      this.#disconnect(attempt.connection, typedError, banned)
    }
  }

  /** Sends this node's hello, reads the peer's and judges it; throws a typed error. */
  async #exchange(attempt: Attempt, stream: Stream): Promise<Hello> {
    const { signal } = attempt.controller
    const lp = lpStream(stream, frameLimits(MAX_HELLO_FRAME))
    await lp.write(HelloCodec.encode(this.#hello()), { signal })
    const frame = await lp.read({ signal })
    const hello = this.#judge(frame.subarray(), stream.protocol)
    const peerIdBytes = attempt.connection.remotePeer.toMultihash().bytes
    const bundle = peerBindingBundle(hello, this.#init.genesisHash, peerIdBytes)
    if (bundle !== null) await verifyBundle(bundle, this.#verifier)
    return hello
  }

  #hello(): Hello {
    const { network, genesisHash, role, tip } = this.#init
    const { height, hash } = tip()
    const base = {
      version: HANDSHAKE_VERSION,
      network,
      genesisHash,
      tipHeight: height,
      tipHash: hash,
    }
    if (role !== PeerRole.Masternode) return { ...base, role }
    const signer = this.#init.masternodeSigner
    if (signer === undefined || this.#binding === undefined)
      throw failed('a masternode handshake before start')
    return { ...base, role, masternodeKey: signer.publicKey, bindingSignature: this.#binding }
  }

  /** The checks that need no signature: version, encoding, network, genesis. */
  #judge(bytes: Uint8Array, protocol: string | undefined): Hello {
    const version = helloVersion(bytes)
    if (version !== null && version !== HANDSHAKE_VERSION)
      throw new HandshakeError(
        'HANDSHAKE_VERSION',
        `peer speaks handshake version ${version}, this node ${HANDSHAKE_VERSION}`,
      )
    const hello = HelloCodec.decode(bytes)
    const { network, genesisHash } = this.#init
    if (hello.network !== network || protocol !== this.protocol)
      throw new HandshakeError(
        'HANDSHAKE_WRONG_NETWORK',
        `peer is on ${JSON.stringify(hello.network)} over ${protocol}, this node on ${network}`,
        PeerAction.Fatal,
      )
    if (!equalBytes(hello.genesisHash, genesisHash))
      throw new HandshakeError(
        'HANDSHAKE_WRONG_GENESIS',
        'peer has another genesis hash',
        PeerAction.Fatal,
      )
    return hello
  }

  /** Ends an attempt's timer and stream work; returns it unless it had already settled. */
  #settle(attempt: Attempt): Attempt | undefined {
    if (this.#attempts.get(attempt.connection.id) !== attempt) return undefined
    this.#attempts.delete(attempt.connection.id)
    clearTimeout(attempt.timer)
    attempt.controller.abort(failed('the handshake is over'))
    return attempt
  }

  #succeed(attempt: Attempt, hello: Hello): void {
    if (this.#settle(attempt) === undefined) return
    const { connection } = attempt
    if (connection.status !== 'open') {
      attempt.reject(failed('the connection closed during the handshake'))
      return
    }
    const peer: VerifiedPeer = {
      peerId: connection.remotePeer,
      connectionId: connection.id,
      role: hello.role,
      masternodeKey: hello.role === PeerRole.Masternode ? hello.masternodeKey : undefined,
      protocolVersion: hello.version,
      tipHeight: hello.tipHeight,
      tipHash: hello.tipHash,
    }
    this.#done.set(connection.id, peer)
    this.#peers.add(peer)
    attempt.resolve(peer)
    this.safeDispatchEvent('peer:verified', { detail: peer })
  }

  #fail(attempt: Attempt, error: TimeCoinError): void {
    if (this.#settle(attempt) === undefined) return
    attempt.reject(error)
    this.#reject(attempt.connection, error)
  }

  /** Reports a failed connection, bans on a Fatal error, and closes the connection (or all the peer's). */
  #reject(connection: Connection, error: TimeCoinError): void {
    this.#disconnect(connection, error, this.#report(connection, error))
  }

  /** Bans on a Fatal error and tells listeners; returns whether the peer was banned. */
  #report(connection: Connection, error: TimeCoinError): boolean {
    const peerId = connection.remotePeer
    const banned = error.peerAction === PeerAction.Fatal
    if (banned) this.#bans.ban(peerId, error)
    this.safeDispatchEvent('peer:rejected', {
      detail: { peerId, connectionId: connection.id, error, banned },
    })
    return banned
  }

  #disconnect(connection: Connection, error: TimeCoinError, banned: boolean): void {
    const signal = AbortSignal.timeout(CLOSE_TIMEOUT_MS)
    const closing = banned
      ? this.#components.connectionManager.closeConnections(connection.remotePeer, { signal })
      : connection.close({ signal })
    closing.catch(() => {
      connection.abort(error)
    })
  }
}
