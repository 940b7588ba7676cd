/**
 * The sync protocol as a libp2p service (docs/PROTOCOL.md §19.6, docs/ARCHITECTURE.md §7 "Sync").
 * It serves, and it catches up:
 *  - **serving**: on a `sync` stream (one request each, after the peer's handshake is verified)
 *    it answers `Status` with its tip, a block range with the committed blocks and certificates
 *    from the store (at most `maxAnswerBytes` of blocks, at least one), and a snapshot chunk from
 *    a snapshot of its chain's UTXO set taken at its tip when first asked and kept a while
 *    (`SnapshotCache`); anything else it cannot serve is a `SyncError`;
 *  - **catching up**: it drives the core's `SyncClient` — asks peers' tips, carries out its
 *    requests with a timeout each, verifies certificate signatures through the engine's batching
 *    verifier, hands verified blocks to the engine (`blocks` mode) or writes a verified snapshot
 *    into an empty store (`snapshot` mode), penalizes what the client refuses, and reports
 *    progress as events; once caught up it keeps asking tips every `statusEveryMs` and follows;
 *  - **on a committee link coming up** it sends that member this node's final, unconfirmed
 *    transactions with their certificates, then its pending ones, so a member that restarted
 *    learns the locks the others hold (docs/PROTOCOL.md §19.6).
 *
 * Invariants: every handler awaits the handshake's `verified` first; every answer is bounded
 * (one frame of the protocol's limit, `maxAnswerBytes` of blocks, one chunk) and every request has
 * a deadline; the events the client sees are handled one at a time, in order; the maps it keeps
 * (peers by name, snapshots) are bounded; a snapshot is written only into a store that was empty.
 */
import type { Connection, PeerId, Startable, Stream } from '@libp2p/interface'
import { TypedEventEmitter } from '@libp2p/interface'
import type { ConnectionManager, Registrar } from '@libp2p/interface-internal'
import { lpStream } from '@libp2p/utils'
import { BlockCodec } from '../../consensus/block.ts'
import { BlockCertificateCodec } from '../../consensus/block-certificate.ts'
import { FinalityCertificateCodec } from '../../consensus/certificate.ts'
import type { Committee } from '../../consensus/committee.ts'
import { MIN_VOTING_MEMBERS } from '../../consensus/committee.ts'
import { Registry } from '../../consensus/registry.ts'
import { type Ed25519Verifier, ed25519 } from '../../crypto/ed25519.ts'
import { assertVerdicts } from '../../crypto/signature-bundle.ts'
import { type BatchVerifier, createBatchVerifier } from '../../crypto/verify-queue.ts'
import { loadChainState, loadCommittedBlocks } from '../../engine/chain-store.ts'
import type { Message } from '../../engine/messages.ts'
import { EncodingError, PeerAction, ProtocolError, SyncError, TimeCoinError } from '../../errors.ts'
import type { NetworkName } from '../../primitives/network.ts'
import { PROTOCOLS, protocolIdOf } from '../../protocol/protocols.ts'
import { type CertifiedBlock, rangeAnswer, type SyncMessage } from '../../protocol/sync-messages.ts'
import type { Store } from '../../storage/store.ts'
import type { SyncTip } from '../../sync/block-check.ts'
import { ChainSnapshot, SnapshotCache } from '../../sync/snapshot.ts'
import {
  discardSnapshotRecords,
  snapshotInstallOps,
  snapshotRecordOps,
} from '../../sync/snapshot-store.ts'
import {
  DEFAULT_MAX_SYNC_PEERS,
  type SyncAction,
  SyncClient,
  type SyncEvent,
  type SyncMode,
  type SyncProgress,
} from '../../sync/sync-client.ts'
import type { CommitteeLinks, LinkEvent } from '../committee-links/committee-links-service.ts'
import type { InboundGate } from '../defence/inbound-gate.ts'
import { frameLimits, isOversizeRead } from '../defence/read-limits.ts'
import type { EngineService } from '../engine-service/engine-service.ts'
import { FatalBans, type PenaltySink } from '../engine-service/penalties.ts'
import { BanList } from '../handshake/ban-list.ts'
import type { HandshakeService } from '../handshake/handshake-service.ts'
import type { VerifiedPeer } from '../handshake/verified-peers.ts'
import {
  APPLY_POLL_MS,
  DEFAULT_MAX_ANSWER_BYTES,
  DEFAULT_MAX_PUSH,
  DEFAULT_MAX_SNAPSHOTS,
  DEFAULT_SNAPSHOT_KEEP_MS,
  DEFAULT_STATUS_EVERY_MS,
  MAX_INBOUND_SYNC_STREAMS,
} from './constants.ts'

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
  readonly pushed: number
}

