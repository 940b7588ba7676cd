/**
 * Vote batches kept for later — block votes for a height not open yet (chain.ts), transaction
 * votes of the next epoch (finality.ts) — bounded per voter and in bytes, so one member cannot
 * crowd out the others and no one can fill memory: a voter over its share loses its oldest batch,
 * and a batch that would pass the byte bound is dropped. Who may be buffered at all (members of
 * the right committee) is the caller's check. Batches come back out in arrival order.
 */
import type { VoteBatch } from '../consensus/vote-batch.ts'
import { batchBytes } from './limits.ts'

interface Held<T> {
  readonly item: T
  readonly voter: string
  readonly bytes: number
  readonly seq: number
}

export class BatchBuffer<T extends { readonly batch: VoteBatch }> {
  readonly #perVoter: number
  readonly #maxBytes: number
  readonly #byVoter = new Map<string, Held<T>[]>()
  #bytes = 0
  #count = 0
  #seq = 0

  constructor(perVoter: number, maxBytes: number) {
    this.#perVoter = perVoter
    this.#maxBytes = maxBytes
  }

  get size(): number {
    return this.#count
  }

  get bytes(): number {
    return this.#bytes
  }

  /** Keeps `item` from `voter`; returns false if it was dropped (over the byte bound). */
  add(voter: string, item: T): boolean {
    const bytes = batchBytes(item.batch)
    const list = this.#byVoter.get(voter) ?? []
    // The voter's oldest makes room for its newest (later votes matter more).
    const full = list.length >= this.#perVoter
    if (this.#bytes - (full ? list[0]!.bytes : 0) + bytes > this.#maxBytes) return false
    if (full) this.#drop(list.shift()!)
    list.push({ item, voter, bytes, seq: this.#seq++ })
    this.#byVoter.set(voter, list)
    this.#bytes += bytes
    this.#count++
    return true
  }

  /** Everything kept, in arrival order, and empties the buffer. */
  drain(): T[] {
    const all = [...this.#byVoter.values()].flat().sort((a, b) => a.seq - b.seq)
    this.#byVoter.clear()
    this.#bytes = 0
    this.#count = 0
    return all.map((h) => h.item)
  }

  /** Keeps only the items `keep` accepts. */
  retain(keep: (item: T) => boolean): void {
    for (const [voter, list] of this.#byVoter) {
      const kept: Held<T>[] = []
      for (const h of list) {
        if (keep(h.item)) kept.push(h)
        else this.#drop(h)
      }
      if (kept.length === 0) this.#byVoter.delete(voter)
      else this.#byVoter.set(voter, kept)
    }
  }

  #drop(held: Held<T>): void {
    this.#bytes -= held.bytes
    this.#count--
  }
}
