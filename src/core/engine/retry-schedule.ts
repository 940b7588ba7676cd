/**
 * When each pending transaction is next asked for again, behind one engine timer instead of one
 * timer per transaction: a transaction's retry is an entry in the queue of its backoff delay.
 * Every entry of a queue was added `delay` before it is due, and engine time never goes back,
 * so each queue is already in due order: adding is an append, the earliest due is at a head,
 * and a cancelled entry is only forgotten (skipped when it reaches a head). (Were a shell's clock
 * to step back, an entry queued after the step would only come due late, never early or twice.)
 * Invariants:
 *  - A key has at most one live entry; `has`, `cancel` and `due` see only live entries.
 *  - `due(now)` returns every live entry due at or before `now`, each once, and removes it.
 *  - A queue holds at most COMPACT_MIN entries or three times the live retries, cancelled ones
 *    included (it is compacted past that), so memory follows the live retries.
 */
import type { Txid } from '../primitives/txid.ts'

/** One scheduled retry: of `txid` (map key `key`), `delay` after it was queued. */
export interface Retry {
  readonly key: string
  readonly txid: Txid
  readonly delay: number
  readonly due: number
}

/** Cancelled entries a queue may hold before its live ones are counted for a compaction. */
const COMPACT_MIN = 256

/** The entries of one backoff delay, in due order from `head`. */
interface Queue {
  readonly delay: number
  entries: Retry[]
  head: number
}

export class RetrySchedule {
  /** key → its live entry. */
  readonly #live = new Map<string, Retry>()
  /** One queue per delay in use (a handful: the backoff doubles up to a cap). */
  readonly #queues: Queue[] = []

  /** Live retries. */
  get size(): number {
    return this.#live.size
  }

  /** Entries held in the queues, cancelled ones not yet dropped included. */
  get held(): number {
    let held = 0
    for (const queue of this.#queues) held += queue.entries.length - queue.head
    return held
  }

  has(key: string): boolean {
    return this.#live.has(key)
  }

  /** Schedules `txid` (key `key`) `delay` after `now`, replacing a live entry of the key. */
  add(key: string, txid: Txid, delay: number, now: number): void {
    const entry: Retry = { key, txid, delay, due: now + delay }
    this.#live.set(key, entry)
    const queue = this.#queueOf(delay)
    queue.entries.push(entry)
    const held = queue.entries.length - queue.head
    if (held > COMPACT_MIN && held > 3 * this.#live.size) this.#compact(queue)
  }

  /** Forgets the retry of `key`, if any. */
  cancel(key: string): void {
    this.#live.delete(key)
  }

  /** The earliest due time of a live entry, or undefined when none is scheduled. */
  nextDue(): number | undefined {
    let next: number | undefined
    for (const queue of this.#queues) {
      const head = this.#liveHead(queue)
      if (head !== undefined && (next === undefined || head.due < next)) next = head.due
    }
    return next
  }

  /** Removes and returns every live entry due at or before `now`, earliest first per delay. */
  due(now: number): Retry[] {
    const out: Retry[] = []
    for (const queue of this.#queues) {
      for (let head = this.#liveHead(queue); head !== undefined && head.due <= now; ) {
        this.#live.delete(head.key)
        queue.head++
        out.push(head)
        head = this.#liveHead(queue)
      }
    }
    return out
  }

  /** The first live entry of `queue`, dropping the cancelled ones before it. */
  #liveHead(queue: Queue): Retry | undefined {
    const { entries } = queue
    while (queue.head < entries.length) {
      const entry = entries[queue.head]!
      if (this.#live.get(entry.key) === entry) return entry
      queue.head++
    }
    // Drained: start the array afresh rather than let it grow.
    if (entries.length > 0) {
      queue.entries = []
      queue.head = 0
    }
    return undefined
  }

  #queueOf(delay: number): Queue {
    for (const queue of this.#queues) if (queue.delay === delay) return queue
    const queue: Queue = { delay, entries: [], head: 0 }
    this.#queues.push(queue)
    return queue
  }

  /** Keeps only the live entries of `queue` (their order, hence due order, unchanged). */
  #compact(queue: Queue): void {
    const live = this.#live
    queue.entries = queue.entries.slice(queue.head).filter((e) => live.get(e.key) === e)
    queue.head = 0
  }
}