/** The engine's name for the blocks this service hands it (penalties for them go nowhere). */
const ENGINE_PEER = 'sync:local'
/** Peers the service names for its client at most (more than the client tracks: some leave). */
const MAX_NAMED_PEERS = 4 * DEFAULT_MAX_SYNC_PEERS

/** A typed error for whatever a sync stream operation threw. */
function typed(error: unknown, what: string): TimeCoinError {
  if (error instanceof TimeCoinError) return error
  if (isOversizeRead(error))
    return new ProtocolError(
      'PROTOCOL_FRAME_TOO_LARGE',
      `a sync frame over ${PROTOCOLS.sync.maxDataLength} bytes`,
      PeerAction.LowToleranceError,
      { cause: error },
    )
  return new SyncError(
    'SYNC_REQUEST_FAILED',
    `${what}: ${error instanceof Error ? error.message : String(error)}`,
    undefined,
    { cause: error },
  )
}

type SyncRequest = Extract<
  SyncMessage,
  { type: 'Status' | 'BlocksByRangeRequest' | 'SnapshotChunkRequest' }
>
type SyncAnswer = Exclude<SyncMessage, SyncRequest> | Extract<SyncMessage, { type: 'Status' }>

function unavailable(message: string): SyncAnswer {
  return { type: 'SyncError', error: { code: 'SYNC_UNAVAILABLE', message } }
}

export class SyncService extends TypedEventEmitter<SyncServiceEvents> implements Startable {
  readonly [Symbol.toStringTag] = '@timecoin/sync'
  readonly protocol: string
  readonly #components: SyncServiceComponents
  readonly #init: SyncServiceInit
  readonly #mode: SyncServiceMode
  readonly #snapshots: SnapshotCache
  readonly #clock: () => number
  #engine: SyncServiceComponents['engine']
  #links: SyncServiceComponents['committeeLinks']
  #verifier: BatchVerifier | undefined
  #penalties: PenaltySink | undefined
  #client: SyncClient | null = null
  /** Peer name → libp2p peer, for peers the client knows (≤ the handshake's verified peers). */
  readonly #peers = new Map<string, PeerId>()
  /** Events for the client, handled one at a time in arrival order. */
  readonly #queue: SyncEvent[] = []
  #handling = false
  /** Store writes of the snapshot, in order (records, discards, the install batch). */
  #writes: Promise<void> = Promise.resolve()
  #storeTip: SyncTip | undefined
  #timer: ReturnType<typeof setInterval> | undefined
  #started = false
  readonly #controller = new AbortController()
  #served = 0
  #requests = 0
  #failures = 0
  #penaltyCount = 0
  #blocksApplied = 0
  #chunksStored = 0
  #pushed = 0

  constructor(components: SyncServiceComponents, init: SyncServiceInit) {
    super()
    this.#components = components
    this.#init = init
    this.#mode = init.mode ?? 'blocks'
    this.#clock = init.clock ?? Date.now
    this.#snapshots = new SnapshotCache(
      init.maxSnapshots ?? DEFAULT_MAX_SNAPSHOTS,
      init.snapshotKeepMs ?? DEFAULT_SNAPSHOT_KEEP_MS,
    )
    this.protocol = protocolIdOf(init.network, 'sync')
    if (this.#mode === 'snapshot' && init.committee === undefined)
      throw new RangeError('sync: snapshot mode needs the genesis committee')
  }

  /** Where the sync stands; null in `serve` mode or before start. */
  progress(): SyncProgress | null {
    return this.#client?.progress() ?? null
  }

