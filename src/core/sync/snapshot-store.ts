/**
 * How a verified UTXO snapshot becomes a store the engine opens (docs/STORAGE.md, "A snapshot
 * being installed"), crash-safe and resumable: each chunk's records go in as `utxo` entries
 * (Unspent, with the height that created them) in one batch with the nodeMeta `snapshotStage`
 * marker, which says how far the install got (the snapshot's height, its chunks, the next one, the
 * records so far, the last outpoint and the LtHash state of those records); the switch-over is one
 * durable batch with everything else a node keeps after a block — store version, tip, registry,
 * the chain's UTXO-set state (also the live set's: nothing is only final in a fresh store), the
 * snapshot's block with its certificate, the committee proof steps met on the way — which deletes
 * the marker. A discard first marks the marker `discarding`, then deletes the records in batches,
 * then the marker.
 *
 * Invariants: the records go only into a store that held nothing, or held only a snapshot being
 * installed (`openSnapshotStage` tells); the marker and the records it counts are written in one
 * atomic batch, so after a crash they agree; until the install batch the store has no version
 * record, so an engine refuses to open a half-installed snapshot (STORE_VERSION_MISSING) instead of
 * running on it; the install batch is atomic; a marker that does not decode, or says
 * `discarding`, is never resumed — the records are deleted, the marker last.
 */
import { registryOp } from '../consensus/registry-codec.ts'
import { chainUtxosOp, committedBlockOp, committeeStepOp, tipOp } from '../engine/chain-store.ts'
import { LtHash } from '../ledger/lthash.ts'
import { encodeUtxoRecord, UTXO_COMMITMENT_KEY, utxoKey } from '../ledger/utxo-codec.ts'
import type { OutPoint } from '../primitives/outpoint.ts'
import type { Txid } from '../primitives/txid.ts'
import type { SnapshotRecord } from '../protocol/sync-messages.ts'
import { Bucket } from '../storage/keys.ts'
import { MetaKey } from '../storage/meta-keys.ts'
import type { BatchOp, Store } from '../storage/store.ts'
import { storeVersionOp } from '../storage/store-version.ts'
import type { SnapshotInstall } from './sync-client.ts'

/** How far the install of a snapshot got: what `SnapshotAssembly.resume` restarts from. */
export interface StagedSnapshot {
  /** The height of the snapshot's block. */
  readonly height: number
  /** Its chunks (from its first chunk on). */
  readonly total: number
  /** The next chunk to fetch (the chunks before it are stored). */
  readonly next: number
  /** Records stored. */
  readonly count: number
  /** The last record's outpoint (records come in outpoint order); undefined with none. */
  readonly last: OutPoint | undefined
  /** The LtHash16 state of the records stored. */
  readonly state: LtHash
}

/** What `openSnapshotStage` found in a store. */
export type SnapshotStage =
  /** Nothing at all: a fresh install may begin. */
  | { readonly kind: 'empty' }
  /** A snapshot half installed, resumable from `progress`. */
  | { readonly kind: 'staged'; readonly progress: StagedSnapshot }
  /** Anything else (a node's store, or one a snapshot cannot go into). */
  | { readonly kind: 'other' }

const STAGING = 0
const DISCARDING = 1
const FIELDS = 1 + 4 * 4 + 36
const STAGING_BYTES = FIELDS + 2048

/** The marker record of `progress` (docs/STORAGE.md, nodeMeta `snapshotStage`). */
export function encodeSnapshotStage(progress: StagedSnapshot): Uint8Array {
  const out = new Uint8Array(STAGING_BYTES)
  const view = new DataView(out.buffer)
  out[0] = STAGING
  view.setUint32(1, progress.height, true)
  view.setUint32(5, progress.total, true)
  view.setUint32(9, progress.next, true)
  view.setUint32(13, progress.count, true)
  if (progress.last !== undefined) {
    out.set(progress.last.txid, 17)
    view.setUint32(49, progress.last.vout, true)
  }
  progress.state.serialize(out.subarray(FIELDS))
  return out
}

