/**
 * The syncing side of the sync protocol (docs/PROTOCOL.md §19.6) as a sans-I/O state machine:
 * events in (peers' tips, answers, failures, verdicts, the engine's progress), actions out (ask a
 * peer, verify signatures, apply blocks, store chunks, install a snapshot, penalize, progress).
 * The driver (src/core/net/sync-service) carries the actions out over libp2p and the engine.
 *
 * Two ways to catch up. **Blocks**: from the node's tip, ranges of blocks from any peer ahead,
 * each checked against the committee of its epoch (the machine replays the registry, committee
 * changes included) and applied through the engine. **Snapshot** (a fresh store): the chain's UTXO
 * set at a certified height H, in chunks, then every block 1 … H checked as above but applied to
 * the registry only — that is how the node learns each epoch's committee and the registry (which
 * the header does not commit to) — and finally the set's LtHash compared with block H's
 * `utxoCommitment`; then the snapshot is installed and blocks follow from H + 1.
 *
 * Invariants: at most one request, one verification or one application is outstanding; the tip
 * and registry move only to a block whose certificate verified (blocks mode: once the engine
 * applied it); a snapshot is installed only when its records' state equals the commitment of a
 * block verified that way; a peer that answered wrongly is penalized and asked no more; progress
 * survives a failed peer (the next request resumes from the tip, the next chunk, at another peer);
 * the peers tracked are bounded (`maxPeers`, the lowest tips dropped first), and so are the
 * refused ones.
 */
import type { Block } from '../consensus/block.ts'
import type { BlockCertificate } from '../consensus/block-certificate.ts'
import type { Committee } from '../consensus/committee.ts'
import type { Registry } from '../consensus/registry.ts'
import { joinBundles, type SignatureBundle } from '../crypto/signature-bundle.ts'
import { equalBytes } from '../encoding/bytes.ts'
import { PeerAction, SyncError, TimeCoinError } from '../errors.ts'
import type { LtHash } from '../ledger/lthash.ts'
import {
  type CertifiedBlock,
  MAX_BLOCKS_PER_RANGE,
  MAX_SNAPSHOT_RECORDS,
  type SnapshotRecord,
  type SyncMessage,
} from '../protocol/sync-messages.ts'
import { checkSyncedBlock, type SyncTip } from './block-check.ts'
import { SnapshotAssembly } from './snapshot.ts'
import type { StagedSnapshot } from './snapshot-store.ts'

export type SyncMode = 'blocks' | 'snapshot'

/** Peers a client keeps track of at once (their tips). */
export const DEFAULT_MAX_SYNC_PEERS = 64
/** Peers a client remembers refusing (penalized: never asked again by this client). */
const MAX_REFUSED = 256
/** Consecutive failures after which a peer is dropped until it reports its tip again. */
const DEFAULT_MAX_FAILURES = 3

export interface SyncClientInit {
  readonly mode: SyncMode
  /** Where the chain stands here: the engine's tip (blocks), or genesis (snapshot). */
  readonly tip: SyncTip
  /** The registry after `tip` (the engine's, or the genesis registry). */
  readonly registry: Registry
  readonly genesisHash: Uint8Array
  /** Blocks asked per range request (1 … 64; default 64). */
  readonly rangeSize?: number
  readonly maxPeers?: number
  readonly maxFailures?: number
  /** Records per snapshot chunk: the protocol's 16,384 (smaller only in unit tests). */
  readonly chunkRecords?: number
  /** Snapshot mode: the install a crash stopped, to go on with (`openSnapshotStage`). */
  readonly resume?: StagedSnapshot
}

export type SyncEvent =
  /** A peer's tip (from the Status that opens every sync exchange). */
  | {
      readonly type: 'status'
      readonly peer: string
      readonly height: number
      readonly hash: Uint8Array
    }
  /** A peer disconnected. */
  | { readonly type: 'gone'; readonly peer: string }
  /** The answer to the outstanding request. */
  | { readonly type: 'answer'; readonly peer: string; readonly message: SyncMessage }
  /** The outstanding request failed (timeout, stream error, undecodable answer). */
  | { readonly type: 'failed'; readonly peer: string; readonly error: TimeCoinError }
  /** The verdict on the signatures of the last `verify` action: null when all hold. */
  | { readonly type: 'verified'; readonly error: TimeCoinError | null }
  /** The engine applied blocks up to `height` (blocks mode). */
  | { readonly type: 'applied'; readonly height: number }
  /** The engine did not apply the blocks of the last `apply` action. */
  | { readonly type: 'notApplied'; readonly error: Error }
  /** The snapshot of the last `install` action is stored. */
  | { readonly type: 'installed' }

