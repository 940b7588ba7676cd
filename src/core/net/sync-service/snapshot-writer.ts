/**
 * The store writes of a snapshot install, in order (docs/STORAGE.md, "A snapshot being
 * installed"): each chunk's records with the marker of how far the install got, a discard, and the
 * switch-over batch — queued one after the other, so a later write never overtakes an earlier one.
 *
 * Invariants: writes reach the store in the order they were asked for; a chunk's records and its
 * marker are one batch; the switch-over is written with `sync`; `settled()` waits for every
 * write asked so far (a failed one included) and never rejects.
 */

import type { SnapshotRecord } from '../../protocol/sync-messages.ts'
import type { Store } from '../../storage/store.ts'
import {
  discardSnapshotRecords,
  type StagedSnapshot,
  snapshotChunkOps,
  snapshotInstallOps,
} from '../../sync/snapshot-store.ts'
import type { SnapshotInstall } from '../../sync/sync-client.ts'

export class SnapshotWriter {
  readonly #store: Store
  #writes: Promise<void> = Promise.resolve()
  #chunks = 0

  constructor(store: Store) {
    this.#store = store
  }

  /** Chunks written (or queued). */
  get chunks(): number {
    return this.#chunks
  }

  storeChunk(records: readonly SnapshotRecord[], staged: StagedSnapshot): void {
    const ops = snapshotChunkOps(records, staged)
    this.#chunks++
    this.#then(() => this.#store.write(ops))
  }

  discard(): void {
    this.#then(() => discardSnapshotRecords(this.#store))
  }

  /** The switch-over, after every write before it; rejects if it (or one before it) failed. */
  install(snapshot: SnapshotInstall): Promise<void> {
    return this.#then(() => this.#store.write(snapshotInstallOps(snapshot), { sync: true }))
  }

  /** Every write asked so far has ended. */
  settled(): Promise<void> {
    return this.#writes.catch(() => {})
  }

  #then(write: () => Promise<void>): Promise<void> {
    const next = this.#writes.then(write)
    this.#writes = next
    return next
  }
}
