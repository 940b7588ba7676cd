// The simulated disk of one masternode. Writes apply in order; a synced write makes itself and
// every earlier write durable (as a write-ahead log does). A crash keeps the durable state and a
// random prefix of the unsynced writes — each write whole or not at all — and drops the rest.
import { type BatchOp, bytesToHex, MemoryStore } from '../../../src/core/index.ts'
import type { Prng } from '../prng.ts'

export class SimDisk {
  readonly #durable = new Map<string, Uint8Array>()
  #unsynced: { readonly id: number; readonly ops: readonly BatchOp[] }[] = []
  writes = 0
  /** Sees every operation as it becomes durable (the host's persist-before-send check). */
  onDurable: ((op: BatchOp) => void) | null = null
  droppedOnCrash = 0

  /** Records a write; it is durable only once `sync(id)` (or a later synced write) completes. */
  write(id: number, ops: readonly BatchOp[]): void {
    this.writes++
    this.#unsynced.push({ id, ops })
  }

  /** Makes every write up to and including `id` durable. */
  sync(id: number): void {
    while (this.#unsynced.length > 0 && this.#unsynced[0]!.id <= id)
      this.#apply(this.#unsynced.shift()!.ops)
  }

  /** Crashes: a random prefix of the unsynced writes survives, or none with `dropUnsynced`. */
  crash(prng: Prng, dropUnsynced = false): void {
    const survive = dropUnsynced ? 0 : prng.int(this.#unsynced.length + 1)
    for (const w of this.#unsynced.slice(0, survive)) this.#apply(w.ops)
    this.droppedOnCrash += this.#unsynced.length - survive
    this.#unsynced = []
  }

  /** The durable records (key in hex, value), in no particular order. */
  durable(): IterableIterator<[string, Uint8Array]> {
    return this.#durable.entries()
  }

  /** A store holding exactly the durable state, to restart from. */
  open(): MemoryStore {
    return MemoryStore.fromSnapshot(
      [...this.#durable.entries()].map(
        ([k, v]) => [Uint8Array.from(Buffer.from(k, 'hex')), v] as const,
      ),
    )
  }

  #apply(ops: readonly BatchOp[]): void {
    for (const op of ops) {
      this.onDurable?.(op)
      const key = bytesToHex(op.key)
      if (op.type === 'put') this.#durable.set(key, op.value)
      else this.#durable.delete(key)
    }
  }
}