export interface SyncProgress {
  readonly phase: 'snapshot' | 'blocks' | 'synced' | 'halted'
  /** The last block applied (blocks) or checked (snapshot). */
  readonly height: number
  /** The highest tip a peer reported (what the node catches up to). */
  readonly target: number
  readonly chunks: number
  readonly totalChunks: number
}

/** What a verified snapshot installs: the chain's state after block `block.header.height`. */
export interface SnapshotInstall {
  readonly block: Block
  readonly certificate: BlockCertificate
  readonly tip: SyncTip
  readonly registry: Registry
  /** The LtHash state of the records (the chain's UTXO set, and the node's live set). */
  readonly utxos: LtHash
  readonly records: number
  /** The committee-changing blocks on the way, each with the committee it began. */
  readonly committeeSteps: readonly {
    readonly block: Block
    readonly certificate: BlockCertificate
    readonly committee: Committee
  }[]
}

export type SyncAction =
  | {
      readonly type: 'requestBlocks'
      readonly peer: string
      readonly from: number
      readonly count: number
    }
  | {
      readonly type: 'requestChunk'
      readonly peer: string
      readonly height: number
      readonly index: number
    }
  /** Verify these signatures and answer with a `verified` event. */
  | { readonly type: 'verify'; readonly signatures: SignatureBundle }
  /** Hand these blocks to the engine in order and answer `applied` or `notApplied`. */
  | { readonly type: 'apply'; readonly blocks: readonly CertifiedBlock[] }
  /**
   * Store these snapshot records with the marker of `staged` in one batch (the store is fresh, or
   * holds this snapshot's earlier chunks; they become the UTXO set on install).
   */
  | {
      readonly type: 'storeChunk'
      readonly records: readonly SnapshotRecord[]
      readonly staged: StagedSnapshot
    }
  /** Delete the snapshot records stored so far (the set did not match its commitment). */
  | { readonly type: 'discardSnapshot' }
  /** Write the snapshot's chain state (tip, registry, state, block, steps) and answer `installed`. */
  | { readonly type: 'install'; readonly snapshot: SnapshotInstall }
  | { readonly type: 'penalize'; readonly peer: string; readonly error: TimeCoinError }
  | { readonly type: 'progress'; readonly progress: SyncProgress }
  /** Caught up with every peer known (ask their tips again later to follow). */
  | { readonly type: 'synced'; readonly tip: SyncTip }
  /** The engine refused blocks whose certificates verified: our own state is wrong; stopped. */
  | { readonly type: 'halted'; readonly error: Error }

interface PeerState {
  height: number
  hash: Uint8Array
  failures: number
  /** It had none of the blocks from this height down (a snapshot-synced peer lacks history). */
  lacksUpTo: number
}

type Request =
  | {
      readonly kind: 'blocks'
      readonly peer: string
      readonly from: number
      readonly count: number
    }
  | {
      readonly kind: 'chunk'
      readonly peer: string
      readonly height: number
      readonly index: number
    }

/** Blocks checked, waiting for their signatures' verdict (then, in blocks mode, the engine). */
interface Checked {
  readonly peer: string
  readonly blocks: readonly CertifiedBlock[]
  readonly tip: SyncTip
  readonly registry: Registry
  readonly steps: SnapshotInstall['committeeSteps']
}

export class SyncClient {
  readonly #init: SyncClientInit
  readonly #rangeSize: number
  readonly #maxPeers: number
  readonly #maxFailures: number
  readonly #peers = new Map<string, PeerState>()
  readonly #refused = new Set<string>()
  #mode: SyncMode
  #tip: SyncTip
  #registry: Registry
  #request: Request | null = null
  #checked: Checked | null = null
  /** Verified blocks handed to the engine, waiting for it to reach this height. */
  #applying: Checked | null = null
  #installing = false
  #halted = false
  #synced = false
  /** Snapshot mode: the snapshot being fetched, and what it will be checked against. */
  #snapshot: SnapshotAssembly | null = null
  #lastBlock: CertifiedBlock | null = null
  #steps: SnapshotInstall['committeeSteps'] = []
  #out: SyncAction[] = []