  stats(): SyncServiceStats {
    return {
      served: this.#served,
      requests: this.#requests,
      failures: this.#failures,
      penalties: this.#penaltyCount,
      blocksApplied: this.#blocksApplied,
      chunksStored: this.#chunksStored,
      pushed: this.#pushed,
    }
  }

  /** Snapshots kept for serving (≤ maxSnapshots). */
  get snapshotsKept(): number {
    return this.#snapshots.size
  }

  async start(): Promise<void> {
    await this.#components.registrar.handle(this.protocol, this.#onStream, {
      maxInboundStreams: MAX_INBOUND_SYNC_STREAMS,
    })
    this.#started = true
  }

  /** Every service has started: find the engine and links, then begin catching up. */
  async afterStart(): Promise<void> {
    this.#engine = optional(this.#components, 'engine')
    this.#links = optional(this.#components, 'committeeLinks')
    this.#verifier = this.#engine?.verifier ?? createBatchVerifier(this.#init.verifier ?? ed25519)
    this.#penalties =
      this.#init.penalties ??
      this.#engine?.penalties ??
      new FatalBans(new BanList(), (peer) =>
        this.#components.connectionManager.closeConnections(peer),
      )
    this.#links?.addEventListener('link:up', this.#onLinkUp)
    if (this.#engine === undefined)
      this.#storeTip = (await loadChainState(this.#init.store, this.#init.genesisHash)).tip
    if (this.#mode === 'serve' || !this.#started) return
    this.#client = await this.#newClient()
    const hs = this.#components.handshake
    hs.addEventListener('peer:verified', this.#onVerified)
    hs.addEventListener('peer:gone', this.#onGone)
    for (const peer of hs.peers()) void this.#askStatus(peer.peerId)
    this.#timer = setInterval(this.#pollTips, this.#init.statusEveryMs ?? DEFAULT_STATUS_EVERY_MS)
  }

  async stop(): Promise<void> {
    this.#started = false
    this.#controller.abort()
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
    const hs = this.#components.handshake
    hs.removeEventListener('peer:verified', this.#onVerified)
    hs.removeEventListener('peer:gone', this.#onGone)
    this.#links?.removeEventListener('link:up', this.#onLinkUp)
    this.#queue.length = 0
    this.#peers.clear()
    await this.#components.registrar.unhandle(this.protocol)
    await this.#writes.catch(() => {})
  }

  async #newClient(): Promise<SyncClient> {
    const init = this.#init
    const common = {
      genesisHash: init.genesisHash,
      ...(init.rangeSize === undefined ? {} : { rangeSize: init.rangeSize }),
    }
    if (this.#mode === 'snapshot') {
      for await (const _ of init.store.iterate({ limit: 1 }))
        throw new RangeError('sync: a snapshot is installed only into an empty store')
      const committee = init.committee!
      const registry = Registry.genesis(
        committee.members.map((m) => ({ ...m, collateral: null })),
        init.minVoters ?? MIN_VOTING_MEMBERS.devnet,
        committee.epoch,
        committee.quorum,
      )
      return new SyncClient({
        ...common,
        mode: 'snapshot',
        tip: { height: 0, hash: init.genesisHash },
        registry,
      })
    }
    const engine = this.#engine?.runtime.engine
    const tip = engine?.tip
    if (engine === undefined || tip === undefined)
      throw new RangeError(
        'sync: blocks mode needs an engine that keeps the chain (a chain configuration)',
      )
    return new SyncClient({ ...common, mode: 'blocks', tip, registry: engine.registry })
  }

  // ── serving ──

  readonly #onStream = (stream: Stream, connection: Connection): void => {
    void this.#serve(stream, connection)
  }

  /** One exchange: the dialer's Status or request, answered with our Status, then the answer. */
  async #serve(stream: Stream, connection: Connection): Promise<void> {
    const spec = PROTOCOLS.sync
    const signal = AbortSignal.any([AbortSignal.timeout(spec.timeoutMs), this.#controller.signal])
    try {
      await this.#components.handshake.verified(connection, { signal })
      const lp = lpStream(stream, frameLimits(spec.dialer.maxDataLength))
      const frame = (await lp.read({ signal })).subarray()
      if (this.#init.inbound?.admit(connection.remotePeer, 'sync', frame) === false) {
        stream.abort(new SyncError('SYNC_UNAVAILABLE', 'a sync request over the rate limit'))
        return
      }
      const request = spec.dialer.decode(frame)
      if (request.type === 'Status')
        this.#status(connection.remotePeer, request.height, request.hash)
      const tip = this.#tip()
      const frames = [spec.listener!.encode({ type: 'Status', height: tip.height, hash: tip.hash })]
      if (request.type !== 'Status')
        frames.push(spec.listener!.encode(await this.#answer(request, tip)))
      this.#served++
      await lp.writeV(frames, { signal })
      await stream.close({ signal })
    } catch (error) {
      const t = typed(error, 'serving a sync request')
      if (t.peerAction !== undefined) this.#penalize(connection.remotePeer, t)
      stream.abort(t)
    }
  }

  #tip(): SyncTip {
    return (
      this.#engine?.runtime.engine.tip ??
      this.#storeTip ?? { height: 0, hash: this.#init.genesisHash }
    )
  }

  async #answer(request: SyncRequest, tip: SyncTip): Promise<SyncAnswer> {
    switch (request.type) {
      case 'BlocksByRangeRequest': {
        const { from, count } = request
        if (from < 1 || from > tip.height)
          return unavailable(`no block ${from}: the tip is ${tip.height}`)
        const blocks = await loadCommittedBlocks(
          this.#init.store,
          from,
          Math.min(count, tip.height - from + 1),
        )
        if (blocks.length === 0) return unavailable(`block ${from} is not kept here`)
        return rangeAnswer(this.#withinBytes(blocks))
      }
      case 'SnapshotChunkRequest': {
        const engine = this.#engine?.runtime.engine
        if (engine === undefined) return unavailable('no snapshots without an engine')
        const snapshot = this.#snapshots.at(request.height, this.#clock(), tip, () =>
          ChainSnapshot.of(tip.height, tip.hash, engine.ledger.utxos.entries()),
        )
        const records = snapshot?.chunk(request.index)
        if (snapshot === undefined || records === undefined)
          return unavailable(`no snapshot chunk ${request.index} at ${request.height}`)
        return {
          type: 'SnapshotChunk',
          height: snapshot.height,
          index: request.index,
          total: snapshot.total,
          records,
        }
      }
      default:
        // The dialer's codec admits only Status and the two requests.
        throw new ProtocolError(
          'PROTOCOL_UNEXPECTED_MESSAGE',
          `a ${request.type} as a sync request`,
          PeerAction.LowToleranceError,
        )
    }
  }

  /** The longest prefix of `blocks` within `maxAnswerBytes` (at least the first). */
  #withinBytes(blocks: readonly CertifiedBlock[]): CertifiedBlock[] {
    const budget = this.#init.maxAnswerBytes ?? DEFAULT_MAX_ANSWER_BYTES
    const out: CertifiedBlock[] = []
    let bytes = 0
    for (const b of blocks) {
      bytes +=
        BlockCodec.encode(b.block).length + BlockCertificateCodec.encode(b.certificate).length
      if (bytes > budget && out.length > 0) break
      out.push(b)
    }
    return out
  }

  // ── catching up ──

  readonly #onVerified = (event: CustomEvent<VerifiedPeer>): void => {
    void this.#askStatus(event.detail.peerId)
  }

  readonly #onGone = (event: CustomEvent<VerifiedPeer>): void => {
    const name = event.detail.peerId.toString()
    this.#peers.delete(name)
    this.#event({ type: 'gone', peer: name })
  }

  readonly #pollTips = (): void => {
    for (const peer of this.#components.handshake.peers()) void this.#askStatus(peer.peerId)
  }

  /** Asks `peer` for its tip (a stream carrying our Status alone). */
  async #askStatus(peer: PeerId): Promise<void> {
    try {
      await this.#exchange(peer, { type: 'Status', ...this.#tip() })
    } catch {
      // A tip poll that fails costs nothing: the next poll asks again.
    }
  }

  /**
   * Opens a sync stream to `peer`, sends `message`, and reads the peer's Status (handed to the
   * client) and, for a request, the answer.
   */
  async #exchange(peer: PeerId, message: SyncRequest): Promise<SyncAnswer | undefined> {
    const spec = PROTOCOLS.sync
    const signal = AbortSignal.any([
      AbortSignal.timeout(this.#init.requestTimeoutMs ?? spec.timeoutMs),
      this.#controller.signal,
    ])
    const connection = this.#components.connectionManager
      .getConnections(peer)
      .find((c) => c.status === 'open')
    if (connection === undefined)
      throw new SyncError('SYNC_REQUEST_FAILED', `no open connection to ${peer}`)
    await this.#components.handshake.verified(connection, { signal })
    const stream = await connection.newStream(this.protocol, { signal })
    try {
      // The answer may follow the peer's Status in one write: room for both.
      const limits = frameLimits(spec.listener!.maxDataLength)
      const lp = lpStream(stream, { ...limits, maxBufferSize: limits.maxBufferSize + 64 })
      await lp.write(spec.dialer.encode(message), { signal })
      const status = spec.listener!.decode((await lp.read({ signal })).subarray())
      if (status.type !== 'Status')
        throw new SyncError(
          'SYNC_BAD_ANSWER',
          `a ${status.type} before the Status`,
          PeerAction.LowToleranceError,
        )
      this.#status(peer, status.height, status.hash)
      const answer =
        message.type === 'Status'
          ? undefined
          : spec.listener!.decode((await lp.read({ signal })).subarray())
      await stream.close({ signal })
      return answer
    } catch (error) {
      stream.abort(error instanceof Error ? error : new Error(String(error)))
      throw error
    }
  }

  /** A peer's tip, for the client (the peer is named from now on, within a bound). */
  #status(peer: PeerId, height: number, hash: Uint8Array): void {
    if (this.#client === null) return
    const name = peer.toString()
    if (!this.#peers.has(name) && this.#peers.size >= MAX_NAMED_PEERS) return
    this.#peers.set(name, peer)
    this.#event({ type: 'status', peer: name, height, hash })
  }

  /** Hands an event to the client; events that arrive meanwhile wait their turn. */
  #event(event: SyncEvent): void {
    if (this.#client === null || !this.#started) return
    this.#queue.push(event)
    if (this.#handling) return
    this.#handling = true
    try {
      for (let e = this.#queue.shift(); e !== undefined; e = this.#queue.shift())
        for (const action of this.#client.handle(e)) this.#carryOut(action)
    } finally {
      this.#handling = false
    }
  }

  #carryOut(action: SyncAction): void {
    switch (action.type) {
      case 'requestBlocks':
        return void this.#request(action.peer, {
          type: 'BlocksByRangeRequest',
          from: action.from,
          count: action.count,
        })
      case 'requestChunk':
        return void this.#request(action.peer, {
          type: 'SnapshotChunkRequest',
          height: action.height,
          index: action.index,
        })
      case 'verify':
        return void this.#verify(action.signatures)
      case 'apply':
        return void this.#apply(action.blocks)
      case 'storeChunk': {
        const ops = snapshotRecordOps(action.records)
        this.#chunksStored++
        this.#writes = this.#writes.then(() => this.#init.store.write(ops))
        return
      }
      case 'discardSnapshot':
        this.#writes = this.#writes.then(() => discardSnapshotRecords(this.#init.store))
        return
      case 'install':
        return void this.#install(action.snapshot)
      case 'penalize': {
        const peer = this.#peers.get(action.peer)
        if (peer !== undefined) this.#penalize(peer, action.error)
        return
      }
      case 'progress':
        this.safeDispatchEvent('sync:progress', { detail: action.progress })
        return
      case 'synced':
        this.safeDispatchEvent('sync:synced', { detail: action.tip })
        return
      case 'halted':
        this.safeDispatchEvent('sync:halted', { detail: action.error })
        return
    }
  }

  async #request(name: string, message: SyncRequest): Promise<void> {
    const peer = this.#peers.get(name)
    this.#requests++
    try {
      if (peer === undefined) throw new SyncError('SYNC_REQUEST_FAILED', `${name} is gone`)
      const answer = await this.#exchange(peer, message)
      this.#event({ type: 'answer', peer: name, message: answer! })
    } catch (error) {
      this.#failures++
      this.#event({ type: 'failed', peer: name, error: typed(error, `asking ${name}`) })
    }
  }

  async #verify(bundle: Parameters<typeof assertVerdicts>[0]): Promise<void> {
    let error: TimeCoinError | null = null
    try {
      if (bundle.checks.length > 0)
        assertVerdicts(bundle, await this.#verifier!.verifyMany(bundle.checks))
    } catch (e) {
      if (!(e instanceof TimeCoinError)) throw e
      error = e
    }
    this.#event({ type: 'verified', error })
  }

  /** Hands verified blocks to the engine in order and waits until its tip reaches the last. */
  async #apply(blocks: readonly CertifiedBlock[]): Promise<void> {
    const runtime = this.#engine!.runtime
    const last = blocks.at(-1)!.block.header.height
    for (const { block, certificate } of blocks)
      runtime.deliver(ENGINE_PEER, { type: 'BlockCommit', block, certificate })
    const deadline = performance.now() + (this.#init.requestTimeoutMs ?? PROTOCOLS.sync.timeoutMs)
    while ((runtime.engine.tip?.height ?? 0) < last) {
      if (runtime.stopped || performance.now() > deadline || !this.#started) {
        const why = runtime.stopped ? 'the engine stopped' : 'the engine did not apply them in time'
        return this.#event({
          type: 'notApplied',
          error: new Error(
            `blocks up to ${last} whose certificates verified were not applied: ${why}`,
          ),
        })
      }
      await new Promise((resolve) => setTimeout(resolve, APPLY_POLL_MS))
    }
    this.#blocksApplied += blocks.length
    this.#event({ type: 'applied', height: runtime.engine.tip!.height })
  }

  async #install(snapshot: Parameters<typeof snapshotInstallOps>[0]): Promise<void> {
    const store = this.#init.store
    const write = this.#writes.then(() => store.write(snapshotInstallOps(snapshot), { sync: true }))
    this.#writes = write
    await write
    this.#storeTip = snapshot.tip
    this.#event({ type: 'installed' })
    // Done: the engine opens on this store and follows from here (blocks mode).
    this.#client = null
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
    this.safeDispatchEvent('sync:installed', {
      detail: { tip: snapshot.tip, records: snapshot.records },
    })
  }

  #penalize(peer: PeerId, error: TimeCoinError): void {
    this.#penaltyCount++
    this.#penalties?.penalize({
      peer,
      action: error.peerAction ?? PeerAction.LowToleranceError,
      code: error.code,
      reason: error.message,
    })
    this.safeDispatchEvent('sync:penalized', { detail: { peer, error } })
  }

  // ── mempool and certificates for a member whose link came up ──

  readonly #onLinkUp = (event: CustomEvent<LinkEvent>): void => {
    const engine = this.#engine?.runtime.engine
    const links = this.#links
    const max = this.#init.maxPush ?? DEFAULT_MAX_PUSH
    if (engine === undefined || links === undefined || max === 0) return
    const finalized: Message[] = []
    const pending: Message[] = []
    for (const e of engine.ledger.mempool.entries()) {
      if (finalized.length + pending.length >= max) break
      if (e.status === 'pending') {
        pending.push({ type: 'TransactionBroadcast', tx: e.tx })
        continue
      }
      const bytes = engine.ledger.certificate(e.txid)
      if (bytes === undefined) continue
      try {
        const certificate = FinalityCertificateCodec.decode(bytes)
        finalized.push({ type: 'FinalityCertificate', tx: e.tx, certificate })
      } catch (error) {
        if (!(error instanceof EncodingError)) throw error
      }
    }
    // Certificates first: a member learns what is final (and the locks it settles) before it is
    // asked to vote on anything that might conflict with it.
    for (const m of [...finalized, ...pending]) {
      if (links.send(event.detail.key, PROTOCOLS.consensus.dialer.encode(m), false)) this.#pushed++
    }
  }
}

/** A component the host may not have (libp2p's components throw for a missing one). */
function optional<K extends 'engine' | 'committeeLinks'>(
  components: SyncServiceComponents,
  key: K,
): SyncServiceComponents[K] | undefined {
  try {
    return components[key]
  } catch {
    return undefined
  }
}
