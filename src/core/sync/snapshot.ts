/**
 * UTXO snapshots (docs/PROTOCOL.md §19.6): the chain's UTXO set after a certified block, in outpoint
 * order, cut into chunks of `MAX_SNAPSHOT_RECORDS` outputs. `ChainSnapshot` is what a serving node
 * takes of its own ledger at its tip; `SnapshotCache` keeps a few of them for a while so a client
 * fetching chunk after chunk sees one consistent set while the chain moves on; `SnapshotAssembly`
 * is the syncing side, which checks each chunk as it comes and sums the set's LtHash state (at most
 * `MAX_SNAPSHOT_CHUNKS` chunks: only the whole set can be checked, so that bounds what a lying
 * peer can make the node write before it is found out).
 *
 * Invariants: a snapshot's records are exactly the chain's UTXO set at its height (taken in one
 * synchronous pass over the ledger, between two engine events) and never change; the cache holds
 * at most `maxSnapshots`, each dropped `keepMs` after its last use; an assembly accepts chunk
 * `next` only, of its height, with the total of the first, records strictly in outpoint order
 * across chunks, every chunk but the last full, and no record created above its height — so once
 * complete, its state is that of exactly the records it passed on.
 */
import { PeerAction, SyncError } from '../errors.ts'
import { type ChainUtxo, chainUtxoState, chainUtxos } from '../ledger/chain-utxos.ts'
import { LtHash } from '../ledger/lthash.ts'
import type { UtxoEntry } from '../ledger/utxo-state.ts'
import { compareOutPoints, type OutPoint } from '../primitives/outpoint.ts'
import { MAX_SNAPSHOT_RECORDS, type SnapshotRecord } from '../protocol/sync-messages.ts'
import type { StagedSnapshot } from './snapshot-store.ts'

/** The chain's UTXO set after block `height` (hash `hash`), in outpoint order. */
export class ChainSnapshot {
  readonly height: number
  readonly hash: Uint8Array
  readonly records: readonly ChainUtxo[]
  readonly #chunkRecords: number

  constructor(
    height: number,
    hash: Uint8Array,
    records: readonly ChainUtxo[],
    chunkRecords = MAX_SNAPSHOT_RECORDS,
  ) {
    this.height = height
    this.hash = hash
    this.records = records
    this.#chunkRecords = chunkRecords
  }

  /** The snapshot of a ledger's entries (their chain's UTXO set) after the tip `height`/`hash`. */
  static of(
    height: number,
    hash: Uint8Array,
    entries: Iterable<UtxoEntry>,
    chunkRecords = MAX_SNAPSHOT_RECORDS,
  ): ChainSnapshot {
    return new ChainSnapshot(height, hash, chainUtxos(entries), chunkRecords)
  }