/** The progress a marker holds; undefined for a discarding marker or one that does not decode. */
export function decodeSnapshotStage(value: Uint8Array): StagedSnapshot | undefined {
  if (value.length !== STAGING_BYTES || value[0] !== STAGING) return undefined
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength)
  const [height, total, next, count] = [1, 5, 9, 13].map((at) => view.getUint32(at, true)) as [
    number,
    number,
    number,
    number,
  ]
  const state = LtHash.deserialize(value.slice(FIELDS))
  if (state === null || total < 1 || next < 1 || next > total) return undefined
  const last =
    count === 0 ? undefined : { txid: value.slice(17, 49) as Txid, vout: view.getUint32(49, true) }
  return { height, total, next, count, last, state }
}

/** The `utxo` records of snapshot outputs: Unspent, created at their height. */
export function snapshotRecordOps(records: readonly SnapshotRecord[]): BatchOp[] {
  return records.map((r) => ({
    type: 'put',
    key: utxoKey(r.outpoint),
    value: encodeUtxoRecord({
      outpoint: r.outpoint,
      output: r.output,
      height: r.height,
      state: { kind: 'Unspent' },
    }),
  }))
}

/** One chunk's batch: its records and the marker saying they are stored (one atomic write). */
export function snapshotChunkOps(
  records: readonly SnapshotRecord[],
  progress: StagedSnapshot,
): BatchOp[] {
  return [
    ...snapshotRecordOps(records),
    { type: 'put', key: MetaKey.snapshotStage, value: encodeSnapshotStage(progress) },
  ]
}

/** The batch that makes a store hold the snapshot's chain state (after its records). */
export function snapshotInstallOps(snapshot: SnapshotInstall): BatchOp[] {
  const state = snapshot.utxos.serialize()
  return [
    storeVersionOp(),
    committedBlockOp(snapshot.block, snapshot.certificate),
    tipOp(snapshot.tip),
    registryOp(snapshot.registry.state),
    chainUtxosOp(snapshot.utxos),
    { type: 'put', key: UTXO_COMMITMENT_KEY, value: state },
    ...snapshot.committeeSteps.map((s) =>
      committeeStepOp(s.block.header, s.certificate, s.committee),
    ),
    // The switch-over: from this batch on the store is a node's, no longer an install.
    { type: 'del', key: MetaKey.snapshotStage },
  ]
}

/**
 * Deletes a snapshot's records (one that did not match, or is not to be resumed), in batches of
 * `batch` keys: the marker says `discarding` first and goes last, so a crash meanwhile leaves a
 * store that is discarded again on open, never one that looks resumable.
 */
export async function discardSnapshotRecords(store: Store, batch = 4_096): Promise<void> {
  await store.write([{ type: 'put', key: MetaKey.snapshotStage, value: Uint8Array.of(DISCARDING) }])
  for (;;) {
    const ops: BatchOp[] = []
    for await (const [key] of store.iterate({ prefix: Uint8Array.of(Bucket.utxo), limit: batch }))
      ops.push({ type: 'del', key })
    if (ops.length === 0) break
    await store.write(ops)
  }
  await store.write([{ type: 'del', key: MetaKey.snapshotStage }], { sync: true })
}

/**
 * What a store holds for a snapshot install, settling it first: a store with a marker and no
 * version is a half-installed snapshot — `staged` with its progress when `resume` and the marker
 * decodes, else its records are deleted (the store is `empty` again); a store without a marker is
 * `empty` when it holds nothing, else `other` (an installed snapshot, a node's store, or records
 * this module did not write — never touched).
 */
export async function openSnapshotStage(
  store: Store,
  options: { readonly resume: boolean },
): Promise<SnapshotStage> {
  const marker = await store.get(MetaKey.snapshotStage)
  if (marker !== undefined && (await store.get(MetaKey.dbVersion)) === undefined) {
    const progress = options.resume ? decodeSnapshotStage(marker) : undefined
    if (progress !== undefined) return { kind: 'staged', progress }
    await discardSnapshotRecords(store)
  }
  for await (const _ of store.iterate({ limit: 1 })) return { kind: 'other' }
  return { kind: 'empty' }
}