  constructor(init: SyncClientInit) {
    const rangeSize = init.rangeSize ?? MAX_BLOCKS_PER_RANGE
    if (!Number.isSafeInteger(rangeSize) || rangeSize < 1 || rangeSize > MAX_BLOCKS_PER_RANGE)
      throw new RangeError(`rangeSize must be 1 … ${MAX_BLOCKS_PER_RANGE}, got ${rangeSize}`)
    this.#init = init
    this.#rangeSize = rangeSize
    this.#maxPeers = init.maxPeers ?? DEFAULT_MAX_SYNC_PEERS
    this.#maxFailures = init.maxFailures ?? DEFAULT_MAX_FAILURES
    this.#mode = init.mode
    this.#tip = init.tip
    this.#registry = init.registry
    if (init.mode === 'snapshot' && init.resume !== undefined)
      this.#snapshot = SnapshotAssembly.resume(init.resume, init.chunkRecords)
  }

  get tip(): SyncTip {
    return this.#tip
  }

  get mode(): SyncMode {
    return this.#mode
  }

  get halted(): boolean {
    return this.#halted
  }

  /** Peers tracked (≤ maxPeers) and refused (≤ 256). */
  sizes(): { readonly peers: number; readonly refused: number } {
    return { peers: this.#peers.size, refused: this.#refused.size }
  }

  progress(): SyncProgress {
    const target = Math.max(this.#tip.height, ...[...this.#peers.values()].map((p) => p.height))
    const s = this.#snapshot
    return {
      phase: this.#halted
        ? 'halted'
        : this.#synced
          ? 'synced'
          : this.#mode === 'snapshot'
            ? 'snapshot'
            : 'blocks',
      height: this.#tip.height,
      target: s === null ? target : Math.max(target, s.height),
      chunks: s?.next ?? 0,
      totalChunks: s?.total ?? 0,
    }
  }

  /** Handles one event; returns the actions to carry out, in order. */
  handle(event: SyncEvent): SyncAction[] {
    this.#out = []
    if (!this.#halted) {
      this.#on(event)
      this.#advance()
    }
    return this.#out
  }

  #on(e: SyncEvent): void {
    switch (e.type) {
      case 'status':
        return this.#status(e.peer, e.height, e.hash)
      case 'gone':
        this.#peers.delete(e.peer)
        if (this.#request?.peer === e.peer) this.#request = null
        return
      case 'answer':
        return this.#answer(e.peer, e.message)
      case 'failed': {
        const request = this.#request?.peer === e.peer ? this.#request : null
        return this.#failed(e.peer, e.error, request)
      }
      case 'verified':
        return this.#verified(e.error)
      case 'applied':
        return this.#applied(e.height)
      case 'notApplied':
        this.#applying = null
        return this.#halt(e.error)
      case 'installed':
        this.#installing = false
        this.#mode = 'blocks'
        this.#snapshot = null
        return
    }
  }

  #status(peer: string, height: number, hash: Uint8Array): void {
    if (this.#refused.has(peer)) return
    const known = this.#peers.get(peer)
    if (known !== undefined) {
      known.height = height
      known.hash = hash
      known.failures = 0
      return
    }
    this.#peers.set(peer, { height, hash, failures: 0, lacksUpTo: -1 })
    if (this.#peers.size <= this.#maxPeers) return
    // Full: drop the lowest tip that is not being asked (a higher one is worth more).
    let lowest: [string, PeerState] | undefined
    for (const entry of this.#peers)
      if (
        entry[0] !== this.#request?.peer &&
        (lowest === undefined || entry[1].height < lowest[1].height)
      )
        lowest = entry
    if (lowest !== undefined) this.#peers.delete(lowest[0])
  }

  #answer(peer: string, m: SyncMessage): void {
    const request = this.#request
    if (request === null || request.peer !== peer) return
    this.#request = null
    if (m.type === 'SyncError') {
      // It cannot serve this (a snapshot it no longer keeps, blocks it lacks): ask someone else.
      const error = new SyncError('SYNC_UNAVAILABLE', `${m.error.code}: ${m.error.message}`)
      return this.#failed(peer, error, request)
    }
    if (request.kind === 'blocks' && m.type === 'BlocksByRangeAnswer')
      return this.#blocks(request, m.blocks)
    if (request.kind === 'chunk' && m.type === 'SnapshotChunk') return this.#chunk(request, m)
    this.#reject(
      peer,
      new SyncError(
        'SYNC_BAD_ANSWER',
        `a ${m.type} for a ${request.kind} request`,
        PeerAction.LowToleranceError,
      ),
    )
  }

  #blocks(request: Extract<Request, { kind: 'blocks' }>, blocks: readonly CertifiedBlock[]): void {
    const peer = request.peer
    if (blocks.length === 0) {
      // None of them there (a peer synced from a snapshot has no history below it).
      const p = this.#peers.get(peer)
      if (p !== undefined) p.lacksUpTo = Math.max(p.lacksUpTo, request.from)
      return
    }
    if (blocks.length > request.count)
      return this.#reject(
        peer,
        badAnswer(`${blocks.length} blocks for a range of ${request.count}`),
      )
    let tip = this.#tip
    let registry = this.#registry
    const checks: SignatureBundle[] = []
    const steps: SnapshotInstall['committeeSteps'][number][] = []
    try {
      for (const served of blocks) {
        if (served.block.header.height !== tip.height + 1)
          throw badAnswer(`block ${served.block.header.height} where ${tip.height + 1} was due`)
        const checked = checkSyncedBlock(served, tip, registry, this.#init.genesisHash)
        checks.push(checked.signatures)
        if (checked.registry.epoch !== registry.epoch)
          steps.push({
            block: served.block,
            certificate: served.certificate,
            committee: checked.registry.committee,
          })
        tip = checked.tip
        registry = checked.registry
      }
    } catch (e) {
      if (!(e instanceof TimeCoinError)) throw e
      return this.#reject(peer, e)
    }
    this.#checked = { peer, blocks, tip, registry, steps }
    this.#out.push({ type: 'verify', signatures: joinBundles(checks) })
  }

  #verified(error: TimeCoinError | null): void {
    const checked = this.#checked
    if (checked === null) return
    this.#checked = null
    if (error !== null) return this.#reject(checked.peer, error)
    const p = this.#peers.get(checked.peer)
    if (p !== undefined) p.failures = 0
    if (this.#mode === 'blocks') {
      this.#applying = checked
      this.#out.push({ type: 'apply', blocks: checked.blocks })
      return
    }
    this.#adopt(checked)
  }