  /** Chunks in the snapshot: at least one (an empty set is one empty chunk). */
  get total(): number {
    return Math.max(1, Math.ceil(this.records.length / this.#chunkRecords))
  }

  /** Records `index · size … (index + 1) · size − 1`; undefined past the last chunk. */
  chunk(index: number): readonly SnapshotRecord[] | undefined {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.total) return undefined
    return this.records.slice(index * this.#chunkRecords, (index + 1) * this.#chunkRecords)
  }
}

/** Snapshots a node serves, by height: a few at once, each kept a while after its last use. */
export class SnapshotCache {
  readonly #maxSnapshots: number
  readonly #keepMs: number
  /** height → snapshot and when it was last used (ms); at most `maxSnapshots`. */
  readonly #byHeight = new Map<number, { snapshot: ChainSnapshot; usedAt: number }>()

  constructor(maxSnapshots: number, keepMs: number) {
    if (!Number.isSafeInteger(maxSnapshots) || maxSnapshots < 1)
      throw new RangeError(`maxSnapshots must be a whole number ≥ 1, got ${maxSnapshots}`)
    this.#maxSnapshots = maxSnapshots
    this.#keepMs = keepMs
  }

  get size(): number {
    return this.#byHeight.size
  }

  /**
   * The snapshot at `height`: a kept one, else — when `height` is the tip — `take()` of the tip
   * (kept from now on, the least recently used one dropped past the bound); undefined otherwise.
   */
  at(
    height: number,
    now: number,
    tip: { readonly height: number },
    take: () => ChainSnapshot,
  ): ChainSnapshot | undefined {
    for (const [h, kept] of this.#byHeight)
      if (now - kept.usedAt > this.#keepMs) this.#byHeight.delete(h)
    const kept = this.#byHeight.get(height)
    if (kept !== undefined) {
      kept.usedAt = now
      // Most recently used last, so the first entry is the one to drop.
      this.#byHeight.delete(height)
      this.#byHeight.set(height, kept)
      return kept.snapshot
    }
    if (height !== tip.height) return undefined
    const snapshot = take()
    this.#byHeight.set(height, { snapshot, usedAt: now })
    while (this.#byHeight.size > this.#maxSnapshots)
      this.#byHeight.delete(this.#byHeight.keys().next().value!)
    return snapshot
  }
}

/**
 * Chunks a snapshot may have: 65,536 × 16,384 ≈ 1.07 billion outputs (~70 GB of records). Only
 * the whole set can be checked against its commitment, so this bounds what a lying peer can make
 * a syncing node write before it is found out.
 */
export const MAX_SNAPSHOT_CHUNKS = 65_536

function badChunk(message: string): SyncError {
  return new SyncError('SYNC_BAD_ANSWER', message, PeerAction.LowToleranceError)
}

/** A snapshot being fetched chunk by chunk (from one peer or several: chunks fit together). */
export class SnapshotAssembly {
  readonly height: number
  /** Chunks the snapshot has, from its first chunk on. */
  total: number | undefined
  /** The next chunk to fetch. */
  next = 0
  /** Records accepted so far. */
  count = 0
  /** Peers that served chunks of it (by name; at most its number of chunks). */
  readonly sources = new Set<string>()
  readonly #state: LtHash
  readonly #chunkRecords: number
  #last: OutPoint | undefined

  constructor(height: number, chunkRecords = MAX_SNAPSHOT_RECORDS, state = new LtHash()) {
    this.height = height
    this.#chunkRecords = chunkRecords
    this.#state = state
  }

  /**
   * The assembly of a snapshot whose install stopped (a crash) after `staged.next` chunks: it
   * goes on from the next chunk, with the records' state and order as they were (its sources are
   * not known: a mismatch then blames no one).
   */
  static resume(staged: StagedSnapshot, chunkRecords = MAX_SNAPSHOT_RECORDS): SnapshotAssembly {
    const a = new SnapshotAssembly(staged.height, chunkRecords, staged.state.clone())
    a.total = staged.total
    a.next = staged.next
    a.count = staged.count
    a.#last = staged.last
    return a
  }

  /** What is stored so far, for the store's marker (after a chunk was accepted). */
  get staged(): StagedSnapshot {
    return {
      height: this.height,
      total: this.total ?? 0,
      next: this.next,
      count: this.count,
      last: this.#last,
      state: this.#state.clone(),
    }
  }

  get complete(): boolean {
    return this.total !== undefined && this.next === this.total
  }

  /** The LtHash state of the records accepted so far (a copy). */
  get state(): LtHash {
    return this.#state.clone()
  }

  /**
   * Checks chunk `index` of `total` from `peer` and accepts its records (returned, to store);
   * throws `SYNC_BAD_ANSWER` (low tolerance) for a chunk that is not the next one of this snapshot.
   */
  accept(
    peer: string,
    chunk: {
      readonly height: number
      readonly index: number
      readonly total: number
      readonly records: readonly SnapshotRecord[]
    },
  ): readonly SnapshotRecord[] {
    if (chunk.height !== this.height || chunk.index !== this.next)
      throw badChunk(
        `chunk ${chunk.index} at ${chunk.height}, asked for ${this.next} at ${this.height}`,
      )
    if (
      chunk.total < 1 ||
      chunk.total > MAX_SNAPSHOT_CHUNKS ||
      (this.total !== undefined && chunk.total !== this.total)
    )
      throw badChunk(`a snapshot of ${chunk.total} chunks, ${this.total ?? 'none'} before`)
    const last = chunk.index === chunk.total - 1
    const n = chunk.records.length
    if (
      n > this.#chunkRecords ||
      (!last && n !== this.#chunkRecords) ||
      (last && n === 0 && chunk.total > 1)
    )
      throw badChunk(`chunk ${chunk.index} of ${chunk.total} holds ${n} outputs`)
    let previous = this.#last
    for (const r of chunk.records) {
      if (previous !== undefined && compareOutPoints(previous, r.outpoint) >= 0)
        throw badChunk('outputs out of outpoint order')
      if (r.height > this.height)
        throw badChunk(`an output created at ${r.height}, after the snapshot's block`)
      previous = r.outpoint
    }
    chainUtxoState(chunk.records, this.#state)
    this.#last = previous
    this.total = chunk.total
    this.count += n
    this.next++
    this.sources.add(peer)
    return chunk.records
  }
}
