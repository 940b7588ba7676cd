/**
 * The sync protocol as a libp2p service (docs/PROTOCOL.md §19.6, docs/ARCHITECTURE.md §7 "Sync").
 * It serves (sync-server.ts), and it catches up:
 *  - **catching up**: it drives the core's `SyncClient` — asks peers' tips, carries out its
 *    requests with a timeout each (sync-wire.ts), verifies certificate signatures through the
 *    engine's batching verifier, hands verified blocks to the engine (`blocks` mode) or writes a
 *    verified snapshot into its store (`snapshot` mode, snapshot-writer.ts: chunk by chunk with a
 *    marker of how far it got, then one switch-over batch; an install a crash stopped is resumed
 *    where it stopped, or discarded), penalizes what the client refuses, and reports progress as
 *    events; once caught up it keeps asking tips every `statusEveryMs` and follows;
 *  - **on a committee link coming up** it sends that member this node's final, unconfirmed
 *    transactions with their certificates, then its pending ones (mempool-push.ts), so a member
 *    that restarted learns the locks the others hold.
 *
 * Invariants: every request has a deadline; the events the client sees are handled one at a time,
 * in order; the maps it keeps (peers by name, snapshots) are bounded; a snapshot is written only
 * into a store that was empty or held only a snapshot being installed (`openSnapshotStage`).
 */
import type { Connection, PeerId, Startable, Stream } from '@libp2p/interface'
import { TypedEventEmitter } from '@libp2p/interface'
import { MIN_VOTING_MEMBERS } from '../../consensus/committee.ts'
import { Registry } from '../../consensus/registry.ts'
import { ed25519 } from '../../crypto/ed25519.ts'
import { assertVerdicts } from '../../crypto/signature-bundle.ts'
import { type BatchVerifier, createBatchVerifier } from '../../crypto/verify-queue.ts'
import { loadChainState } from '../../engine/chain-store.ts'
import { PeerAction, SyncError, TimeCoinError } from '../../errors.ts'
import { PROTOCOLS, protocolIdOf } from '../../protocol/protocols.ts'
import type { CertifiedBlock } from '../../protocol/sync-messages.ts'
import type { SyncTip } from '../../sync/block-check.ts'
import { SnapshotCache } from '../../sync/snapshot.ts'
import { openSnapshotStage } from '../../sync/snapshot-store.ts'
import {
  DEFAULT_MAX_SYNC_PEERS,
  type SnapshotInstall,
  type SyncAction,
  SyncClient,
  type SyncEvent,
  type SyncProgress,
} from '../../sync/sync-client.ts'
import type { LinkEvent } from '../committee-links/types.ts'
import { FatalBans, type PenaltySink } from '../engine-service/penalties.ts'
import { BanList } from '../handshake/ban-list.ts'
import type { VerifiedPeer } from '../handshake/verified-peers.ts'
import {
  APPLY_POLL_MS,
  DEFAULT_MAX_PUSH,
  DEFAULT_MAX_SNAPSHOTS,
  DEFAULT_SNAPSHOT_KEEP_MS,
  DEFAULT_STATUS_EVERY_MS,
  MAX_INBOUND_SYNC_STREAMS,
} from './constants.ts'
import { mempoolPush } from './mempool-push.ts'
import { SnapshotWriter } from './snapshot-writer.ts'
import { SyncServer } from './sync-server.ts'
import type {
  SyncServiceComponents,
  SyncServiceEvents,
  SyncServiceInit,
  SyncServiceMode,
  SyncServiceStats,
} from './sync-types.ts'
import { type ExchangeParts, exchange, type SyncRequest, typed } from './sync-wire.ts'

/** The engine's name for the blocks this service hands it (penalties for them go nowhere). */
const ENGINE_PEER = 'sync:local'
/** Peers the service names for its client at most (more than the client tracks: some leave). */
const MAX_NAMED_PEERS = 4 * DEFAULT_MAX_SYNC_PEERS

