/**
 * The in-memory `Store`, for tests and the simulator: parallel sorted arrays of keys and values,
 * found by binary search. Invariants: `#keys` is strictly ascending by `compareBytes` and the
 * same length as `#values`; the store owns every array it holds (copied in and out).
 */
import { compareBytes } from '../encoding/bytes.ts'
import { StorageError } from './errors.ts'
import { inRange, type KeyRange, resolveRange } from './key-range.ts'
import type { BatchOp, IterateOptions, Store, StoreEntry, WriteOptions } from './store.ts'
import {
  assertBatch,
  assertIterateOptions,
  assertKey,
  assertValue,
  assertWriteOptions,
} from './validation.ts'

export interface MemoryStoreOptions {
  /**
   * Sees every write (a put or delete as a one-op batch), as copies, after validation and before
   * it is applied. Throwing rejects the write and leaves the store unchanged: tests inject write
   * faults here, or record writes to rebuild the state at any crash point.
   */
  readonly onWrite?: (ops: readonly BatchOp[], opts: { readonly sync: boolean }) => void
}

export class MemoryStore implements Store {
  #keys: Uint8Array[] = []
  #values: Uint8Array[] = []
  /** Bumped when an entry is inserted or removed, so a running scan knows to seek again. */
  #version = 0
  #closed = false
  readonly #onWrite: MemoryStoreOptions['onWrite']

  constructor(opts: MemoryStoreOptions = {}) {
    this.#onWrite = opts.onWrite
  }

  /** A store holding copies of `entries` (a later duplicate key wins), e.g. a `snapshot()`. */
  static fromSnapshot(
    entries: Iterable<readonly [Uint8Array, Uint8Array]>,
    opts?: MemoryStoreOptions,
  ): MemoryStore {
    const store = new MemoryStore(opts)
    for (const [key, value] of entries) {
      assertKey(key)
      assertValue(value)
      store.#set(key.slice(), value.slice())
    }
    return store
  }

  /**
   * Copies of every entry in key order. Allowed after `close()`: like a disk, the state outlives
   * the process that wrote it, so a crash test can restart from it with `fromSnapshot`.
   */
  snapshot(): StoreEntry[] {
    return this.#keys.map((key, i) => [key.slice(), this.#values[i]!.slice()])
  }

  /** Number of entries. */
  get size(): number {
    return this.#keys.length
  }

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    this.#assertOpen()
    assertKey(key)
    const i = this.#lowerBound(key)
    return this.#matches(i, key) ? this.#values[i]!.slice() : undefined
  }

  async has(key: Uint8Array): Promise<boolean> {
    this.#assertOpen()
    assertKey(key)
    return this.#matches(this.#lowerBound(key), key)
  }

  async put(key: Uint8Array, value: Uint8Array, opts?: WriteOptions): Promise<void> {
    this.#assertOpen()
    assertKey(key)
    assertValue(value)
    assertWriteOptions(opts)
    this.#apply([{ type: 'put', key: key.slice(), value: value.slice() }], opts)
  }

  async delete(key: Uint8Array, opts?: WriteOptions): Promise<void> {
    this.#assertOpen()
    assertKey(key)
    assertWriteOptions(opts)
    this.#apply([{ type: 'del', key: key.slice() }], opts)
  }

  async write(ops: readonly BatchOp[], opts?: WriteOptions): Promise<void> {
    this.#assertOpen()
    assertBatch(ops)
    assertWriteOptions(opts)
    this.#apply(
      ops.map((op) =>
        op.type === 'put'
          ? { type: 'put', key: op.key.slice(), value: op.value.slice() }
          : { type: 'del', key: op.key.slice() },
      ),
      opts,
    )
  }

  iterate(opts: IterateOptions = {}): AsyncIterable<StoreEntry> {
    return this.#scan(opts)
  }

  async close(): Promise<void> {
    this.#closed = true
  }

  /** `ops` are validated copies the store may keep. */
  #apply(ops: readonly BatchOp[], opts: WriteOptions | undefined): void {
    this.#onWrite?.(ops, { sync: opts?.sync === true })
    for (const op of ops) {
      if (op.type === 'put') this.#set(op.key, op.value)
      else this.#remove(op.key)
    }
  }

  async *#scan(opts: IterateOptions): AsyncGenerator<StoreEntry> {
    this.#assertOpen()
    assertIterateOptions(opts)
    const range = resolveRange(opts)
    const limit = opts.limit ?? Number.POSITIVE_INFINITY
    if (range === null || limit === 0) return
    const step = opts.reverse === true ? -1 : 1
    let i = step === 1 ? this.#first(range) : this.#last(range)
    let version = this.#version
    let last: Uint8Array | undefined
    for (let count = 0; count < limit; count++) {
      if (last !== undefined) {
        this.#assertOpen()
        // Entries moved while the caller held the last one: seek past its key again.
        if (version !== this.#version) i = this.#after(last, step)
        version = this.#version
      }
      const key = this.#keys[i]
      if (key === undefined || !inRange(range, key)) return
      last = key
      yield [key.slice(), this.#values[i]!.slice()]
      i += step
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new StorageError('STORE_CLOSED', 'the memory store is closed')
  }

  #set(key: Uint8Array, value: Uint8Array): void {
    const i = this.#lowerBound(key)
    if (this.#matches(i, key)) {
      this.#values[i] = value
      return
    }
    this.#keys.splice(i, 0, key)
    this.#values.splice(i, 0, value)
    this.#version++
  }

  #remove(key: Uint8Array): void {
    const i = this.#lowerBound(key)
    if (!this.#matches(i, key)) return
    this.#keys.splice(i, 1)
    this.#values.splice(i, 1)
    this.#version++
  }

  #matches(i: number, key: Uint8Array): boolean {
    const found = this.#keys[i]
    return found !== undefined && compareBytes(found, key) === 0
  }

  /** Index of the first key in `range`, scanning up (may be out of range or past the end). */
  #first(range: KeyRange): number {
    const { lower } = range
    if (lower === undefined) return 0
    return lower.open ? this.#upperBound(lower.key) : this.#lowerBound(lower.key)
  }

  /** Index of the last key in `range`, scanning down (may be out of range or -1). */
  #last(range: KeyRange): number {
    const { upper } = range
    if (upper === undefined) return this.#keys.length - 1
    return (upper.open ? this.#lowerBound(upper.key) : this.#upperBound(upper.key)) - 1
  }

  /** Index of the next key strictly beyond `key` in the scan direction. */
  #after(key: Uint8Array, step: 1 | -1): number {
    return step === 1 ? this.#upperBound(key) : this.#lowerBound(key) - 1
  }

  /** Index of the first key >= `key`. */
  #lowerBound(key: Uint8Array): number {
    let lo = 0
    let hi = this.#keys.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (compareBytes(this.#keys[mid]!, key) < 0) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  /** Index of the first key > `key`. */
  #upperBound(key: Uint8Array): number {
    let lo = 0
    let hi = this.#keys.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (compareBytes(this.#keys[mid]!, key) <= 0) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}