  #applied(height: number): void {
    const applying = this.#applying
    if (applying === null || height < applying.tip.height) return
    this.#applying = null
    this.#adopt(applying)
  }

  #adopt(checked: Checked): void {
    this.#tip = checked.tip
    this.#registry = checked.registry
    this.#lastBlock = checked.blocks.at(-1)!
    if (this.#mode === 'snapshot') this.#steps = [...this.#steps, ...checked.steps]
    this.#out.push({ type: 'progress', progress: this.progress() })
  }

  #chunk(
    request: Extract<Request, { kind: 'chunk' }>,
    chunk: Extract<SyncMessage, { type: 'SnapshotChunk' }>,
  ): void {
    const s = this.#snapshot
    if (s === null || s.height !== request.height) return
    let records: readonly SnapshotRecord[]
    try {
      if (chunk.index !== request.index)
        throw badAnswer(`chunk ${chunk.index}, asked for ${request.index}`)
      records = s.accept(request.peer, chunk)
    } catch (e) {
      if (!(e instanceof TimeCoinError)) throw e
      return this.#reject(request.peer, e)
    }
    const p = this.#peers.get(request.peer)
    if (p !== undefined) p.failures = 0
    this.#out.push({ type: 'storeChunk', records, staged: s.staged })
    this.#out.push({ type: 'progress', progress: this.progress() })
  }

  #failed(peer: string, error: TimeCoinError, request: Request | null): void {
    if (this.#request?.peer === peer) this.#request = null
    if (error.peerAction !== undefined) return this.#reject(peer, error)
    if (request?.kind === 'chunk' && error.code === 'SYNC_UNAVAILABLE') {
      // The snapshot is no longer kept there (its tip moved on long ago): start over at a
      // height peers serve now. Blocks already checked stay checked.
      this.#discardSnapshot()
    }
    const p = this.#peers.get(peer)
    if (p === undefined) return
    p.failures++
    // Unavailable: its tip moved on; wait for its next Status before asking it again.
    if (p.failures >= this.#maxFailures || error.code === 'SYNC_UNAVAILABLE')
      this.#peers.delete(peer)
  }

  #discardSnapshot(): void {
    if (this.#snapshot === null) return
    this.#snapshot = null
    this.#out.push({ type: 'discardSnapshot' })
  }

  /** `peer` answered wrongly: penalized, forgotten, never asked again by this client. */
  #reject(peer: string, error: TimeCoinError): void {
    if (this.#request?.peer === peer) this.#request = null
    if (this.#checked?.peer === peer) this.#checked = null
    this.#peers.delete(peer)
    this.#refused.add(peer)
    if (this.#refused.size > MAX_REFUSED) this.#refused.delete(this.#refused.values().next().value!)
    this.#out.push({ type: 'penalize', peer, error })
  }

  #halt(error: Error): void {
    this.#halted = true
    this.#request = null
    this.#out.push({ type: 'halted', error })
    this.#out.push({ type: 'progress', progress: this.progress() })
  }

  // ── what next ──

  /** Starts the next request, check or install when nothing is outstanding. */
  #advance(): void {
    if (this.#halted || this.#request !== null || this.#checked !== null) return
    if (this.#applying !== null || this.#installing) return
    if (this.#mode === 'snapshot') return this.#advanceSnapshot()
    const from = this.#tip.height + 1
    const peer = this.#pick((p) => p.height >= from && p.lacksUpTo < from)
    if (peer === undefined) return this.#caughtUp()
    this.#synced = false
    const target = this.#peers.get(peer)!.height
    this.#ask({ kind: 'blocks', peer, from, count: Math.min(this.#rangeSize, target - from + 1) })
  }

  #advanceSnapshot(): void {
    let s = this.#snapshot
    if (s === null) {
      const best = this.#pick((p) => p.height > this.#tip.height)
      // No one is ahead of us: there is nothing to fetch (yet).
      if (best === undefined) return this.#caughtUp()
      s = new SnapshotAssembly(
        this.#peers.get(best)!.height,
        this.#init.chunkRecords ?? MAX_SNAPSHOT_RECORDS,
      )
      this.#snapshot = s
    }
    if (!s.complete) {
      // Chunks first: that pins the snapshot at the peers serving it while blocks are replayed.
      const height = s.height
      const peer = this.#pick((p) => p.height === height) ?? this.#pick((p) => p.height > height)
      if (peer === undefined) return
      return this.#ask({ kind: 'chunk', peer, height, index: s.next })
    }
    if (this.#tip.height < s.height) {
      const from = this.#tip.height + 1
      const peer = this.#pick((p) => p.height >= from && p.lacksUpTo < from)
      if (peer === undefined) return
      return this.#ask({
        kind: 'blocks',
        peer,
        from,
        count: Math.min(this.#rangeSize, s.height - from + 1),
      })
    }
    this.#finishSnapshot(s)
  }

  /** Every chunk and every block up to the snapshot's height checked: compare and install. */
  #finishSnapshot(s: SnapshotAssembly): void {
    const last = this.#lastBlock
    const state = s.state
    if (last !== null && equalBytes(state.digest(), last.block.header.utxoCommitment)) {
      this.#installing = true
      this.#out.push({
        type: 'install',
        snapshot: {
          block: last.block,
          certificate: last.certificate,
          tip: this.#tip,
          registry: this.#registry,
          utxos: state,
          records: s.count,
          committeeSteps: this.#steps,
        },
      })
      return
    }
    // The set is not the one the certified header commits to. One source is to blame; several
    // cannot be told apart (each chunk looked right): fetch it again, from one peer this time.
    const error = new SyncError(
      'SYNC_SNAPSHOT_MISMATCH',
      `the ${s.count} outputs at ${s.height} do not hash to block ${s.height}'s utxoCommitment`,
      PeerAction.LowToleranceError,
    )
    if (s.sources.size === 1) this.#reject([...s.sources][0]!, error)
    this.#discardSnapshot()
  }

  #caughtUp(): void {
    if (this.#synced || this.#peers.size === 0) return
    this.#synced = true
    this.#out.push({ type: 'synced', tip: this.#tip })
    this.#out.push({ type: 'progress', progress: this.progress() })
  }

  #ask(request: Request): void {
    this.#request = request
    this.#out.push(
      request.kind === 'blocks'
        ? { type: 'requestBlocks', peer: request.peer, from: request.from, count: request.count }
        : {
            type: 'requestChunk',
            peer: request.peer,
            height: request.height,
            index: request.index,
          },
    )
  }

  /** The peer to ask among those `fits`: fewest failures, then highest tip, then name. */
  #pick(fits: (p: PeerState) => boolean): string | undefined {
    let best: [string, PeerState] | undefined
    for (const entry of this.#peers) {
      const [name, p] = entry
      if (!fits(p)) continue
      if (
        best === undefined ||
        p.failures < best[1].failures ||
        (p.failures === best[1].failures &&
          (p.height > best[1].height || (p.height === best[1].height && name < best[0])))
      )
        best = entry
    }
    return best?.[0]
  }
}

function badAnswer(message: string): SyncError {
  return new SyncError('SYNC_BAD_ANSWER', message, PeerAction.LowToleranceError)
}