export class SyncService extends TypedEventEmitter<SyncServiceEvents> implements Startable {
  readonly [Symbol.toStringTag] = '@timecoin/sync'
  readonly protocol: string
  readonly #components: SyncServiceComponents
  readonly #init: SyncServiceInit
  readonly #mode: SyncServiceMode
  readonly #snapshots: SnapshotCache
  readonly #server: SyncServer
  readonly #exchangeParts: ExchangeParts
  /** Store writes of the snapshot, in order (chunks with their marker, discards, the install). */
  readonly #snapshotWrites: SnapshotWriter
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
  #storeTip: SyncTip | undefined
  #timer: ReturnType<typeof setInterval> | undefined
  #started = false
  readonly #controller = new AbortController()
  #requests = 0
  #failures = 0
  #penaltyCount = 0
  #blocksApplied = 0
  #pushed = 0
  #resumedAt = 0

  constructor(components: SyncServiceComponents, init: SyncServiceInit) {
    super()
    this.#components = components
    this.#init = init
    this.#mode = init.mode ?? 'blocks'
    this.#snapshots = new SnapshotCache(
      init.maxSnapshots ?? DEFAULT_MAX_SNAPSHOTS,
      init.snapshotKeepMs ?? DEFAULT_SNAPSHOT_KEEP_MS,
    )
    this.protocol = protocolIdOf(init.network, 'sync')
    this.#snapshotWrites = new SnapshotWriter(init.store)
    const signal = this.#controller.signal
    const onStatus = (peer: PeerId, height: number, hash: Uint8Array) =>
      this.#status(peer, height, hash)
    this.#server = new SyncServer({
      store: init.store,
      handshake: components.handshake,
      snapshots: this.#snapshots,
      clock: init.clock ?? Date.now,
      inbound: init.inbound,
      maxAnswerBytes: init.maxAnswerBytes,
      signal,
      tip: () => this.#tip(),
      engine: () => this.#engine,
      onStatus,
      penalize: (peer, error) => this.#penalize(peer, error),
    })
    this.#exchangeParts = {
      protocol: this.protocol,
      connectionManager: components.connectionManager,
      handshake: components.handshake,
      signal,
      timeoutMs: init.requestTimeoutMs ?? PROTOCOLS.sync.timeoutMs,
      onStatus,
    }
    if (this.#mode === 'snapshot' && init.committee === undefined)
      throw new RangeError('sync: snapshot mode needs the genesis committee')
  }

  /** Where the sync stands; null in `serve` mode or before start. */
  progress(): SyncProgress | null {
    return this.#client?.progress() ?? null
  }

  stats(): SyncServiceStats {
    return {
      served: this.#server.served,
      requests: this.#requests,
      failures: this.#failures,
      penalties: this.#penaltyCount,
      blocksApplied: this.#blocksApplied,
      chunksStored: this.#snapshotWrites.chunks,
      resumedAt: this.#resumedAt,
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
    await this.#snapshotWrites.settled()
  }

  async #newClient(): Promise<SyncClient> {
    const init = this.#init
    const common = {
      genesisHash: init.genesisHash,
      ...(init.rangeSize === undefined ? {} : { rangeSize: init.rangeSize }),
    }
    if (this.#mode === 'snapshot') {
      // An install a crash stopped goes on where it stopped (or, if its marker cannot be read,
      // is discarded first); anything else in the store is no place for a snapshot.
      const stage = await openSnapshotStage(init.store, { resume: true })
      if (stage.kind === 'other')
        throw new RangeError('sync: a snapshot is installed only into an empty store')
      const resume = stage.kind === 'staged' ? stage.progress : undefined
      this.#resumedAt = resume?.next ?? 0
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
        ...(resume === undefined ? {} : { resume }),
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
    void this.#server.serve(stream, connection)
  }

  #tip(): SyncTip {
    return (
      this.#engine?.runtime.engine.tip ??
      this.#storeTip ?? { height: 0, hash: this.#init.genesisHash }
    )
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
      await exchange(this.#exchangeParts, peer, { type: 'Status', ...this.#tip() })
    } catch {
      // A tip poll that fails costs nothing: the next poll asks again.
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
        this.#snapshotWrites.storeChunk(action.records, action.staged)
        return
      }
      case 'discardSnapshot':
        this.#snapshotWrites.discard()
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
      const answer = await exchange(this.#exchangeParts, peer, message)
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

  async #install(snapshot: SnapshotInstall): Promise<void> {
    await this.#snapshotWrites.install(snapshot)
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
    for (const m of mempoolPush(engine, max))
      if (links.send(event.detail.key, PROTOCOLS.consensus.dialer.encode(m), false)) this.#pushed++
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
