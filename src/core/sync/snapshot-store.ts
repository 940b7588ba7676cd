/**
 * How a verified UTXO snapshot becomes a store the engine opens (docs/STORAGE.md): its records as
 * `utxo` entries (Unspent, with the height that created them) while chunks arrive, then one
 * durable batch with everything else a node keeps after a block — store version, tip, registry,
 * the chain's UTXO-set state (also the live set's: nothing is only final in a fresh store), the
 * snapshot's block with its certificate and the committee proof steps met on the way.
 *
 * Invariants: the records go only into a store that held nothing (the caller checks); until the
 * install batch the store has no version record, so an engine refuses to open a half-written
 * snapshot (STORE_VERSION_MISSING) instead of running on it; the install batch is atomic.
 */
import { registryOp } from '../consensus/registry-codec.ts'
import { chainUtxosOp, committedBlockOp, committeeStepOp, tipOp } from '../engine/chain-store.ts'
import { encodeUtxoRecord, UTXO_COMMITMENT_KEY, utxoKey } from '../ledger/utxo-codec.ts'
import type { SnapshotRecord } from '../protocol/sync-messages.ts'
import { Bucket } from '../storage/keys.ts'
import type { BatchOp, Store } from '../storage/store.ts'
import { storeVersionOp } from '../storage/store-version.ts'
import type { SnapshotInstall } from './sync-client.ts'

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
  ]
}

/** Deletes every `utxo` record (a snapshot that did not match), in batches of `batch` keys. */
export async function discardSnapshotRecords(store: Store, batch = 4_096): Promise<void> {
  for (;;) {
    const ops: BatchOp[] = []
    for await (const [key] of store.iterate({ prefix: Uint8Array.of(Bucket.utxo), limit: batch }))
      ops.push({ type: 'del', key })
    if (ops.length === 0) return
    await store.write(ops)
  }
}
